"""tests/stage_pi.py — the `pi` stage: the Raspberry Pi boards.

  - static checks of the image a real Pi 4 boots (make BOARD=rpi4): the
    entry point and .text at the load address 0x80000, a branch as the
    first word, no note section in front of the code, the vector table
    2 KiB aligned, config.txt with what the firmware needs; `make sdcard`
    with no firmware, with stand-in firmware, and with a wrong folder;
  - the in-kernel suites on raspi3b under QEMU (through the firmware stub at
    EL2, and as an ELF with all cores at EL3 in the holding pen), and on
    rpi4 under QEMU -M raspi4b (QEMU 9.0 or later; skipped otherwise):
    without a device tree, with a Pi 4 tree (tests/boards/rpi4-b.dts), and
    with a tree at 0x100 as old firmware loads it (tests/boards/rpi4-low.dts);
  - run=crash:null on each board: the spin table lives in page 0, so the
    cores must have left it before page 0 is unmapped.

Every ktest boot counts its in-kernel tests and is one more check itself:
a clean exit, 4 of 4 cores online, the entry EL, whole console lines.
"""

import os
import re
import subprocess

from harness import (BUILD, KTEST_LINE, NULL_REPORT, PANIC_STATUS, QEMU, ROOT, TEST_ARGS, add_ktest_counts, boot,
                     build_board, check_console_lines, check_report, compile_dts, cpus_online, pi_cmd,
                     qemu_has_machine, readelf, show_failures, status_problems)

ENTRY_EL = r"boot core entered at EL{el}"
# Device-tree model strings of the test trees (tests/boards/*.dts).
PI4_TEST_TREE = "Raspberry Pi 4 Model B (allstop test tree)"
LOW_TEST_TREE = "(allstop test tree at 0x100)"
# The kernel's mmu setup copies a tree out of the low memory it unmaps.
LOW_TREE_COPIED = r"device tree at 0x100\b.*: copied out"
LOAD_ADDRESS = 0x80000
CONFIG_TXT = {"arm_64bit=1", "kernel_address=0x80000", "enable_uart=1", "init_uart_clock=48000000",
              "enable_gic=1", "kernel=kernel8.img"}
FIRMWARE = ("start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb")
CARD_FILES = ("kernel8.img", "config.txt") + FIRMWARE


def run(res, opts):
    run_static(res)
    run_boards(res)


# ---------------------------------------------------------------- static checks

