"""tests/stage_boot.py — the `boot` stage: what a boot does with its inputs.

Boot arguments (an unknown key, a bad number, stw_panic below stw_watchdog,
run=test:<suite>, maxcpus=, make BOOTARGS= as the default), the ways out
(exit=psci, a failing run's exit status through semihosting), the ways in
(the ELF with no device tree pointer, 16 cores on GICv3, a device tree that
lists a core the machine lacks), and the shell driven over the serial port
with every command and bad input of every kind.

Each boot is one row of BOOT_CASES: its QEMU machine and boot arguments,
what is typed on the serial line, the exit status wanted, and a list of
(label, expectation) pairs; run() boots every row and turns the labels of
the expectations that do not hold into the check's problems.  An
expectation is a regex searched line by line (re.M) or a function of the
output.  The regexes are the kernel messages' stable parts: their key
(`shell: unknown command 'bogus'`) and their figures, not their prose.
"""

import os
import re
import subprocess
from dataclasses import dataclass

from harness import BOOT_TIMEOUT, BUILD, QEMU, ROOT, boot, cpus_online, qemu_cmd, status_problems, stw_limits, tail

# ---------------------------------------------------------------- markers

UNKNOWN_KEY = r"unknown key 'bogus'"
SUITE_RUN = re.compile(r"^\[ RUN      \] (\w+)\.", re.M)
NO_TEST = r"^ktest: no test matches 'nosuch'"  # the suite named, not a silent pass
BAD_NUMBER = r"tick=fast: expected a number"
# stw_panic=50 stw_watchdog=200: rejected, the default 10000 used.
STW_PANIC_REJECTED = r"stw_panic=50 is below stw_watchdog=200\b.*\bstw_panic=10000\b"
STW_SLOW_WARNING = re.compile(r"^stop-the-world \(crash: stw-slow\): cpu\d has not answered IPI_STOP after (\d+) ms",
                              re.M)
POWER_OFF = r"powering off"
UNKNOWN_ACTION = r"unknown action"
# kernel smp: "cpuN (MPIDR 0x100) not started: PSCI CPU_ON returned NAME (code)"
CORE_NOT_STARTED = r"MPIDR 0x100\) not started: .*\bINVALID_PARAMETERS \(-2\)"
BUILT_IN_BOOTARGS = r"\(built-in default\)"
KTEST_RUNNING_SMP = r"ktest: running smp\b"

# The shell (kernel shell: commands, help table, line editor).
HELP_SPAWN = r"^  spawn\s+N\s+\S"                 # help's row: name, arguments, what it does
SPAWNED = re.compile(r"^spawn: (\d+) tasks? started over (\d+) cores", re.M)
CORES_ROW = r"^[0-3]\s+0x[0-3]?\s*\d?\s+\d\s+online"
CORES_HEADER = r"^cpu\s+MPIDR\b"
TASK_ROW = r"^\d+\s+work\s+(runnable|running|waiting)"
UNKNOWN_COMMAND = r"shell: unknown command 'bogus'"
SPAWN_USAGE = r"spawn: usage:"
TASKS_USAGE = r"tasks: usage:"
LONG_LINE = r"shell: unknown command 'xxxx"
TOO_MANY_WORDS = r"shell: too many words"
A_TEST_NAME = r"task\.ten_thousand_tasks_from_every_core"

# The collector's shell commands (gc command).
GC_CYCLE = r"^gc \d+ \(fixed\): stop1 \d+ us, mark \d+ us, stop2 \d+ us"
GC_STATS = r"^gc: \d+ cycles, mode fixed; heap \d+ KiB"
GC_MODE_RACY = r"gc: mode racy"
GC_MODE_BOGUS = r"gc mode: expected .*not 'bogus'"
GC_INJECT_OFF = r"gc: injection off"
GC_INJECT_BOGUS = r"gc inject: expected .*not 'bogus'"
GC_VERIFY_MAYBE = r"gc verify: expected .*not 'maybe'"
GC_VERIFY_ON = r"gc: verifier on"
GC_STRESS_3 = r"^gcstress: passed: 3 cycles, every mark verified$"
GC_STRESS_0 = r"gc stress: N must be a number from 1 to \d+"
GC_USAGE = r"gc: usage:"
DEMO_USAGE = r"demo: usage:"


