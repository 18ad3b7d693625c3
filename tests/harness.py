"""tests/harness.py — what every stage of tests/run.py shares: the results
tally, QEMU command lines, one boot with a timeout and a log, board builds,
and the markers many stages look for in a kernel's output.

A stage reads the kernel's output by stable markers (a message's key and
its figures, e.g. `smp: 4 of 4 cpus online` read as the two numbers), not
by whole sentences: a reworded message must not break a test, but a wrong
figure must.

Environment: TEST_BUILD (the folder for images and logs, default build/),
QEMU (the qemu-system-aarch64 to run), BOOT_TIMEOUT (seconds per boot,
default 420), CROSS_COMPILE (for readelf).
"""

import os
import re
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# TEST_BUILD puts every image and log a test run makes in another folder
# (two runs at once in one checkout must not share build/).
BUILD = os.environ.get("TEST_BUILD", os.path.join(ROOT, "build"))
LOGS = os.path.join(BUILD, "test-logs")
QEMU = os.environ.get("QEMU", "qemu-system-aarch64")
BOOT_TIMEOUT = int(os.environ.get("BOOT_TIMEOUT", "420"))
# Test boots keep the stop-the-world watchdog's defaults: under QEMU with more
# vCPUs than host cores a stop may warn (stw_watchdog, 100 ms), which a passing
# log may show; it panics only after stw_panic (10 s), which no test may reach.
TEST_ARGS = "run=test exit=semihost"

# ---------------------------------------------------------------- markers

# ktest's closing line: the in-kernel tests of one boot.
KTEST_LINE = re.compile(r"^ktest: (\d+) passed, (\d+) failed, (\d+) skipped", re.M)
KTEST_FAIL = re.compile(r"^\[     FAIL \] (\S+)", re.M)
# The cores started, of the cores the machine has.
CPUS_ONLINE = re.compile(r"^smp: (\d+) of (\d+) cpus online", re.M)
# tests/kernel/test_console.c: every core prints 40 whole lines at once.
CONSOLE_LINE = re.compile(r"^console-check cpu(\d\d) line(\d\d) abcdefghijklmnopqrstuvwxyz0123456789 end$")
CONSOLE_TEST = "[ RUN      ] console.lines_from_every_core_at_once"
# The panic report (kernel panic): one header, then the registers.
PANIC_HEADER = re.compile(r"^======== PANIC on cpu(\d+) ========", re.M)
PANIC_FIELDS = ("ESR ", "FAR ", "ELR ", "SPSR ", "x0 ", "x29 ", "x30 ", "sp ", "task:")
# The stop-the-world watchdog's limits in force (boot arguments or defaults).
STW_LIMITS = re.compile(r"^stop-the-world: warn after (\d+) ms, panic after (\d+) ms", re.M)
# The exit status of a panic through semihosting.
PANIC_STATUS = 3


class Results:
    """The tally: every check adds one line (PASS, FAIL or SKIP) and its name."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []
        self.names = []  # "PASS name", for checks.txt

    def add(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(name)
        self.names.append(f"{'PASS' if ok else 'FAIL'} {name}")
        if ok and ("\n" in detail or len(detail) > 150):
            detail = ""  # a passing check's long output is only noise
        print(f"{'PASS' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}", flush=True)

    def skip(self, name, why):
        self.skipped += 1
        self.names.append(f"SKIP {name}")
        print(f"SKIP {name}: {why}", flush=True)

    def add_problems(self, name, problems, out="", ok_detail=""):
        """One check from a list of problems (none: it passed); a failure
        prints the end of the boot's log."""
        self.add(name, not problems, "; ".join(problems) if problems else ok_detail)
        if problems and out:
            print(tail(out))

    def summary(self):
        line = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            line += f", {self.skipped} skipped"
        return line

    def write_names(self, path):
        """Every check's verdict and name, then the summary: two runs compare
        with `diff <(sort a) <(sort b)`."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.writelines(n + "\n" for n in self.names)
            f.write(self.summary() + "\n")


# ---------------------------------------------------------------- QEMU

def mem_mib(mem):
    n = int(mem[:-1])
    return n * 1024 if mem.endswith("G") else n


def qemu_cmd(image, smp=4, gic=2, cpu="cortex-a72", el2=False, mem="1G", append=None, machine_extra=""):
    machine = f"virt,gic-version={gic}"
    if el2:
        machine += ",virtualization=on"
    machine += machine_extra
    cmd = [QEMU, "-M", machine, "-cpu", cpu, "-smp", str(smp), "-m", mem, "-nographic",
           "-nic", "none", "-monitor", "none", "-serial", "stdio",
           "-semihosting-config", "enable=on,target=native", "-kernel", image]
    if append is not None:
        cmd += ["-append", append]
    return cmd


def pi_cmd(machine, image, extra=()):
    return [QEMU, "-M", machine, "-nographic", "-nic", "none", "-monitor", "none", "-serial", "stdio",
            "-semihosting-config", "enable=on,target=native", "-kernel", image] + list(extra)


def qemu_has_machine(name):
    try:
        out = subprocess.run([QEMU, "-M", "help"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return re.search(rf"^{name}\s", out, re.M) is not None


def boot(name, cmd, timeout=BOOT_TIMEOUT, input_bytes=None, on_line=None):
    """Run QEMU; returns (exit status or None on timeout, output, seconds).

    The log in build/test-logs/ stamps each line with the time it arrived,
    so a slow boot shows where the time went.  on_line(process, line), if
    given, sees each line as it arrives."""
    os.makedirs(LOGS, exist_ok=True)
    start = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE if input_bytes else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if input_bytes:
        threading.Thread(target=feed_stdin, args=(p, input_bytes), daemon=True).start()
    lines = []

    def reader():
        for raw in p.stdout:
            lines.append((time.time() - start, raw.decode("utf-8", "replace").rstrip("\r\n")))
            if on_line:
                on_line(p, lines[-1][1])

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        status = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        status = None
    t.join(5)
    if status is None:
        lines.append((time.time() - start, f"[tests/run.py: no exit within {timeout} s: killed]"))
    write_log(name, cmd, lines)
    return status, "\n".join(l for _, l in lines) + "\n", time.time() - start


def feed_stdin(p, data):
    # QEMU reads stdin only as fast as the UART takes it: write it all.
    try:
        p.stdin.write(data)
        p.stdin.close()
    except OSError:
        pass


def write_log(name, cmd, lines):
    with open(os.path.join(LOGS, re.sub(r"[^A-Za-z0-9_.=-]+", "_", name) + ".log"), "w") as f:
        f.write(" ".join(cmd) + "\n\n")
        f.writelines(f"[{ts:8.3f}] {l}\n" for ts, l in lines)


def tail(out, n=40):
    return "\n".join("    | " + l for l in out.rstrip().splitlines()[-n:])


# ---------------------------------------------------------------- builds

def build_board(board, bootargs, build, kcflags=""):
    p = subprocess.run(["make", "--no-print-directory", "-s", f"BOARD={board}", f"BUILD={build}",
                        f"BOOTARGS={bootargs}", f"KCFLAGS={kcflags}", "kernel"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p.returncode == 0, p.stdout.decode("utf-8", "replace")


def compile_dts(source, dtb):
    """dtc source (relative to ROOT) into dtb; returns dtc's errors, or ''."""
    os.makedirs(os.path.dirname(dtb), exist_ok=True)
    p = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dtb, os.path.join(ROOT, source)],
                       capture_output=True, text=True)
    return "" if p.returncode == 0 else p.stderr[-1000:] or "dtc failed"


