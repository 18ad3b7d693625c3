# QEMU -M virt: RAM at 0x40000000.  Linked 2 MiB in, so QEMU loads the raw image at RAM +
# text_offset, and an ELF boot (-kernel kernel.elf) still finds the DTB QEMU puts at 0x40000000.
LOAD_ADDR := 0x40200000
IMAGE_NAME := kernel.img
BOARD_SRCS := kernel/boards/virt.c
BOARD_CFLAGS := -DBOARD_NAME='"virt"' -DTEXT_OFFSET=0x200000
BOARD_EXTRA :=
BOARD_QEMU_ARGS = -M virt -cpu cortex-a72 -smp $(SMP) -m $(MEM) -nic none