def run_static(res):
    """The image a real Pi 4 boots, checked without booting it."""
    print("== Raspberry Pi 4 image, static checks", flush=True)
    b = os.path.join(BUILD, "rpi4")
    p = subprocess.run(["make", "--no-print-directory", "-s", "BOARD=rpi4", f"BUILD={b}", "kernel"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        res.add("make BOARD=rpi4", False, p.stdout.decode()[-2000:])
        return
    check_rpi4_image(res, os.path.join(b, "kernel.elf"), os.path.join(b, "kernel8.img"))
    check_config_txt(res, os.path.join(b, "config.txt"))
    check_sdcard(res)


def check_rpi4_image(res, elf, img):
    entry = re.search(r"Entry point address:\s+0x([0-9a-f]+)", readelf(["-h"], elf))
    res.add("rpi4: entry point is the load address 0x80000", bool(entry) and int(entry.group(1), 16) == LOAD_ADDRESS,
            entry.group(0) if entry else "no entry")
    with open(img, "rb") as f:
        first = int.from_bytes(f.read(4), "little")
    res.add("rpi4: kernel8.img starts with a branch (file offset 0 = 0x80000)",
            first & 0xfc000000 == 0x14000000, f"first word {first:#010x}")  # B imm26: opcode 000101
    sections = readelf(["-S", "-W"], elf)
    res.add("rpi4: no build-id or other note in front of the code", ".note" not in sections,
            "" if ".note" not in sections else "a .note section is present")
    text = re.search(r"\.text\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)", sections)
    res.add("rpi4: .text is at 0x80000, file offset 0 of the image",
            bool(text) and int(text.group(1), 16) == LOAD_ADDRESS, text.group(0) if text else "no .text")
    syms = readelf(["-s", "-W"], elf)
    vec = re.search(r"^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+\w+\s+GLOBAL\s+\w+\s+\S+\s+vectors$", syms, re.M)
    res.add("rpi4: the vector table is 2 KiB aligned", bool(vec) and int(vec.group(1), 16) % 2048 == 0,
            f"vectors at {vec.group(1) if vec else '?'}")


def check_config_txt(res, path):
    with open(path) as f:
        config = set(l.strip() for l in f if l.strip() and not l.startswith("#"))
    res.add("rpi4: config.txt has what the firmware needs", CONFIG_TXT <= config,
            "missing: " + ", ".join(sorted(CONFIG_TXT - config)) if not CONFIG_TXT <= config else "")


def check_sdcard(res):
    """make sdcard (in a build folder of its own, not to touch build/rpi4):
    without firmware it names the files it needs; with them it fills the
    folder and builds a FAT image; a wrong firmware folder fails clearly."""
    sd = os.path.join(BUILD, "test-sdcard")
    make_sd = ["make", "--no-print-directory", "-s", "BOARD=rpi4", f"BUILD={sd}", "sdcard"]
    boot_dir = os.path.join(sd, "boot")
    p = subprocess.run(make_sd, cwd=ROOT, capture_output=True, text=True)
    names_files = all(n in p.stdout for n in FIRMWARE)
    res.add("make sdcard without FIRMWARE_DIR names the firmware files",
            p.returncode == 0 and names_files and os.path.exists(os.path.join(boot_dir, "kernel8.img"))
            and os.path.exists(os.path.join(boot_dir, "config.txt")), p.stdout[-500:])
    fw = os.path.join(BUILD, "test-firmware")
    os.makedirs(fw, exist_ok=True)
    for n in FIRMWARE:
        with open(os.path.join(fw, n), "w") as f:
            f.write(f"stand-in for {n}\n")
    p = subprocess.run(make_sd + [f"FIRMWARE_DIR={fw}"], cwd=ROOT, capture_output=True, text=True)
    listing = subprocess.run(["mdir", "-b", "-i", os.path.join(sd, "sdcard.img"), "::"],
                             capture_output=True, text=True).stdout.lower()
    res.add("make sdcard FIRMWARE_DIR=... fills the card folder and FAT image",
            p.returncode == 0 and all(os.path.exists(os.path.join(boot_dir, n)) for n in CARD_FILES)
            and all(n in listing for n in CARD_FILES), (p.stdout + p.stderr)[-800:] + listing)
    p = subprocess.run(make_sd + [f"FIRMWARE_DIR={fw}-nonexistent"], cwd=ROOT, capture_output=True, text=True)
    res.add("make sdcard with a wrong FIRMWARE_DIR fails clearly",
            p.returncode != 0 and "missing" in p.stdout, p.stdout[-300:])


# ---------------------------------------------------------------- boots

def pi_boot_problems(status, out, el):
    problems = [] if KTEST_LINE.search(out) else ["no ktest summary line"]
    if status != 0:
        problems += status_problems(status)
    if cpus_online(out) != (4, 4):
        problems.append("not 4 of 4 cpus online")
    if not re.search(ENTRY_EL.format(el=el), out):
        problems.append(f"not entered at EL{el}")
    return problems + check_console_lines(out, 4)


def check_pi_boot(res, name, cmd, el=2):
    """A ktest boot of a Pi board: its tests, and the boot as one more test."""
    status, out, secs = boot(name, cmd)
    m = KTEST_LINE.search(out)
    problems = pi_boot_problems(status, out, el)
    add_ktest_counts(res, name, m, out)
    res.add(f"{name} boot", not problems, "; ".join(problems) if problems else f"{m.group(0)} ({secs:.1f} s)")
    if problems or (m and int(m.group(2))):
        show_failures(out)
    return out


def check_pi_null(res, board, machine, build):
    """One crash:null boot of a Pi board: its spin table lives in page 0, so the
    cores must be out of it before the unmap.  A relink of the board's test
    build: only the boot sees the built-in boot arguments."""
    ok, log = build_board(board, "run=crash:null exit=semihost", build)
    if not ok:
        res.add(f"{board} build (crash:null)", False, log[-2000:])
        return
    status, out, _ = boot(f"{board} crash:null", pi_cmd(machine, os.path.join(build, "kernel8.img")), timeout=60)
    problems = check_report(out, NULL_REPORT + [r"^smp: 4 of 4 cpus online"]) + status_problems(status, PANIC_STATUS)
    res.add_problems(f"{board}: panic report: crash:null", problems, out)


def check_pi_low_dtb(res, image):
    """Older Pi firmware loads the device tree at 0x100, in the low memory
    unmapped after boot: the kernel must copy it out (the bootinfo tests read
    it back afterwards, the mmu tests check the unmap).  QEMU's x0 is 0x100
    anyway; its loader device puts the tree there."""
    dtb = os.path.join(BUILD, "test-dtb", "rpi4-low.dtb")
    err = compile_dts(os.path.join("tests", "boards", "rpi4-low.dts"), dtb)
    if err:
        res.add("rpi4 low test device tree compiles", False, err)
        return
    name = "rpi4 (QEMU -M raspi4b, device tree at 0x100 like old firmware)"
    status, out, secs = boot(name, pi_cmd("raspi4b", image, ["-device", f"loader,file={dtb},addr=0x100,force-raw=on"]),
                             timeout=120)
    problems = []
    if LOW_TEST_TREE not in out:
        problems.append("the tree at 0x100 was not read")
    if not re.search(LOW_TREE_COPIED, out, re.M):
        problems.append("no 'copied out' line")
    m = KTEST_LINE.search(out)
    if not m or int(m.group(1)) == 0 or int(m.group(2)):
        problems.append(m.group(0) if m else "no ktest summary line")
    problems += status_problems(status)
    res.add_problems(name, problems, out, ok_detail=f"{m.group(0)} ({secs:.1f} s)" if m else "")


def run_raspi3b(res):
    build = os.path.join(BUILD, "test-raspi3b")
    ok, log = build_board("raspi3b", TEST_ARGS, build)
    if not ok:
        res.add("raspi3b build", False, log[-2000:])
        return
    check_pi_boot(res, "raspi3b (QEMU -M raspi3b, 4 x A53, BCM2836 mailboxes)",
                  pi_cmd("raspi3b", os.path.join(build, "kernel8.img")), el=2)
    # The ELF has no firmware stub: all four cores start at EL3 together,
    # and three of them wait in allstop's holding pen.
    check_pi_boot(res, "raspi3b ELF (all cores at EL3, holding pen)",
                  pi_cmd("raspi3b", os.path.join(build, "kernel.elf")), el=3)
    check_pi_null(res, "raspi3b", "raspi3b", build)


def run_rpi4(res):
    build = os.path.join(BUILD, "test-rpi4")
    ok, log = build_board("rpi4", TEST_ARGS, build)
    if not ok:
        res.add("rpi4 build", False, log[-2000:])
        return
    image = os.path.join(build, "kernel8.img")
    check_pi_boot(res, "rpi4 (QEMU -M raspi4b, no device tree, GIC-400)", pi_cmd("raspi4b", image))
    # With a Pi 4 device tree (as the firmware passes one): the GIC and UART come
    # from /soc through its ranges, the cores from the spin-table entries.
    dtb = os.path.join(BUILD, "test-dtb", "rpi4-b.dtb")
    err = compile_dts(os.path.join("tests", "boards", "rpi4-b.dts"), dtb)
    if err:
        res.add("rpi4 test device tree compiles", False, err)
        return
    name = "rpi4 (QEMU -M raspi4b, with a device tree)"
    out = check_pi_boot(res, name, pi_cmd("raspi4b", image, ["-dtb", dtb]))
    if PI4_TEST_TREE not in out:
        res.add(f"{name}: the tree was read", False, "model line missing")
    check_pi_null(res, "rpi4", "raspi4b", build)
    check_pi_low_dtb(res, image)


def run_boards(res):
    print("== Raspberry Pi boards under QEMU", flush=True)
    run_raspi3b(res)
    if not qemu_has_machine("raspi4b"):
        version = subprocess.run([QEMU, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        res.skip("rpi4 under QEMU -M raspi4b", f"{version} has no raspi4b model (QEMU 9.0 or later has)")
        return
    run_rpi4(res)
