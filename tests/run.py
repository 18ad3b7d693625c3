#!/usr/bin/env python3
"""tests/run.py — run every allstop test and print one closing line.

Stages (each can be chosen with --only):
  style   the C sources are clang-formatted
  model   the Promela model of the stop-the-world, checked with spin
  host    the host unit tests (cmocka, ASan + UBSan): tests/host/Makefile
  kernel  the in-kernel suites, booted under QEMU in a matrix of machines
  boot    boot-level checks: cores online, RAM size, boot arguments, ELF boot
  pi      the Raspberry Pi boards: raspi3b under QEMU, rpi4 under QEMU raspi4b
          (skipped without QEMU 9.0+), static checks of the Pi 4 image, make sdcard
  gc      the collector: the churn workload for GC_CYCLES cycles (200; 1,000
          with --long) with the verifier on, on 1 and 4 cores of virt, half as
          many on 8 cores and raspi3b; Go's allgs bug reproduced (gc=racy inject=publish-early must
          die with "markroot: nil task"), and the same with gc=fixed never fails
  crash   the panic path: deliberate faults give one complete report; the
          stop-the-world watchdog warns about a silent core, then panics
          only at stw_panic (and not for a core that is only slow)
  litmus  the litmus runner: the built-in suite on 2, 4, 8 cores and the Pis,
          litmus7's log format, tools/litmus, pasted tests (tests/litmus_stage.py)

Every QEMU boot has a timeout, its full log is kept in build/test-logs/, and a
failing boot prints the end of its log.  The last line is
"N passed, N failed[, N skipped]"; the exit status is non-zero on any failure.
"""

import argparse
import concurrent.futures
import os
import re
import signal
import subprocess
import sys
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