def readelf(args, elf):
    cross = os.environ.get("CROSS_COMPILE", "aarch64-linux-gnu-")
    return subprocess.run([cross + "readelf"] + args + [elf], capture_output=True, text=True).stdout


# ---------------------------------------------------------------- shared checks

def status_problems(status, want=0):
    """want: an exit status, or "failure" for any non-zero exit."""
    if status is None:
        return ["timed out"]
    if want == "failure":
        return [] if status != 0 else ["exit status 0 (want a failure)"]
    return [] if status == want else [f"exit status {status} (want {want})"]


def cpus_online(out):
    """(cores online, cores listed) from the smp line, or None."""
    m = CPUS_ONLINE.search(out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def cpus_online_problems(out, online, listed=None):
    got = cpus_online(out)
    if got != (online, online if listed is None else listed):
        return [f"expected {online} of {online if listed is None else listed} cpus online, got "
                f"{CPUS_ONLINE.search(out).group(0) if got else 'no smp line'}"]
    return []


def stw_limits(out):
    """(warn ms, panic ms) the stop-the-world watchdog uses, or None."""
    m = STW_LIMITS.search(out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def check_console_lines(out, smp):
    """Every core printed 40 whole lines at once: none may be damaged or missing."""
    seen = set()
    bad = []
    for line in out.splitlines():
        if "console-check" not in line:
            continue
        m = CONSOLE_LINE.match(line)
        if m:
            seen.add((int(m.group(1)), int(m.group(2))))
        else:
            bad.append(line)
    problems = []
    if bad:
        problems.append(f"{len(bad)} interleaved console lines, e.g. {bad[0]!r}")
    if CONSOLE_TEST in out and len(seen) != 40 * smp:
        problems.append(f"{len(seen)} whole console-check lines, want {40 * smp}")
    return problems


def add_ktest_counts(res, name, m, out):
    """Count the in-kernel tests of one boot (m: its ktest summary line)."""
    if not m:
        return
    p, f, s = (int(x) for x in m.groups())
    res.passed += p
    res.failed += f
    res.skipped += s
    for t in KTEST_FAIL.findall(out):
        res.failures.append(f"{name}: {t}")


def show_failures(out):
    for l in re.findall(r"^    FAIL .*$", out, re.M):
        print("   ", l)
    print(tail(out))


def check_report(out, expect_cpu_lines):
    """A panic report: exactly one header, every register field, and a line
    matching each regex of expect_cpu_lines.  Returns a list of problems."""
    problems = []
    headers = PANIC_HEADER.findall(out)
    if len(headers) != 1:
        problems.append(f"{len(headers)} panic headers (want exactly 1)")
    for field in PANIC_FIELDS:
        if field not in out:
            problems.append(f"no {field.strip()} in the report")
    for want in expect_cpu_lines:
        if not re.search(want, out, re.M):
            problems.append(f"missing /{want}/")
    return problems


# run=crash:null: page 0 is unmapped after boot, so reading NULL is a decoded
# data abort (a level-3 fault: only the low pages went, not a whole block).
NULL_REPORT = [r"Data abort \(same EL\).*translation fault, level 3, read",
               r"^FAR  0000000000000000", r"^cpu\d MPIDR \S+, task: \d+ 'main'"]