def at_least(pattern, n):
    """An expectation: pattern matches n lines or more."""
    return lambda out: len(re.findall(pattern, out, re.M)) >= n


def online(n, listed=None):
    return lambda out: cpus_online(out) == (n, n if listed is None else listed)


def absent(pattern):
    return lambda out: not re.search(pattern, out, re.M)


# ---------------------------------------------------------------- setups

class SetupFailed(Exception):
    """A case's build step failed: name is the check to report it under."""

    def __init__(self, name, detail):
        super().__init__(detail)
        self.name, self.detail = name, detail


def extra_cpu_dtb(case):
    """QEMU's own virt tree with one more cpu node, MPIDR 0x100, that no core has."""
    d = os.path.join(BUILD, "test-dtb")
    os.makedirs(d, exist_ok=True)
    base, dts, out = (os.path.join(d, n) for n in ("virt4.dtb", "virt5.dts", "virt5.dtb"))
    try:
        subprocess.run([QEMU, "-M", f"virt,dumpdtb={base}", "-cpu", "cortex-a72", "-smp", "4", "-m", "1G",
                        "-nographic", "-nic", "none"], check=True, capture_output=True, timeout=60)
        text = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", base], check=True,
                              capture_output=True, timeout=60).stdout.decode()
        i = text.index("\t\tcpu@3 {")
        extra = ('\t\tcpu@100 {\n\t\t\treg = <0x100>;\n\t\t\tenable-method = "psci";\n'
                 '\t\t\tcompatible = "arm,cortex-a72";\n\t\t\tdevice_type = "cpu";\n\t\t};\n\n')
        with open(dts, "w") as f:
            f.write(text[:i] + extra + text[i:])
        subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out, dts], check=True,
                       capture_output=True, timeout=60)
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        print(f"  (test tree: {e})")
        raise SetupFailed(case.name, "could not build the test tree with dtc")
    return {"extra": ["-dtb", out]}