# The matrix: every value of every axis appears, and the corners (1 core with
# the least RAM, 8 cores with the most, both GICs at 8 cores, EL2 at 8 cores).
# (smp, gic version, cpu, EL2 entry, memory)
MATRIX = [
    (1, 2, "cortex-a72", False, "256M"),
    (2, 3, "cortex-a53", True, "2G"),
    (4, 2, "cortex-a72", False, "1G"),
    (4, 3, "max", True, "256M"),
    (8, 2, "cortex-a53", True, "2G"),
    (8, 3, "max", False, "2G"),
    (8, 3, "cortex-a72", True, "1G"),
]


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []

    def add(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(name)
        if ok and ("\n" in detail or len(detail) > 150):
            detail = ""  # a passing check's long output is only noise
        print(f"{'PASS' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}", flush=True)

    def skip(self, name, why):
        self.skipped += 1
        print(f"SKIP {name}: {why}", flush=True)


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
        # QEMU reads stdin only as fast as the UART takes it: write it all.
        def feed():
            try:
                p.stdin.write(input_bytes)
                p.stdin.close()
            except OSError:
                pass
        threading.Thread(target=feed, daemon=True).start()
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
    out = "\n".join(l for _, l in lines) + "\n"
    with open(os.path.join(LOGS, re.sub(r"[^A-Za-z0-9_.=-]+", "_", name) + ".log"), "w") as f:
        f.write(" ".join(cmd) + "\n\n")
        f.writelines(f"[{ts:8.3f}] {l}\n" for ts, l in lines)
    return status, out, time.time() - start


def tail(out, n=40):
    return "\n".join("    | " + l for l in out.rstrip().splitlines()[-n:])


# ---------------------------------------------------------------- host tests

def run_host(res):
    print("== host unit tests (cmocka, ASan + UBSan)", flush=True)
    if not os.path.exists(os.path.join(ROOT, "tests", "host", "Makefile")):
        res.add("host: tests/host/Makefile", False, "missing")
        return
    p = subprocess.run(["make", "--no-print-directory", "-f", "tests/host/Makefile", "run",
                        f"B={os.path.relpath(os.path.join(BUILD, 'host'), ROOT)}"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode("utf-8", "replace")
    passed = sum(int(n) for n in re.findall(r"^\[  PASSED  \] (\d+) test", out, re.M))
    failed = sum(int(n) for n in re.findall(r"^\[  FAILED  \] (\d+) test", out, re.M))
    for name in re.findall(r"^\[  FAILED  \] (\S+)$", out, re.M):
        print(f"  failed: {name}")
    res.passed += passed
    res.failed += failed
    print(f"host: {passed} passed, {failed} failed", flush=True)
    if p.returncode != 0 and failed == 0:
        res.add("host: build or sanitizer run", False, "make exited %d" % p.returncode)
        print(tail(out, 60))


# ---------------------------------------------------------------- kernel matrix

KTEST_LINE = re.compile(r"^ktest: (\d+) passed, (\d+) failed, (\d+) skipped", re.M)


def matrix_name(smp, gic, cpu, el2, mem):
    return f"virt smp={smp} gic=v{gic} cpu={cpu} el={2 if el2 else 1} mem={mem}"


def run_matrix_one(image, cfg):
    smp, gic, cpu, el2, mem = cfg
    name = matrix_name(*cfg)
    status, out, secs = boot(name, qemu_cmd(image, smp, gic, cpu, el2, mem, TEST_ARGS))
    return cfg, name, status, out, secs


CONSOLE_LINE = re.compile(r"^console-check cpu(\d\d) line(\d\d) abcdefghijklmnopqrstuvwxyz0123456789 end$")


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
    if "[ RUN      ] console.lines_from_every_core_at_once" in out and len(seen) != 40 * smp:
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
    for t in re.findall(r"^\[     FAIL \] (\S+)", out, re.M):
        res.failures.append(f"{name}: {t}")


def show_failures(out):
    for l in re.findall(r"^    FAIL .*$", out, re.M):
        print("   ", l)
    print(tail(out))


def check_matrix_boot(res, cfg, name, status, out, secs):
    smp, gic, cpu, el2, mem = cfg
    m = KTEST_LINE.search(out)
    problems = []
    if not m:
        problems.append("no ktest summary line")
    if status != 0:
        problems.append("timed out" if status is None else f"exit status {status}")
    online = re.search(r"^smp: (\d+) of (\d+) cpus online", out, re.M)
    if not online or int(online.group(1)) != smp or int(online.group(2)) != smp:
        problems.append(f"expected {smp} of {smp} cpus online, got "
                        f"{online.group(0) if online else 'no smp line'}")
    ram = re.search(r"^ram: (\d+) MiB", out, re.M)
    if not ram or int(ram.group(1)) != mem_mib(mem):
        problems.append(f"expected ram: {mem_mib(mem)} MiB, got {ram.group(0) if ram else 'no ram line'}")
    problems += check_console_lines(out, smp)
    el = re.search(r"boot core entered at EL(\d)", out)
    if not el or int(el.group(1)) != (2 if el2 else 1):
        problems.append("entry EL not reported as EL%d" % (2 if el2 else 1))
    if f"irq: GICv{gic}" not in out:
        problems.append(f"GICv{gic} not chosen")
    add_ktest_counts(res, name, m, out)
    detail = f"{m.group(0) if m else 'no summary'} ({secs:.1f} s)"
    # The boot itself (cores, RAM, EL, GIC, clean exit) is one more test.
    res.add(f"{name} boot", not problems, "; ".join(problems) if problems else detail)
    if problems or (m and int(m.group(2))):
        show_failures(out)


def run_kernel(res, image, jobs, quick):
    print("== in-kernel tests under QEMU virt", flush=True)
    matrix = MATRIX[:3] if quick else MATRIX
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        for r in ex.map(lambda c: run_matrix_one(image, c), matrix):
            check_matrix_boot(res, *r)


# ---------------------------------------------------------------- boot checks

def add_shell_checks(res, name, status, out, checks):
    """One result for a scripted shell session: a clean exit and every check true."""
    failed = [k for k, v in checks.items() if not v]
    ok = status == 0 and not failed
    res.add(name, ok, f"status {status}; failed: {failed}" + ("" if ok else "\n" + tail(out, 60)))


def run_boot_checks(res, image, elf):
    print("== boot checks", flush=True)

    # An unknown boot argument is named in a warning; the run still works.
    status, out, _ = boot("bootargs-unknown", qemu_cmd(image, 2, append="run=test:smp bogus=1 exit=semihost"))
    res.add("bootargs: unknown key is named", "unknown key 'bogus'" in out and status == 0,
            "" if status == 0 else tail(out))

    # run=test:<suite> runs only that suite.
    status, out, _ = boot("bootargs-suite", qemu_cmd(image, 2, append="run=test:timer exit=semihost"))
    suites = set(re.findall(r"^\[ RUN      \] (\w+)\.", out, re.M))
    res.add("bootargs: run=test:timer runs only timer", status == 0 and suites == {"timer"},
            f"suites run: {sorted(suites)}, status {status}")

    # A suite name that matches nothing is a failure, not a silent pass.
    status, out, _ = boot("bootargs-nosuite", qemu_cmd(image, 1, append="run=test:nosuch exit=semihost"))
    res.add("bootargs: unknown suite fails the run", status not in (0, None) and "no test" in out,
            f"status {status}")

    # A bad value is reported and the default used.
    status, out, _ = boot("bootargs-badvalue", qemu_cmd(image, 1, append="run=test:timer tick=fast exit=semihost"))
    res.add("bootargs: bad number is reported", status == 0 and "tick=fast: expected a number" in out,
            f"status {status}")

    # stw_panic below stw_watchdog would panic before the warning: it is
    # rejected, and the default panic limit used.  run=crash:stw-slow (a core
    # masked for 300 ms) then shows the limits in force: a warning after at
    # least 200 ms, no panic at 50 ms.
    status, out, _ = boot("bootargs-stw-panic", qemu_cmd(image, 2, append="run=crash:stw-slow stw_watchdog=200 "
                                                                         "stw_panic=50 exit=semihost"))
    warned = re.search(r"^stop-the-world \(crash: stw-slow\): cpu\d has not answered IPI_STOP after (\d+) ms",
                       out, re.M)
    problems = [p for p, bad in [
        ("no message", "bootargs: stw_panic=50 is below stw_watchdog=200: the stop must warn before it panics; "
                       "using stw_panic=10000" not in out),
        ("limits not 200/10000", "stop-the-world: warn after 200 ms, panic after 10000 ms" not in out),
        ("no warning after 200 ms or more", not warned or int(warned.group(1)) < 200),
        (f"exit status {status} (want 0, no panic)", status != 0 or "PANIC" in out)] if bad]
    res.add("bootargs: stw_panic below stw_watchdog is rejected", not problems,
            "; ".join(problems) + ("" if not problems else "\n" + tail(out)))

    # exit=psci powers the machine off (QEMU exits 0 without semihosting).
    status, out, _ = boot("exit-psci", qemu_cmd(image, 2, append="run=test:smp exit=psci"))
    res.add("exit=psci powers off", status == 0 and "powering off" in out, f"status {status}")

    # A failing run exits non-zero through semihosting.
    status, out, _ = boot("exit-status", qemu_cmd(image, 1, append="run=nosuchaction exit=semihost"))
    res.add("exit=semihost reports failure", status == 1 and "unknown action" in out, f"status {status}")

    # Booting the ELF (x0 = 0): the kernel finds QEMU's device tree itself.
    status, out, _ = boot("elf-boot", qemu_cmd(elf, 4, append="run=test:smp exit=semihost"))
    res.add("ELF boot finds the device tree", status == 0 and "smp: 4 of 4 cpus online" in out,
            f"status {status}")

    # More cores than GICv2 allows need GICv3: 16 cores.
    status, out, _ = boot("smp16-gicv3", qemu_cmd(image, 16, gic=3, mem="512M", append="run=test:smp+ipi exit=semihost"),
                          timeout=BOOT_TIMEOUT)
    res.add("16 cores on GICv3", status == 0 and "smp: 16 of 16 cpus online" in out,
            f"status {status}" + ("" if status == 0 else "\n" + tail(out)))

    # A core the device tree lists but the machine lacks: PSCI CPU_ON fails,
    # the failure is reported with its code, and the other cores carry on.
    dtb = make_dtb_with_extra_cpu()
    if dtb:
        status, out, _ = boot("missing-cpu", qemu_cmd(image, 4, append="run=test:ipi+spinlock exit=semihost")
                              + ["-dtb", dtb])
        ok = (status == 0 and re.search(r"MPIDR 0x100\) not started: PSCI CPU_ON returned INVALID_PARAMETERS \(-2\)", out)
              and "smp: 4 of 5 cpus online" in out)
        res.add("a missing core is reported, the others carry on", bool(ok), f"status {status}")
    else:
        res.add("a missing core is reported, the others carry on", False, "could not build the test tree with dtc")

    # The built-in default boot arguments (make BOOTARGS=...) apply when the
    # device tree has none: QEMU without -append.
    build = os.path.join(BUILD, "test-bootargs")
    p = subprocess.run(["make", "--no-print-directory", "-s", f"BUILD={build}",
                        "BOOTARGS=run=test:smp exit=semihost", "kernel"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        res.add("make BOOTARGS= builds", False, p.stdout.decode()[-2000:])
    else:
        status, out, _ = boot("bootargs-default", qemu_cmd(os.path.join(build, "kernel.img"), 2))
        res.add("make BOOTARGS= is the default without -append",
                status == 0 and "(built-in default)" in out and "ktest: running smp" in out,
                f"status {status}")

    # The shell, driven through the serial port: every command, and bad input
    # of every kind, answered with a line and a new prompt; never a crash.
    script = (b"\r" b"help\r" b"cores\r" b"spawn 20\r" b"tasks\r" b"tasks all\r" b"ipi\r"
              b"bogus command\r" b"spawn\r" b"spawn 0\r" b"spawn 99999999999999999999999\r"
              b"spawn -5\r" b"tasks nonsense\r" + b"x" * 300 + b"\r"
              b"a b c d e f g h i j k\r" b"\x01\x02\x7f\x7f\x7f\x1b[C\x1b[D\r"
              b"half a line\x03" b"cor\x7fres\r" b"\x1b[A\r" b"test list\r" b"uptime\r" b"poweroff\r")
    status, out, _ = boot("shell", qemu_cmd(image, 4, append="run=shell"), timeout=120, input_bytes=script)
    checks = {
        "help lists spawn": "start N small tasks spread over the cores" in out,
        "cores lists 4": len(re.findall(r"^[0-3]\s+0x[0-3]?\s*\d?\s+\d\s+online", out, re.M)) >= 3,
        "spawn starts 20": "spawn: 20 tasks started over 4 cores" in out,
        "tasks lists workload": re.search(r"^\d+\s+work\s+(runnable|running|waiting)", out, re.M) is not None,
        "unknown command": "shell: unknown command 'bogus' (try help)" in out,
        "spawn usage x4": out.count("spawn: usage: spawn N") == 4,
        "tasks usage": "tasks: usage: tasks [all]" in out,
        "long line": "shell: unknown command 'xxxx" in out,
        "too many words": "shell: too many words" in out,
        "^C abandons": "half a line^C" in out,
        "backspace edits": "cores\n" in out.replace("cor\b \bres", "cores"),
        "history": out.count("cpu  MPIDR") >= 3,
        "test list": "task.ten_thousand_tasks_from_every_core" in out,
        "poweroff": "powering off" in out,
    }
    add_shell_checks(res, "shell: commands and bad input over the serial port", status, out, checks)

    # The collector's commands, and their bad input.
    script = (b"\r" b"gc\r" b"gc stats\r" b"gc mode racy\r" b"gc mode bogus\r" b"gc mode fixed\r"
              b"gc inject off\r" b"gc inject bogus\r" b"gc verify on\r" b"gc verify maybe\r"
              b"gc stress 3\r" b"gc stress 0\r" b"gc bogus\r" b"gc help\r" b"demo bogus\r"
              b"poweroff\r")
    status, out, _ = boot("shell-gc", qemu_cmd(image, 4, append="run=shell"),
                          timeout=180, input_bytes=script)
    checks = {
        "gc runs a cycle": re.search(r"^gc \d+ \(fixed\): stop1 \d+ us, mark \d+ us, stop2 \d+ us", out,
                                     re.M) is not None,
        "gc stats": re.search(r"^gc: \d+ cycles, mode fixed; heap \d+ KiB", out, re.M) is not None,
        "gc mode racy": "gc: mode racy" in out,
        "gc mode bogus": "gc mode: expected fixed or racy, not 'bogus'" in out,
        "gc inject off": "gc: injection off" in out,
        "gc inject bogus": "gc inject: expected publish-early or off, not 'bogus'" in out,
        "gc verify maybe": "gc verify: expected on or off, not 'maybe'" in out,
        "gc verify on": "gc: verifier on" in out,
        "gc stress 3": re.search(r"^gcstress: passed: 3 cycles, every mark verified$", out, re.M) is not None,
        "gc stress 0": "gc stress: N must be a number from 1 to 10000000" in out,
        # gc bogus and gc help; a bad setting word gets its own message instead.
        "usage x2": out.count("gc: usage:") == 2,
        "demo usage": "demo: usage: demo [allgs [long [cycles]]]" in out,
        "poweroff": "powering off" in out,
    }
    add_shell_checks(res, "shell: the gc commands and their bad input", status, out, checks)

    # maxcpus= limits the cores started.
    status, out, _ = boot("maxcpus", qemu_cmd(image, 4, append="run=test:smp maxcpus=2 exit=semihost"))
    res.add("maxcpus=2 starts two cores", status == 0 and "smp: 2 of 2 cpus online" in out,
            f"status {status}")


def make_dtb_with_extra_cpu():
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
        return out
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        print(f"  (test tree: {e})")
        return None


# ---------------------------------------------------------------- Raspberry Pi boards

def build_board(board, bootargs, build, kcflags=""):
    p = subprocess.run(["make", "--no-print-directory", "-s", f"BOARD={board}", f"BUILD={build}",
                        f"BOOTARGS={bootargs}", f"KCFLAGS={kcflags}", "kernel"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p.returncode == 0, p.stdout.decode("utf-8", "replace")


def pi_cmd(machine, image, extra=()):
    return [QEMU, "-M", machine, "-nographic", "-nic", "none", "-monitor", "none", "-serial", "stdio",
            "-semihosting-config", "enable=on,target=native", "-kernel", image] + list(extra)


def check_pi_boot(res, name, status, out, secs, el=2):
    problems = []
    m = KTEST_LINE.search(out)
    if not m:
        problems.append("no ktest summary line")
    if status != 0:
        problems.append("timed out" if status is None else f"exit status {status}")
    if "smp: 4 of 4 cpus online" not in out:
        problems.append("not 4 of 4 cpus online")
    if not re.search(rf"boot core entered at EL{el}", out):
        problems.append(f"not entered at EL{el}")
    problems += check_console_lines(out, 4)
    add_ktest_counts(res, name, m, out)
    res.add(f"{name} boot", not problems,
            "; ".join(problems) if problems else f"{m.group(0)} ({secs:.1f} s)")
    if problems or (m and int(m.group(2))):
        show_failures(out)


def qemu_has_machine(name):
    try:
        out = subprocess.run([QEMU, "-M", "help"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return re.search(rf"^{name}\s", out, re.M) is not None


# run=crash:null: page 0 is unmapped after boot, so reading NULL is a decoded
# data abort (a level-3 fault: only the low pages went, not a whole block).
NULL_REPORT = [r"Data abort \(same EL\).*translation fault, level 3, read",
               r"^FAR  0000000000000000", r"^cpu\d MPIDR \S+, task: \d+ 'main'"]


def check_pi_null(res, board, machine, build):
    """One crash:null boot of a Pi board: its spin table lives in page 0, so the
    cores must be out of it before the unmap.  A relink of the board's test
    build: only main.c sees the built-in boot arguments."""
    ok, log = build_board(board, "run=crash:null exit=semihost", build)
    if not ok:
        res.add(f"{board} build (crash:null)", False, log[-2000:])
        return
    status, out, _ = boot(f"{board} crash:null", pi_cmd(machine, os.path.join(build, "kernel8.img")),
                          timeout=60)
    problems = check_report(out, NULL_REPORT + [r"^smp: 4 of 4 cpus online"])
    if status != 3:
        problems.append(f"exit status {status} (want 3)")
    res.add(f"{board}: panic report: crash:null", not problems, "; ".join(problems))
    if problems:
        print(tail(out))


def check_pi_low_dtb(res, image):
    """Older Pi firmware loads the device tree at 0x100, in the low memory
    unmapped after boot: the kernel must copy it out (the bootinfo tests read
    it back afterwards, the mmu tests check the unmap).  QEMU's x0 is 0x100
    anyway; its loader device puts the tree there."""
    dtb = os.path.join(BUILD, "test-dtb", "rpi4-low.dtb")
    os.makedirs(os.path.dirname(dtb), exist_ok=True)
    p = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dtb,
                        os.path.join(ROOT, "tests", "boards", "rpi4-low.dts")], capture_output=True, text=True)
    if p.returncode != 0:
        res.add("rpi4 low test device tree compiles", False, p.stderr[-1000:])
        return
    name = "rpi4 (QEMU -M raspi4b, device tree at 0x100 like old firmware)"
    status, out, secs = boot(name, pi_cmd("raspi4b", image, ["-device", f"loader,file={dtb},addr=0x100,force-raw=on"]),
                             timeout=120)
    problems = []
    if "(allstop test tree at 0x100)" not in out:
        problems.append("the tree at 0x100 was not read")
    if "mmu: the device tree at 0x100 is in low memory: copied out" not in out:
        problems.append("no 'copied out' line")
    m = KTEST_LINE.search(out)
    if not m or int(m.group(1)) == 0 or int(m.group(2)):
        problems.append(m.group(0) if m else "no ktest summary line")
    if status != 0:
        problems.append("timed out" if status is None else f"exit status {status}")
    res.add(name, not problems, "; ".join(problems) if problems else f"{m.group(0)} ({secs:.1f} s)")
    if problems:
        print(tail(out))


def run_pi(res):
    print("== Raspberry Pi boards under QEMU", flush=True)
    tests = TEST_ARGS

    build = os.path.join(BUILD, "test-raspi3b")
    ok, log = build_board("raspi3b", tests, build)
    if not ok:
        res.add("raspi3b build", False, log[-2000:])
    else:
        name = "raspi3b (QEMU -M raspi3b, 4 x A53, BCM2836 mailboxes)"
        status, out, secs = boot(name, pi_cmd("raspi3b", os.path.join(build, "kernel8.img")))
        check_pi_boot(res, name, status, out, secs, el=2)
        # The ELF has no firmware stub: all four cores start at EL3 together,
        # and three of them wait in allstop's holding pen.
        name = "raspi3b ELF (all cores at EL3, holding pen)"
        status, out, secs = boot(name, pi_cmd("raspi3b", os.path.join(build, "kernel.elf")))
        check_pi_boot(res, name, status, out, secs, el=3)
        check_pi_null(res, "raspi3b", "raspi3b", build)

    if not qemu_has_machine("raspi4b"):
        version = subprocess.run([QEMU, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        res.skip("rpi4 under QEMU -M raspi4b", f"{version} has no raspi4b model (QEMU 9.0 or later has)")
        return
    build = os.path.join(BUILD, "test-rpi4")
    ok, log = build_board("rpi4", tests, build)
    if not ok:
        res.add("rpi4 build", False, log[-2000:])
        return
    image = os.path.join(build, "kernel8.img")
    name = "rpi4 (QEMU -M raspi4b, no device tree, GIC-400)"
    status, out, secs = boot(name, pi_cmd("raspi4b", image))
    check_pi_boot(res, name, status, out, secs)

    # With a Pi 4 device tree (as the firmware passes one): the GIC and UART come
    # from /soc through its ranges, the cores from the spin-table entries.
    dtb = os.path.join(BUILD, "test-dtb", "rpi4-b.dtb")
    os.makedirs(os.path.dirname(dtb), exist_ok=True)
    p = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dtb,
                        os.path.join(ROOT, "tests", "boards", "rpi4-b.dts")], capture_output=True, text=True)
    if p.returncode != 0:
        res.add("rpi4 test device tree compiles", False, p.stderr[-1000:])
        return
    name = "rpi4 (QEMU -M raspi4b, with a device tree)"
    status, out, secs = boot(name, pi_cmd("raspi4b", image, ["-dtb", dtb]))
    if "Raspberry Pi 4 Model B (allstop test tree)" not in out:
        res.add(f"{name}: the tree was read", False, "model line missing")
    check_pi_boot(res, name, status, out, secs)
    check_pi_null(res, "rpi4", "raspi4b", build)
    check_pi_low_dtb(res, image)


def readelf(args, elf):
    cross = os.environ.get("CROSS_COMPILE", "aarch64-linux-gnu-")
    return subprocess.run([cross + "readelf"] + args + [elf], capture_output=True, text=True).stdout


def run_pi_static(res):
    """The image a real Pi 4 boots, checked without booting it."""
    print("== Raspberry Pi 4 image, static checks", flush=True)
    b = os.path.join(BUILD, "rpi4")
    p = subprocess.run(["make", "--no-print-directory", "-s", "BOARD=rpi4", f"BUILD={b}", "kernel"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        res.add("make BOARD=rpi4", False, p.stdout.decode()[-2000:])
        return
    elf, img = os.path.join(b, "kernel.elf"), os.path.join(b, "kernel8.img")
    header = readelf(["-h"], elf)
    entry = re.search(r"Entry point address:\s+0x([0-9a-f]+)", header)
    res.add("rpi4: entry point is the load address 0x80000", bool(entry) and int(entry.group(1), 16) == 0x80000,
            entry.group(0) if entry else "no entry")
    with open(img, "rb") as f:
        first = int.from_bytes(f.read(4), "little")
    res.add("rpi4: kernel8.img starts with a branch (file offset 0 = 0x80000)",
            first & 0xfc000000 == 0x14000000, f"first word {first:#010x}")
    sections = readelf(["-S", "-W"], elf)
    res.add("rpi4: no build-id or other note in front of the code", ".note" not in sections,
            "" if ".note" not in sections else "a .note section is present")
    text = re.search(r"\.text\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)", sections)
    res.add("rpi4: .text is at 0x80000, file offset 0 of the image", bool(text) and int(text.group(1), 16) == 0x80000,
            text.group(0) if text else "no .text")
    syms = readelf(["-s", "-W"], elf)
    vec = re.search(r"^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+\w+\s+GLOBAL\s+\w+\s+\S+\s+vectors$", syms, re.M)
    res.add("rpi4: the vector table is 2 KiB aligned", bool(vec) and int(vec.group(1), 16) % 2048 == 0,
            f"vectors at {vec.group(1) if vec else '?'}")
    with open(os.path.join(b, "config.txt")) as f:
        config = set(l.strip() for l in f if l.strip() and not l.startswith("#"))
    want = {"arm_64bit=1", "kernel_address=0x80000", "enable_uart=1", "init_uart_clock=48000000",
            "enable_gic=1", "kernel=kernel8.img"}
    res.add("rpi4: config.txt has what the firmware needs", want <= config,
            "missing: " + ", ".join(sorted(want - config)) if not want <= config else "")

    # make sdcard (in a build folder of its own, not to touch build/rpi4):
    # without firmware it names the files it needs; with them it fills the
    # folder and builds a FAT image.
    sd = os.path.join(BUILD, "test-sdcard")
    make_sd = ["make", "--no-print-directory", "-s", "BOARD=rpi4", f"BUILD={sd}", "sdcard"]
    p = subprocess.run(make_sd, cwd=ROOT, capture_output=True, text=True)
    boot_dir = os.path.join(sd, "boot")
    names_files = all(n in p.stdout for n in ("start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb"))
    res.add("make sdcard without FIRMWARE_DIR names the firmware files",
            p.returncode == 0 and names_files and os.path.exists(os.path.join(boot_dir, "kernel8.img"))
            and os.path.exists(os.path.join(boot_dir, "config.txt")), p.stdout[-500:])
    fw = os.path.join(BUILD, "test-firmware")
    os.makedirs(fw, exist_ok=True)
    for n in ("start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb"):
        with open(os.path.join(fw, n), "w") as f:
            f.write(f"stand-in for {n}\n")
    p = subprocess.run(make_sd + [f"FIRMWARE_DIR={fw}"], cwd=ROOT, capture_output=True, text=True)
    listing = subprocess.run(["mdir", "-b", "-i", os.path.join(sd, "sdcard.img"), "::"],
                             capture_output=True, text=True).stdout.lower()
    want_files = ("kernel8.img", "config.txt", "start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb")
    res.add("make sdcard FIRMWARE_DIR=... fills the card folder and FAT image",
            p.returncode == 0 and all(os.path.exists(os.path.join(boot_dir, n)) for n in want_files)
            and all(n in listing for n in want_files), (p.stdout + p.stderr)[-800:] + listing)
    p = subprocess.run(make_sd + [f"FIRMWARE_DIR={fw}-nonexistent"], cwd=ROOT, capture_output=True, text=True)
    res.add("make sdcard with a wrong FIRMWARE_DIR fails clearly",
            p.returncode != 0 and "missing" in p.stdout, p.stdout[-300:])


# ---------------------------------------------------------------- crash checks

def check_report(out, expect_cpu_lines):
    problems = []
    headers = re.findall(r"^======== PANIC on cpu(\d+) ========", out, re.M)
    if len(headers) != 1:
        problems.append(f"{len(headers)} panic headers (want exactly 1)")
    for field in ("ESR ", "FAR ", "ELR ", "SPSR ", "x0 ", "x29 ", "x30 ", "sp ", "task:"):
        if field not in out:
            problems.append(f"no {field.strip()} in the report")
    for want in expect_cpu_lines:
        if not re.search(want, out, re.M):
            problems.append(f"missing /{want}/")
    return problems


def run_crash(res, image):
    print("== panic reports", flush=True)
    cases = [
        ("crash:panic", [r"^panic: deliberate panic", r"BRK instruction", r"^cpu1: stopped at ELR"]),
        ("crash:abort", [r"Data abort \(same EL\).*translation fault, level 1, write",
                         r"^FAR  0000007f00000040", r"^cpu0: stopped at ELR"]),
        ("crash:undef", [r"undefined instruction", r"^cpu\d: stopped"]),
        ("crash:null", NULL_REPORT),
        ("crash:double", [r"^panic: simultaneous panic", r"^cpu\d: also panicked: simultaneous panic"]),
    ]
    for action, wants in cases:
        status, out, _ = boot(action, qemu_cmd(image, 4, append=f"run={action} exit=semihost"), timeout=60)
        problems = check_report(out, wants)
        if status != 3:
            problems.append(f"exit status {status} (want 3)")
        res.add(f"panic report: {action}", not problems, "; ".join(problems))
        if problems:
            print(tail(out))
    run_stw_watchdog(res, image)


# The stop-the-world watchdog (kernel/stop.c): at stw_watchdog a warning names
# each silent core, what it was doing and where it was last seen; only at
# stw_panic does the stop panic.
def stw_warning(kind):
    return (rf"^stop-the-world \(crash: {kind}\): cpu(\d) has not answered IPI_STOP after (\d+) ms: "
            r"it was spinning with interrupts masked.*; last seen at PC (0x[0-9a-f]+) (\d+) ms ago")


def function_at(elf, pc):
    """The function of the ELF whose symbol covers pc, or None."""
    syms = readelf(["-s", "-W"], elf)
    for m in re.finditer(r"^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+FUNC\s+\w+\s+\w+\s+\S+\s+(\S+)$", syms, re.M):
        lo, size = int(m.group(1), 16), int(m.group(2))
        if lo <= pc < lo + size:
            return m.group(3)
    return None


def check_stw_warning(out, kind, elf, warn_ms, panic_ms, before):
    """The first warning: after at least warn_ms but before panic_ms, before
    the line matching `before`, and its PC inside spin_masked (kernel/crash.c),
    where the core was last interruptible.  Returns a list of problems."""
    m = re.search(stw_warning(kind), out, re.M)
    if not m:
        return ["no warning naming the silent core, what it was doing and a PC"]
    problems = []
    after, pc = int(m.group(2)), int(m.group(3), 16)
    if not warn_ms <= after < panic_ms:
        problems.append(f"warned after {after} ms, not between stw_watchdog={warn_ms} and stw_panic={panic_ms}")
    fn = function_at(elf, pc)
    if fn != "spin_masked":
        problems.append(f"the warning's PC {pc:#x} is in {fn}, not in spin_masked")
    end = re.search(before, out, re.M)
    if not end:
        problems.append(f"missing /{before}/")
    elif end.start() < m.start():
        problems.append("the warning came after the end of the wait")
    return problems


def run_stw_watchdog(res, image):
    elf = os.path.join(os.path.dirname(image), "kernel.elf")

    # A core masks interrupts for ever: warned about at 100 ms, a panic at 1 s.
    action = "crash:stw-watchdog"
    status, out, _ = boot(action, qemu_cmd(image, 4, append=f"run={action} stw_watchdog=100 stw_panic=1000 "
                                                           "exit=semihost"), timeout=60)
    panic_line = r"^panic: stop-the-world: no answer from cpu\d within 1000 ms \(stw_panic\)$"
    problems = check_stw_warning(out, "stw-watchdog", elf, 100, 1000, panic_line)
    problems += check_report(out, [
        r"^stop-the-world \(crash: stw-watchdog\): still waiting; panic after 1000 ms \(stw_panic\)$",
        r"^stop-the-world \(crash: stw-watchdog\): cpu\d did not answer IPI_STOP within (1\d\d\d|[2-9]\d\d\d) ms: "
        r"it was spinning with interrupts masked.*; last seen at PC 0x[0-9a-f]+ \d+ ms ago",
        panic_line, r"^cpu\d: stopped at ELR .* \(was parked \(world stopped\)\)"])
    # Repeats at 200, 400 and 800 ms: a few lines, not one per tick.
    repeats = len(re.findall(r"^stop-the-world \(crash: stw-watchdog\): still waiting after", out, re.M))
    if not 1 <= repeats <= 4:
        problems.append(f"{repeats} repeated warnings in 1 s (want 1 to 4: at doubling intervals)")
    if status != 3:
        problems.append(f"exit status {status} (want 3)")
    res.add("stw watchdog: a core masked for ever is warned about at stw_watchdog, then a panic at stw_panic",
            not problems, "; ".join(problems))
    if problems:
        print(tail(out))

    # A core masks interrupts for 300 ms, with the default limits (warn after
    # 100 ms, panic after 10 s): a warning, then the stop completes.
    action = "crash:stw-slow"
    status, out, _ = boot(action, qemu_cmd(image, 4, append=f"run={action} exit=semihost"), timeout=60)
    done = r"^stop-the-world \(crash: stw-slow\): every core answered after (\d+) ms$"
    problems = check_stw_warning(out, "stw-slow", elf, 100, 10000, done)
    if "stop-the-world: warn after 100 ms, panic after 10000 ms" not in out:
        problems.append("the default limits are not 100 ms and 10000 ms")
    m = re.search(done, out, re.M)
    if m and int(m.group(1)) < 250:
        problems.append(f"the stop completed after {m.group(1)} ms: it did not wait for the masked core")
    if "PANIC" in out or status != 0:
        problems.append(f"exit status {status} (want 0, no panic)")
    if not re.search(r"^crash: stw-slow: the stop waited \d+ ms for cpu\d, then completed$", out, re.M):
        problems.append("no 'crash: stw-slow: the stop waited' line")
    res.add("stw watchdog: a core masked for 300 ms is warned about, and the stop completes (defaults)",
            not problems, "; ".join(problems))
    if problems:
        print(tail(out))

    # The whole machine paused (as a busy host may do to every vCPU): the
    # time the stopping core itself did not run does not count toward
    # stw_panic.  QEMU is stopped for 4 s after the first warning; with
    # stw_panic=2000 the panic must still come well after it resumes.
    times = {}

    def pause_at_warning(p, line):
        if "has not answered IPI_STOP after" in line and "resumed" not in times:
            os.kill(p.pid, signal.SIGSTOP)
            time.sleep(4)
            times["resumed"] = time.time()
            os.kill(p.pid, signal.SIGCONT)
        if line.startswith("panic: stop-the-world") and "panic" not in times:
            times["panic"] = time.time()

    action = "crash:stw-watchdog"
    status, out, _ = boot(action + " paused", qemu_cmd(image, 4, append=f"run={action} stw_watchdog=100 "
                                                                       "stw_panic=2000 exit=semihost"),
                          timeout=60, on_line=pause_at_warning)
    problems = []
    m = re.search(r"^stop-the-world \(crash: stw-watchdog\): (\d+) ms of the wait, when this core itself did "
                  r"not run, not counted toward stw_panic$", out, re.M)
    if not m or int(m.group(1)) < 3000:
        problems.append("the 4 s pause is not reported as not counted")
    after = times["panic"] - times["resumed"] if len(times) == 2 else None
    if after is None or after < 1.0:
        problems.append(f"the panic came {after if after is None else round(after, 2)} s after the pause "
                        "(want 1 s or more: the pause must not count)")
    if status != 3:
        problems.append(f"exit status {status} (want 3)")
    res.add("stw watchdog: a paused machine's lost time does not count toward stw_panic", not problems,
            "; ".join(problems))
    if problems:
        print(tail(out))


# ---------------------------------------------------------------- collector

GC_STRESS = "run=gcstress cycles={n} gcverify=1 exit=semihost"
RACY = "run=gcstress cycles=40 gc={mode} inject=publish-early exit=semihost"


GCSTRESS_RUN = re.compile(
    r"^gcstress: (?P<run>\d+) of (?P<asked>\d+) cycles run in \d+ ms: (?P<created>\d+) tasks created while "
    r"marking, \d+ children checked, \d+ stacks finished in stop 2, (?P<growths>\d+) slice growths published "
    r"while marking, (?P<nil>\d+) nil tasks read", re.M)


def gcstress_problems(status, out, n, verified=True):
    """What is wrong with a gcstress boot that should pass n cycles (the
    counts come from the kernel's outcome lines, not from its settings)."""
    problems = []
    if status != 0:
        problems.append("timed out" if status is None else f"exit status {status}")
    m = GCSTRESS_RUN.search(out)
    if not m:
        return problems + ["no 'gcstress: N of M cycles run' line"]
    if int(m["run"]) != n or int(m["asked"]) != n:
        problems.append(f"{m['run']} of {m['asked']} cycles run (want {n} of {n})")
    if int(m["nil"]):
        problems.append(f"{m['nil']} nil tasks read")
    if int(m["created"]) == 0:
        problems.append("no task was created while marking")
    want = rf"^gcstress: passed: {n} cycles, " + ("every mark verified$" if verified else "verifier off$")
    if not re.search(want, out, re.M):
        problems.append(f"no '{want[1:-1]}' line")
    return problems


def check_gcstress(res, name, status, out, secs, n):
    problems = gcstress_problems(status, out, n)
    res.add(name, not problems, "; ".join(problems) if problems else f"{secs:.1f} s")
    if problems:
        print(tail(out))


def nil_report_problems(status, out, mode):
    """Go's fatal error, as allstop reports it, in either mode."""
    problems = []
    if not re.search(r"^fatal error: markroot: nil task at index \d+$", out, re.M):
        problems.append("no 'fatal error: markroot: nil task at index N' line")
    if not re.search(rf"^  gc cycle \d+, cpu\d+, mode {mode}, inject=publish-early$", out, re.M):
        problems.append(f"the cycle, core and mode ({mode}) are not reported")
    if not re.search(r"^  snapshot \(stop 1\): array 0x[0-9a-f]+, len \d+$", out, re.M):
        problems.append("the slice state is not reported")
    if status != 3:
        problems.append(f"exit status {status} (want 3: a panic)")
    return problems


def run_gc(res, image, jobs, long):
    print("== the collector under churn, and Go's allgs bug", flush=True)
    n = int(os.environ.get("GC_CYCLES", "1000" if long else "200"))
    # 8 vCPUs, and the raspi3b model, are slow on a 2-core host: half as many
    # cycles there keeps the suite in time (every boot still has the verifier on).
    half = max(1, n // 2)
    cases = [
        (f"gcstress {n} cycles, virt smp=1 mem=256M", qemu_cmd(image, 1, mem="256M",
                                                              append=GC_STRESS.format(n=n)), n),
        (f"gcstress {n} cycles, virt smp=4", qemu_cmd(image, 4, append=GC_STRESS.format(n=n)), n),
        (f"gcstress {half} cycles, virt smp=8 gic=v3 mem=2G",
         qemu_cmd(image, 8, gic=3, mem="2G", append=GC_STRESS.format(n=half)), half),
    ]
    want = {name: k for name, _, k in cases}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = [(name, ex.submit(boot, name, cmd)) for name, cmd, _ in cases]
        build = os.path.join(BUILD, "test-raspi3b-gc")
        ok, log = build_board("raspi3b", GC_STRESS.format(n=half), build)
        if ok:
            name = f"gcstress {half} cycles, raspi3b"
            want[name] = half
            futs.append((name, ex.submit(boot, name, pi_cmd("raspi3b", os.path.join(build, "kernel8.img")))))
        else:
            res.add("raspi3b gcstress build", False, log[-2000:])
        checks = {}
        racy = "gc=racy inject=publish-early: dies with Go's markroot error"
        futs.append((racy, ex.submit(boot, racy, qemu_cmd(image, 4, append=RACY.format(mode="racy")))))
        checks[racy] = lambda status, out: nil_report_problems(status, out, "racy")
        fixed = "gc=fixed inject=publish-early: never fails"
        futs.append((fixed, ex.submit(boot, fixed, qemu_cmd(image, 4, append=RACY.format(mode="fixed")
                                                             + " gcverify=1"))))
        checks[fixed] = fixed_problems
        demo = "demo allgs: racy caught, then fixed clean"
        futs.append((demo, ex.submit(boot, demo, qemu_cmd(image, 4, append="run=allgs exit=semihost"))))
        checks[demo] = demo_problems
        # The same checks must catch a collector whose fixed mode reads the
        # live slice (Go 1.17's bug under another name): a build of its own.
        broken = os.path.join(BUILD, "test-broken-snapshot")
        ok, log = build_board("virt", "", broken, kcflags="-DGC_BREAK_SNAPSHOT")
        if ok:
            bimg = os.path.join(broken, "kernel.img")
            name = "broken snapshot (GC_BREAK_SNAPSHOT): the check that passes gc=fixed fails it"
            futs.append((name, ex.submit(boot, name, qemu_cmd(bimg, 4, append=RACY.format(mode="fixed")
                                                               + " gcverify=1"))))
            checks[name] = broken_problems
            name = "broken snapshot (GC_BREAK_SNAPSHOT): the demo check that passes gc=fixed fails it"
            futs.append((name, ex.submit(boot, name, qemu_cmd(bimg, 4, append="run=allgs exit=semihost"))))
            checks[name] = broken_demo_problems
        else:
            res.add("GC_BREAK_SNAPSHOT build", False, log[-2000:])
        for name, f in futs:
            status, out, secs = f.result()
            if name.startswith("gcstress"):
                check_gcstress(res, name, status, out, secs, want[name])
                continue
            problems = checks[name](status, out)
            res.add(name, not problems, "; ".join(problems))
            if problems:
                print(tail(out))


def fixed_problems(status, out):
    problems = gcstress_problems(status, out, 40)
    if "markroot: nil task" in out:
        problems.append("a nil task was read")
    m = GCSTRESS_RUN.search(out)
    if not m or int(m["growths"]) == 0:
        problems.append("the slice never published a new array while marking: the test proves nothing")
    return problems


def demo_problems(status, out):
    problems = []
    if status != 0:
        problems.append(f"exit status {status}")
    if not re.search(r"^caught: markroot: nil task at index \d+ \(gc cycle \d+, cpu\d+, mode racy", out, re.M):
        problems.append("the racy half caught no nil task")
    if re.search(r"^caught: markroot: nil task .* mode fixed", out, re.M):
        problems.append("the fixed half read a nil task")
    if not re.search(r"-> no nil task, with [1-9]\d* growths while marking", out):
        problems.append("the fixed half did not finish clean with growths while marking")
    return problems


def broken_problems(status, out):
    """The deliberately broken collector must fail fixed_problems, and
    fail it the way the bug fails: Go's nil-task report, in gc=fixed."""
    problems = []
    if not fixed_problems(status, out):
        problems.append("the gc=fixed check passed a collector that reads the live slice")
    problems += nil_report_problems(status, out, "fixed")
    if not re.search(r"^  gc=fixed read a NULL entry below the snapshot's length", out, re.M):
        problems.append("the report does not say the snapshot invariant broke")
    return problems


def broken_demo_problems(status, out):
    """The demo's fixed half must report what the broken collector read."""
    problems = []
    if not demo_problems(status, out):
        problems.append("the demo check passed a collector that reads the live slice")
    if status in (0, None):
        problems.append(f"exit status {status} (want a failure)")
    if not re.search(r"^caught: markroot: nil task at index \d+ \(gc cycle \d+, cpu\d+, mode fixed", out, re.M):
        problems.append("the fixed half caught no nil task")
    if not re.search(r"-> [1-9]\d* NULL tasks read in gc=fixed: the snapshot invariant is broken", out):
        problems.append("the fixed half did not report its nil tasks")
    return problems


# ---------------------------------------------------------------- model

def run_model(res):
    print("== Promela model of the stop-the-world (spin)", flush=True)
    script = os.path.join(ROOT, "tests", "model", "check")
    p = subprocess.run([script], cwd=ROOT, capture_output=True, text=True)
    lines = re.findall(r"^(PASS|FAIL) (model: .*)$", p.stdout, re.M)
    for verdict, what in lines:
        res.add(what, verdict == "PASS")
    if p.returncode != 0 and not any(v == "FAIL" for v, _ in lines):
        res.add("model: tests/model/check ran", False, (p.stdout + p.stderr)[-1500:])
    if not lines:
        res.add("model: tests/model/check printed results", False, (p.stdout + p.stderr)[-1500:])


# ---------------------------------------------------------------- style

def run_style(res):
    print("== source style", flush=True)
    files = subprocess.run(["git", "ls-files", "*.c", "*.h"], cwd=ROOT, capture_output=True,
                           text=True).stdout.split()
    if not files:
        res.skip("clang-format", "not a git checkout")
        return
    try:
        p = subprocess.run(["clang-format", "--dry-run", "--Werror"] + files, cwd=ROOT,
                           capture_output=True, text=True)
    except OSError:
        res.skip("clang-format", "clang-format is not installed")
        return
    bad = sorted(set(re.findall(r"^([^:\s]+):\d+:\d+: error", p.stderr, re.M)))
    res.add("sources are clang-formatted (make format)", p.returncode == 0,
            "differs: " + ", ".join(bad) if bad else "")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["style", "host", "model", "kernel", "boot", "pi", "gc", "crash",
                                       "litmus"],
                    action="append",
                    help="run only these stages (repeatable)")
    ap.add_argument("--quick", action="store_true", help="a smaller QEMU matrix")
    ap.add_argument("--long", action="store_true", help="1,000 collector cycles per churn boot, not 200")
    ap.add_argument("--jobs", type=int, default=2, help="QEMU boots in parallel (default 2)")
    args = ap.parse_args()
    stages = args.only or ["style", "host", "model", "kernel", "boot", "pi", "gc", "crash", "litmus"]

    image = os.path.join(BUILD, "virt", "kernel.img")
    elf = os.path.join(BUILD, "virt", "kernel.elf")
    res = Results()
    start = time.time()
    if "style" in stages:
        run_style(res)
    if "host" in stages:
        run_host(res)
    if "model" in stages:
        run_model(res)
    if any(s in stages for s in ("kernel", "boot", "pi", "gc", "crash", "litmus")) and not os.path.exists(image):
        print(f"no kernel image at {image}: run make first")
        res.add("kernel image exists", False)
    else:
        if "kernel" in stages:
            run_kernel(res, image, args.jobs, args.quick)
        if "boot" in stages:
            run_boot_checks(res, image, elf)
        if "pi" in stages:
            run_pi_static(res)
            run_pi(res)
        if "gc" in stages:
            run_gc(res, image, args.jobs, args.long)
        if "crash" in stages:
            run_crash(res, image)
        if "litmus" in stages:
            import litmus_stage  # tests/litmus_stage.py
            litmus_stage.run(sys.modules[__name__], res)

    print(f"\ntests took {time.time() - start:.0f} s; logs in build/test-logs/")
    if res.failures:
        print("failed: " + ", ".join(res.failures))
    line = f"{res.passed} passed, {res.failed} failed"
    if res.skipped:
        line += f", {res.skipped} skipped"
    print(line)
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
