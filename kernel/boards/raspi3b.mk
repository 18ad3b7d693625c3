# Raspberry Pi 3 (QEMU -M raspi3b): a raw image at 0x80000, entered at EL2.
LOAD_ADDR := 0x80000
IMAGE_NAME := kernel8.img
BOARD_SRCS := kernel/boards/raspi3b.c kernel/boards/pi.c kernel/boards/bcm_gpio.c
BOARD_CFLAGS := -DBOARD_NAME='"raspi3b"' -DTEXT_OFFSET=0x80000
BOARD_EXTRA := $(B)/config.txt
BOARD_QEMU_ARGS = -M raspi3b -nic none
# QEMU passes a Pi no device tree, so -append cannot reach the kernel: make
# run builds the run arguments in instead.
BOARD_BOOTARGS_BUILTIN := 1
CONFIG_TXT := arm_64bit=1 kernel=kernel8.img kernel_address=0x80000 enable_uart=1 \
	init_uart_clock=48000000 dtoverlay=disable-bt
FIRMWARE_FILES := bootcode.bin start.elf fixup.dat bcm2710-rpi-3-b.dtb
