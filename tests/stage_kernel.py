"""tests/stage_kernel.py — the `kernel` stage: the in-kernel suites
(tests/kernel/, run=test) booted under QEMU virt in a matrix of machines.

Every in-kernel test counts as one check (ktest's summary line gives the
counts); the boot itself is one more check: it exited cleanly, started every
core, found all the RAM, reports the exception level it was entered at and
the GIC it chose, and no console line was damaged by another core's output.
--quick boots only the first three machines.
"""

import concurrent.futures
import re

from harness import (KTEST_LINE, TEST_ARGS, add_ktest_counts, boot, check_console_lines, cpus_online_problems,
                     mem_mib, qemu_cmd, show_failures, status_problems)

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

RAM_LINE = re.compile(r"^ram: (\d+) MiB", re.M)
ENTRY_EL = re.compile(r"boot core entered at EL(\d)")


def gic_marker(version):
    return f"irq: GICv{version}"


def matrix_name(smp, gic, cpu, el2, mem):
    return f"virt smp={smp} gic=v{gic} cpu={cpu} el={2 if el2 else 1} mem={mem}"


def boot_one(image, cfg):
    smp, gic, cpu, el2, mem = cfg
    name = matrix_name(*cfg)
    status, out, secs = boot(name, qemu_cmd(image, smp, gic, cpu, el2, mem, TEST_ARGS))
    return cfg, name, status, out, secs


def machine_problems(cfg, status, out):
    """The boot as a machine: what is wrong with cores, RAM, EL, GIC, console."""
    smp, gic, cpu, el2, mem = cfg
    problems = [] if KTEST_LINE.search(out) else ["no ktest summary line"]
    if status != 0:
        problems += status_problems(status)
    problems += cpus_online_problems(out, smp)
    ram = RAM_LINE.search(out)
    if not ram or int(ram.group(1)) != mem_mib(mem):
        problems.append(f"expected ram: {mem_mib(mem)} MiB, got {ram.group(0) if ram else 'no ram line'}")
    problems += check_console_lines(out, smp)
    el = ENTRY_EL.search(out)
    if not el or int(el.group(1)) != (2 if el2 else 1):
        problems.append("entry EL not reported as EL%d" % (2 if el2 else 1))
    if gic_marker(gic) not in out:
        problems.append(f"GICv{gic} not chosen")
    return problems


def check_matrix_boot(res, cfg, name, status, out, secs):
    m = KTEST_LINE.search(out)
    problems = machine_problems(cfg, status, out)
    add_ktest_counts(res, name, m, out)
    detail = f"{m.group(0) if m else 'no summary'} ({secs:.1f} s)"
    # The boot itself (cores, RAM, EL, GIC, clean exit) is one more test.
    res.add(f"{name} boot", not problems, "; ".join(problems) if problems else detail)
    if problems or (m and int(m.group(2))):
        show_failures(out)


def run(res, opts):
    print("== in-kernel tests under QEMU virt", flush=True)
    matrix = MATRIX[:3] if opts.quick else MATRIX
    with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as ex:
        for r in ex.map(lambda c: boot_one(opts.image, c), matrix):
            check_matrix_boot(res, *r)