def default_bootargs_build(case):
    """A kernel whose built-in boot arguments (make BOOTARGS=) run the smp suite."""
    build = os.path.join(BUILD, "test-bootargs")
    p = subprocess.run(["make", "--no-print-directory", "-s", f"BUILD={build}",
                        "BOOTARGS=run=test:smp exit=semihost", "kernel"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise SetupFailed("make BOOTARGS= builds", p.stdout.decode()[-2000:])
    return {"image": os.path.join(build, "kernel.img")}


# ---------------------------------------------------------------- the cases

@dataclass
class BootCase:
    name: str                 # the check's name
    log: str                  # its log, build/test-logs/<log>.log
    smp: int
    append: str               # boot arguments (None: no -append)
    expect: list              # (label, regex or function of the output)
    status: object = 0        # the exit status wanted, or "failure"
    image: str = "img"        # "img" or "elf"
    gic: int = 2
    mem: str = "1G"
    timeout: int = BOOT_TIMEOUT
    script: bytes = None      # typed on the serial line
    setup: object = None      # case -> {"image": ..., "extra": [...]}, or raises SetupFailed


# Every command, and bad input of every kind: answered with a line and a
# new prompt, never a crash.
SHELL_SCRIPT = (b"\r" b"help\r" b"cores\r" b"spawn 20\r" b"tasks\r" b"tasks all\r" b"ipi\r"
                b"bogus command\r" b"spawn\r" b"spawn 0\r" b"spawn 99999999999999999999999\r"
                b"spawn -5\r" b"tasks nonsense\r" + b"x" * 300 + b"\r"
                b"a b c d e f g h i j k\r" b"\x01\x02\x7f\x7f\x7f\x1b[C\x1b[D\r"
                b"half a line\x03" b"cor\x7fres\r" b"\x1b[A\r" b"test list\r" b"uptime\r" b"poweroff\r")
SHELL_EXPECT = [
    ("help lists spawn", HELP_SPAWN),
    ("cores lists 4", at_least(CORES_ROW, 3)),
    ("spawn starts 20", lambda out: [m.groups() for m in SPAWNED.finditer(out)] == [("20", "4")]),
    ("tasks lists workload", TASK_ROW),
    ("unknown command", UNKNOWN_COMMAND),
    ("spawn usage x4", lambda out: out.count(SPAWN_USAGE) == 4),
    ("tasks usage", TASKS_USAGE),
    ("long line", LONG_LINE),
    ("too many words", TOO_MANY_WORDS),
    ("^C abandons", lambda out: "half a line^C" in out),
    ("backspace edits", lambda out: "cores\n" in out.replace("cor\b \bres", "cores")),
    ("history", at_least(CORES_HEADER, 3)),
    ("test list", A_TEST_NAME),
    ("poweroff", POWER_OFF),
]

GC_SHELL_SCRIPT = (b"\r" b"gc\r" b"gc stats\r" b"gc mode racy\r" b"gc mode bogus\r" b"gc mode fixed\r"
                   b"gc inject off\r" b"gc inject bogus\r" b"gc verify on\r" b"gc verify maybe\r"
                   b"gc stress 3\r" b"gc stress 0\r" b"gc bogus\r" b"gc help\r" b"demo bogus\r"
                   b"poweroff\r")
GC_SHELL_EXPECT = [
    ("gc runs a cycle", GC_CYCLE),
    ("gc stats", GC_STATS),
    ("gc mode racy", GC_MODE_RACY),
    ("gc mode bogus", GC_MODE_BOGUS),
    ("gc inject off", GC_INJECT_OFF),
    ("gc inject bogus", GC_INJECT_BOGUS),
    ("gc verify maybe", GC_VERIFY_MAYBE),
    ("gc verify on", GC_VERIFY_ON),
    ("gc stress 3", GC_STRESS_3),
    ("gc stress 0", GC_STRESS_0),
    # gc bogus and gc help; a bad setting word gets its own message instead.
    ("usage x2", lambda out: out.count(GC_USAGE) == 2),
    ("demo usage", DEMO_USAGE),
    ("poweroff", POWER_OFF),
]


def stw_slow_warned_after(out):
    m = STW_SLOW_WARNING.search(out)
    return int(m.group(1)) if m else -1


BOOT_CASES = [
    # An unknown boot argument is named in a warning; the run still works.
    BootCase("bootargs: unknown key is named", "bootargs-unknown", 2, "run=test:smp bogus=1 exit=semihost",
             [("the key is not named", UNKNOWN_KEY)]),
    # run=test:<suite> runs only that suite.
    BootCase("bootargs: run=test:timer runs only timer", "bootargs-suite", 2, "run=test:timer exit=semihost",
             [("suites other than timer ran", lambda out: set(SUITE_RUN.findall(out)) == {"timer"})]),
    # A suite name that matches nothing is a failure, not a silent pass.
    BootCase("bootargs: unknown suite fails the run", "bootargs-nosuite", 1, "run=test:nosuch exit=semihost",
             [("the unknown suite is not named", NO_TEST)], status="failure"),
    # A bad value is reported and the default used.
    BootCase("bootargs: bad number is reported", "bootargs-badvalue", 1,
             "run=test:timer tick=fast exit=semihost", [("not reported", BAD_NUMBER)]),
    # stw_panic below stw_watchdog would panic before the warning: it is
    # rejected, and the default panic limit used.  run=crash:stw-slow (a core
    # masked for 300 ms) then shows the limits in force: a warning after at
    # least 200 ms, no panic at 50 ms.
    BootCase("bootargs: stw_panic below stw_watchdog is rejected", "bootargs-stw-panic", 2,
             "run=crash:stw-slow stw_watchdog=200 stw_panic=50 exit=semihost",
             [("no message", STW_PANIC_REJECTED),
              ("limits not 200/10000", lambda out: stw_limits(out) == (200, 10000)),
              ("no warning after 200 ms or more", lambda out: stw_slow_warned_after(out) >= 200),
              ("a panic (want none)", absent(r"PANIC"))]),
    # exit=psci powers the machine off (QEMU exits 0 without semihosting).
    BootCase("exit=psci powers off", "exit-psci", 2, "run=test:smp exit=psci", [("no power-off line", POWER_OFF)]),
    # A failing run exits non-zero through semihosting.
    BootCase("exit=semihost reports failure", "exit-status", 1, "run=nosuchaction exit=semihost",
             [("the action is not named unknown", UNKNOWN_ACTION)], status=1),
    # Booting the ELF (x0 = 0): the kernel finds QEMU's device tree itself.
    BootCase("ELF boot finds the device tree", "elf-boot", 4, "run=test:smp exit=semihost",
             [("not 4 of 4 cpus online", online(4))], image="elf"),
    # More cores than GICv2 allows need GICv3: 16 cores.
    BootCase("16 cores on GICv3", "smp16-gicv3", 16, "run=test:smp+ipi exit=semihost",
             [("not 16 of 16 cpus online", online(16))], gic=3, mem="512M"),
    # A core the device tree lists but the machine lacks: PSCI CPU_ON fails,
    # the failure is reported with its code, and the other cores carry on.
    BootCase("a missing core is reported, the others carry on", "missing-cpu", 4,
             "run=test:ipi+spinlock exit=semihost",
             [("the failed CPU_ON is not reported with its code", CORE_NOT_STARTED),
              ("not 4 of 5 cpus online", online(4, 5))], setup=extra_cpu_dtb),
    # The built-in default boot arguments (make BOOTARGS=...) apply when the
    # device tree has none: QEMU without -append.
    BootCase("make BOOTARGS= is the default without -append", "bootargs-default", 2, None,
             [("not marked built-in", BUILT_IN_BOOTARGS), ("the smp suite did not run", KTEST_RUNNING_SMP)],
             setup=default_bootargs_build),
    # The shell, driven through the serial port.
    BootCase("shell: commands and bad input over the serial port", "shell", 4, "run=shell", SHELL_EXPECT,
             timeout=120, script=SHELL_SCRIPT),
    # The collector's commands, and their bad input.
    BootCase("shell: the gc commands and their bad input", "shell-gc", 4, "run=shell", GC_SHELL_EXPECT,
             timeout=180, script=GC_SHELL_SCRIPT),
    # maxcpus= limits the cores started.
    BootCase("maxcpus=2 starts two cores", "maxcpus", 4, "run=test:smp maxcpus=2 exit=semihost",
             [("not 2 of 2 cpus online", online(2))]),
]


# ---------------------------------------------------------------- the loop

def holds(expectation, out):
    if callable(expectation):
        return bool(expectation(out))
    return re.search(expectation, out, re.M) is not None


def case_problems(case, status, out):
    problems = status_problems(status, case.status)
    return problems + [label for label, e in case.expect if not holds(e, out)]


def run_case(res, case, opts):
    try:
        setup = case.setup(case) if case.setup else {}
    except SetupFailed as e:
        res.add(e.name, False, e.detail)
        return
    image = setup.get("image", opts.elf if case.image == "elf" else opts.image)
    cmd = qemu_cmd(image, case.smp, gic=case.gic, mem=case.mem, append=case.append) + setup.get("extra", [])
    status, out, _ = boot(case.log, cmd, timeout=case.timeout, input_bytes=case.script)
    problems = case_problems(case, status, out)
    res.add(case.name, not problems, "; ".join(problems) + ("" if not problems else "\n" + tail(out, 60)))


def run(res, opts):
    print("== boot checks", flush=True)
    for case in BOOT_CASES:
        run_case(res, case, opts)
