# allstop — build, run and test.  `make help` lists everything.
#
# The kernel is freestanding C on AArch64 with newlib as its C library.  Every
# target that needs tools first makes sure they are installed (tools/setup).

BOARD ?= virt
SMP ?= 4
MEM ?= 1G
BOOTARGS ?=
V ?= 0

# Prefer Arm's bare-metal toolchain when present, else Debian's Linux cross GCC
# used freestanding.
ifeq ($(origin CROSS_COMPILE),undefined)
CROSS_COMPILE := $(if $(shell command -v aarch64-none-elf-gcc 2>/dev/null),aarch64-none-elf-,aarch64-linux-gnu-)
endif
export CROSS_COMPILE

CC      := $(CROSS_COMPILE)gcc
OBJCOPY := $(CROSS_COMPILE)objcopy
OBJDUMP := $(CROSS_COMPILE)objdump
HOSTCC  ?= cc
QEMU    ?= qemu-system-aarch64
GDB     ?= gdb-multiarch
PYTHON  ?= python3

ifeq ($(V),1)
Q :=
else
Q := @
endif

BUILD ?= build/$(BOARD)
B := $(BUILD)
include kernel/boards/$(BOARD).mk

# newlib: Arm's toolchain carries it; with Debian's compiler tools/setup builds it
# once into a cache outside the tree.  "missing" means setup has not run yet.
NEWLIB := $(shell CROSS_COMPILE=$(CROSS_COMPILE) tools/setup --print-newlib 2>/dev/null || echo missing)
ifeq ($(NEWLIB),toolchain)
LIBC_CFLAGS :=
LIBC_LDFLAGS :=
else
GCC_INC := $(shell $(CC) -print-file-name=include 2>/dev/null)
LIBC_CFLAGS := -nostdinc -isystem $(NEWLIB)/aarch64-none-elf/include -isystem $(GCC_INC)
LIBC_LDFLAGS := -L$(NEWLIB)/aarch64-none-elf/lib
endif

CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-builtin-printf -fno-stack-protector -fno-pie -fno-common \
	-fno-omit-frame-pointer -fno-tree-loop-distribute-patterns \
	-march=armv8-a -mtune=cortex-a72 -mstrict-align -mno-outline-atomics \
	-ffunction-sections -fdata-sections \
	-I. -I$(B)/gen $(LIBC_CFLAGS) $(BOARD_CFLAGS) -MMD -MP
ASFLAGS := $(filter-out -std=gnu11,$(CFLAGS)) -D__ASSEMBLY__
LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--gc-sections \
	-Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments $(LIBC_LDFLAGS)
LIBS := -Wl,--start-group -lc -lgcc -Wl,--end-group

