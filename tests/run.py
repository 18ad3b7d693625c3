#!/usr/bin/env python3
"""tests/run.py — run every allstop test and print one closing line.

Stages (each can be chosen with --only; each lives in tests/stage_<name>.py):
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
          litmus7's log format, tools/litmus, pasted tests
  lessons the nine weak-memory lessons, short runs
  bench   the allstop side of the benchmarks, briefly (binary-trees checks,
          every csv figure a number), and the peer script's parsers
  trace   the per-core tracer: traced churn runs' JSON (tracks, parks within
          stops, stop order, time order), the serial framing, the PNG

Every QEMU boot has a timeout, its full log is kept in build/test-logs/, and a
failing boot prints the end of its log.  build/test-logs/checks.txt lists
every check's verdict and name, then the closing line.  The last line is
"N passed, N failed[, N skipped]"; the exit status is non-zero on any failure.

Environment: TEST_BUILD (build folder, default build/), QEMU, BOOT_TIMEOUT,
GC_CYCLES, CROSS_COMPILE.
"""

import argparse
import os
import sys
import time

sys.dont_write_bytecode = True  # the stage modules leave no tests/__pycache__ in the checkout

import harness
import stage_bench
import stage_boot
import stage_crash
import stage_gc
import stage_host
import stage_kernel
import stage_lessons
import stage_litmus
import stage_model
import stage_pi
import stage_style
import stage_trace
from harness import BUILD, LOGS, Results


def run_litmus(res, opts):
    stage_litmus.run(harness, res)


# (name, function(res, opts), whether it needs the virt kernel image), in
# the order they run: the stages without QEMU come first.
STAGES = [
    ("style", stage_style.run, False),
    ("host", stage_host.run, False),
    ("model", stage_model.run, False),
    ("kernel", stage_kernel.run, True),
    ("boot", stage_boot.run, True),
    ("pi", stage_pi.run, True),
    ("gc", stage_gc.run, True),
    ("crash", stage_crash.run, True),
    ("litmus", run_litmus, True),
    ("lessons", stage_lessons.run, True),
    ("bench", stage_bench.run, True),
    ("trace", stage_trace.run, True),
]
STAGE_NAMES = [name for name, _, _ in STAGES]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=STAGE_NAMES, action="append", help="run only these stages (repeatable)")
    ap.add_argument("--quick", action="store_true", help="a smaller QEMU matrix")
    ap.add_argument("--long", action="store_true", help="1,000 collector cycles per churn boot, not 200")
    ap.add_argument("--jobs", type=int, default=2, help="QEMU boots in parallel (default 2)")
    opts = ap.parse_args()
    opts.image = os.path.join(BUILD, "virt", "kernel.img")
    opts.elf = os.path.join(BUILD, "virt", "kernel.elf")
    return opts


def run_stages(res, opts):
    chosen = opts.only or STAGE_NAMES
    for name, run, needs_image in STAGES:
        if name not in chosen:
            continue
        if needs_image and not os.path.exists(opts.image):
            # Once, then none of the stages that boot it.
            print(f"no kernel image at {opts.image}: run make first")
            res.add("kernel image exists", False)
            return
        run(res, opts)


def main():
    opts = parse_args()
    res = Results()
    start = time.time()
    run_stages(res, opts)
    print(f"\ntests took {time.time() - start:.0f} s; logs in build/test-logs/")
    if res.failures:
        print("failed: " + ", ".join(res.failures))
    res.write_names(os.path.join(LOGS, "checks.txt"))
    print(res.summary())
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
