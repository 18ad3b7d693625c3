# Raspberry Pi 4 (real hardware; QEMU >= 9.0 -M raspi4b): kernel8.img at 0x80000.
LOAD_ADDR := 0x80000
IMAGE_NAME := kernel8.img
BOARD_SRCS := kernel/boards/rpi4.c kernel/boards/pi.c kernel/boards/bcm_gpio.c
BOARD_CFLAGS := -DBOARD_NAME='"rpi4"' -DTEXT_OFFSET=0x80000
BOARD_EXTRA := $(B)/config.txt
BOARD_QEMU_ARGS = -M raspi4b -nic none
BOARD_BOOTARGS_BUILTIN := 1
# config.txt for the firmware (make writes one line per word).
CONFIG_TXT := arm_64bit=1 kernel=kernel8.img kernel_address=0x80000 enable_uart=1 \
	init_uart_clock=48000000 enable_gic=1 dtoverlay=disable-bt
# What make sdcard copies from FIRMWARE_DIR.
FIRMWARE_FILES := start4.elf fixup4.dat bcm2711-rpi-4-b.dtb