SRCS := $(wildcard boot/*.S boot/*.c kernel/*.c tests/kernel/*.c) $(BOARD_SRCS)
OBJS := $(patsubst %,$(B)/obj/%.o,$(basename $(SRCS)))

.PHONY: all kernel run test debug bench help setup check-tools host-test clean format \
	FORCE sdcard
.DEFAULT_GOAL := all

all: kernel
kernel: $(B)/kernel.elf $(B)/$(IMAGE_NAME) $(BOARD_EXTRA)

# The built-in default boot arguments live in a generated header that changes
# only when BOOTARGS does, so `make BOOTARGS=...` rebuilds just what uses it.
$(B)/gen/bootargs_default.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define BOOTARGS_DEFAULT "%s"\n' '$(subst ','\'',$(subst ",\",$(BOOTARGS)))' > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(B)/obj/%.o: %.c | $(B)/gen/bootargs_default.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(B)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(ASFLAGS) -c $< -o $@

$(B)/linker.ld: linker.ld kernel/boards/$(BOARD).mk
	@mkdir -p $(dir $@)
	$(Q)$(CC) -E -P -x c -DLOAD_ADDR=$(LOAD_ADDR) $< -o $@

$(B)/kernel.elf: $(OBJS) $(B)/linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -T $(B)/linker.ld $(OBJS) $(LIBS) -o $@

$(B)/$(IMAGE_NAME): $(B)/kernel.elf
	@$(if $(Q),echo "  OBJCOPY $@")
	$(Q)$(OBJCOPY) -O binary $< $@

-include $(OBJS:.o=.d)

# ---------------------------------------------------------------- set-up
# Install what is missing (Debian packages, newlib) — quick when all is there.
setup:
	@tools/setup --check || tools/setup

# ---------------------------------------------------------------- running
QEMU_MACHINE := $(BOARD_QEMU_ARGS) -semihosting-config enable=on,target=native \
	-kernel $(B)/$(IMAGE_NAME)
QEMU_ARGS := $(QEMU_MACHINE) -nographic
RUN_BOOTARGS ?= run=demo,shell

run: setup
	@$(MAKE) --no-print-directory kernel
	@echo "allstop: starting QEMU (quit with Ctrl-A X):"
	@echo "  $(QEMU) $(QEMU_ARGS) -append \"$(RUN_BOOTARGS)\""
	@$(QEMU) $(QEMU_ARGS) -append "$(RUN_BOOTARGS)"

# QEMU runs halted in the background with its console in a file (gdb owns the
# terminal); watch it with `tail -f build/<board>/console.log` in another one.
debug: setup
	@$(MAKE) --no-print-directory kernel
	@echo "allstop: QEMU halted at the first instruction, gdb server on :1234"
	@echo "allstop: the console goes to $(B)/console.log (tail -f it in another terminal)"
	@$(QEMU) $(QEMU_MACHINE) -append "$(RUN_BOOTARGS)" -s -S -display none -monitor none \
		-serial file:$(B)/console.log & qemu=$$!; \
	$(GDB) -q $(B)/kernel.elf -ex 'target remote :1234' \
		-ex 'echo allstop: "continue" boots; Ctrl-C stops all cores; "info threads" lists them\n'; \
	kill $$qemu 2>/dev/null || true

# ---------------------------------------------------------------- testing
test: setup
	@$(MAKE) --no-print-directory BOARD=virt kernel
	@$(PYTHON) tests/run.py $(TEST_ARGS)

host-test: setup
	@$(PYTHON) tests/run.py --only host

bench: setup
	@$(MAKE) --no-print-directory kernel
	@$(QEMU) $(QEMU_ARGS) -append "run=bench exit=semihost"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

help:
	@echo "allstop — a multi-core AArch64 runtime kernel"
	@echo
	@echo "Targets:"
	@echo "  make run        install what is missing, build, boot on QEMU ($(SMP) cores) at the shell"
	@echo "  make test       install what is missing, run host tests and the QEMU test matrix"
	@echo "  make            build build/BOARD/kernel.elf and the raw image"
	@echo "  make debug      boot QEMU halted (-s -S) and attach gdb-multiarch with symbols"
	@echo "  make bench      boot and run the benchmarks"
	@echo "  make host-test  only the host unit tests (ASan + UBSan)"
	@echo "  make setup      install packages and build newlib (run by the targets above)"
	@echo "  make format     clang-format the C sources"
	@echo "  make clean      remove build/"
	@echo
	@echo "Variables:"
	@echo "  BOARD=$(BOARD)          virt (QEMU -M virt)"
	@echo "  SMP=$(SMP)              cores for make run/debug/bench"
	@echo "  MEM=$(MEM)             RAM for make run/debug/bench"
	@echo "  BOOTARGS=\"...\"     built-in boot arguments, used when the device tree has none"
	@echo "  RUN_BOOTARGS=\"...\" what make run/debug pass with -append (default: $(RUN_BOOTARGS))"
	@echo "  CROSS_COMPILE=...  toolchain prefix (now $(CROSS_COMPILE))"
	@echo "  QEMU=...           emulator binary (now $(QEMU))"
	@echo "  TEST_ARGS=...      passed to tests/run.py (e.g. --quick, --only host)"
	@echo "  BUILD=dir          build directory (default build/BOARD)"
	@echo "  V=1                show the commands"
