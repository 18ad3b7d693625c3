#!/usr/bin/env python3
"""tests/run.py — run every allstop test and print one closing line.

Stages (each can be chosen with --only):
  style   the C sources are clang-formatted
  host    the host unit tests (cmocka, ASan + UBSan): tests/host/Makefile
  kernel  the in-kernel suites, booted under QEMU in a matrix of machines
  boot    boot-level checks: cores online, RAM size, boot arguments, ELF boot
  crash   the panic path: deliberate faults give one complete report

Every QEMU boot has a timeout, its full log is kept in build/test-logs/, and a
failing boot prints the end of its log.  The last line is
"N passed, N failed[, N skipped]"; the exit status is non-zero on any failure.
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGS = os.path.join(ROOT, "build", "test-logs")
QEMU = os.environ.get("QEMU", "qemu-system-aarch64")
BOOT_TIMEOUT = int(os.environ.get("BOOT_TIMEOUT", "240"))

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


def boot(name, cmd, timeout=BOOT_TIMEOUT):
    """Run QEMU; returns (exit status or None on timeout, output, seconds).

    The log in build/test-logs/ stamps each line with the time it arrived,
    so a slow boot shows where the time went."""
    os.makedirs(LOGS, exist_ok=True)
    start = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    lines = []

    def reader():
        for raw in p.stdout:
            lines.append((time.time() - start, raw.decode("utf-8", "replace").rstrip("\r\n")))

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
    p = subprocess.run(["make", "--no-print-directory", "-f", "tests/host/Makefile", "run"],
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
    status, out, secs = boot(name, qemu_cmd(image, smp, gic, cpu, el2, mem, "run=test exit=semihost"))
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
    if m:
        p, f, s = (int(x) for x in m.groups())
        res.passed += p
        res.failed += f
        res.skipped += s
        for t in re.findall(r"^\[     FAIL \] (\S+)", out, re.M):
            res.failures.append(f"{name}: {t}")
    detail = f"{m.group(0) if m else 'no summary'} ({secs:.1f} s)"
    # The boot itself (cores, RAM, EL, GIC, clean exit) is one more test.
    res.add(f"{name} boot", not problems, "; ".join(problems) if problems else detail)
    if problems or (m and int(m.group(2))):
        for l in re.findall(r"^    FAIL .*$", out, re.M):
            print("   ", l)
        print(tail(out))


def run_kernel(res, image, jobs, quick):
    print("== in-kernel tests under QEMU virt", flush=True)
    matrix = MATRIX[:3] if quick else MATRIX
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        for r in ex.map(lambda c: run_matrix_one(image, c), matrix):
            check_matrix_boot(res, *r)


# ---------------------------------------------------------------- boot checks

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
    build = os.path.join(ROOT, "build", "test-bootargs")
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

    # maxcpus= limits the cores started.
    status, out, _ = boot("maxcpus", qemu_cmd(image, 4, append="run=test:smp maxcpus=2 exit=semihost"))
    res.add("maxcpus=2 starts two cores", status == 0 and "smp: 2 of 2 cpus online" in out,
            f"status {status}")


def make_dtb_with_extra_cpu():
    """QEMU's own virt tree with one more cpu node, MPIDR 0x100, that no core has."""
    d = os.path.join(ROOT, "build", "test-dtb")
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
    ap.add_argument("--only", choices=["style", "host", "kernel", "boot", "crash"], action="append",
                    help="run only these stages (repeatable)")
    ap.add_argument("--quick", action="store_true", help="a smaller QEMU matrix")
    ap.add_argument("--jobs", type=int, default=2, help="QEMU boots in parallel (default 2)")
    args = ap.parse_args()
    stages = args.only or ["style", "host", "kernel", "boot", "crash"]

    image = os.path.join(ROOT, "build", "virt", "kernel.img")
    elf = os.path.join(ROOT, "build", "virt", "kernel.elf")
    res = Results()
    start = time.time()
    if "style" in stages:
        run_style(res)
    if "host" in stages:
        run_host(res)
    if any(s in stages for s in ("kernel", "boot", "crash")) and not os.path.exists(image):
        print(f"no kernel image at {image}: run make first")
        res.add("kernel image exists", False)
    else:
        if "kernel" in stages:
            run_kernel(res, image, args.jobs, args.quick)
        if "boot" in stages:
            run_boot_checks(res, image, elf)
        if "crash" in stages:
            run_crash(res, image)

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
