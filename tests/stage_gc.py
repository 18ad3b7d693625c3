"""tests/stage_gc.py — the `gc` stage: the collector under churn, and Go's
allgs bug.

  - the churn workload (run=gcstress) for GC_CYCLES cycles (200; 1,000 with
    --long) with the verifier on, on 1 and 4 cores of virt, half as many on
    8 cores and on raspi3b: every cycle run, no nil task read, some tasks
    created while marking, and gcstress's own `passed:` line;
  - Go's allgs bug reproduced: gc=racy inject=publish-early dies with Go's
    report (`fatal error: markroot: nil task at index N`), and the same with
    gc=fixed never fails, while the slice did grow during marking (else the
    test proves nothing); the allgs demo catches the racy half only;
  - the checks are themselves checked: a collector built to read the live
    slice in gc=fixed (KCFLAGS=-DGC_BREAK_SNAPSHOT) must fail them.

The figures come from the kernel's outcome lines (gcstress's summary, read
field by field by its keys), not from the settings asked for.  The boots run
--jobs at a time; the builds happen while the first boots run.
"""

import concurrent.futures
import os
import re

from harness import BUILD, PANIC_STATUS, boot, build_board, pi_cmd, qemu_cmd, status_problems

GC_STRESS = "run=gcstress cycles={n} gcverify=1 exit=semihost"
RACY = "run=gcstress cycles=40 gc={mode} inject=publish-early exit=semihost"
ALLGS_DEMO = "run=allgs exit=semihost"
BUG_CYCLES = 40

# ---------------------------------------------------------------- markers

# gcstress's summary: "gcstress: R of A cycles run in T ms: ..., then
# "<figure> <key>" fields, read one by one.
GCSTRESS_RUN = re.compile(r"^gcstress: (?P<run>\d+) of (?P<asked>\d+) cycles run\b.*$", re.M)
GCSTRESS_FIELDS = {"created": r"(\d+) tasks created while marking",
                   "growths": r"(\d+) slice growths",
                   "nil": r"(\d+) nil tasks read"}
# gcstress's verdict: the cycles and whether every mark was verified.
GCSTRESS_PASSED = "gcstress: passed: {n} cycles, {verified}"
VERIFIED, NOT_VERIFIED = "every mark verified", "verifier off"
# Go's own fatal error (runtime/mgcmark.go), then allstop's context lines.
NIL_TASK = r"^fatal error: markroot: nil task at index \d+$"
NIL_CONTEXT = r"^  gc cycle \d+, cpu\d+, mode {mode}, inject=publish-early$"
NIL_SNAPSHOT = r"^  snapshot \(stop 1\): array 0x[0-9a-f]+, len \d+$"
NIL_BELOW_SNAPSHOT = r"^  gc=fixed read a NULL entry below the snapshot's length"
# The allgs demo (run=allgs): a caught nil task per mode, then each half's result.
DEMO_CAUGHT = r"^caught: markroot: nil task at index \d+ \(gc cycle \d+, cpu\d+, mode {mode}"
DEMO_CAUGHT_FIXED_ANY = r"^caught: markroot: nil task .* mode fixed"
DEMO_FIXED_CLEAN = r"-> no nil task, with [1-9]\d* growths while marking"
DEMO_FIXED_BROKEN = r"-> [1-9]\d* NULL tasks read in gc=fixed"


def has(pattern, out):
    return re.search(pattern, out, re.M) is not None


def gcstress_figures(out):
    """gcstress's summary as numbers: run, asked, created, growths, nil; or None."""
    m = GCSTRESS_RUN.search(out)
    if not m:
        return None
    figures = {"run": int(m["run"]), "asked": int(m["asked"])}
    for key, pattern in GCSTRESS_FIELDS.items():
        f = re.search(pattern, m.group(0))
        figures[key] = int(f.group(1)) if f else None
    return figures


# ---------------------------------------------------------------- the checks

def gcstress_problems(status, out, n, verified=True):
    """What is wrong with a gcstress boot that should pass n cycles (the
    counts come from the kernel's outcome lines, not from its settings)."""
    problems = status_problems(status)
    g = gcstress_figures(out)
    if not g:
        return problems + ["no 'gcstress: N of M cycles run' line"]
    problems += [f"no '{GCSTRESS_FIELDS[k]}' figure in gcstress's summary" for k in GCSTRESS_FIELDS if g[k] is None]
    if g["run"] != n or g["asked"] != n:
        problems.append(f"{g['run']} of {g['asked']} cycles run (want {n} of {n})")
    if g["nil"] != 0:
        problems.append(f"{g['nil']} nil tasks read")
    if not g["created"]:
        problems.append("no task was created while marking")
    want = GCSTRESS_PASSED.format(n=n, verified=VERIFIED if verified else NOT_VERIFIED)
    if not has("^" + re.escape(want) + "$", out):
        problems.append(f"no '{want}' line")
    return problems


def nil_report_problems(status, out, mode):
    """Go's fatal error, as allstop reports it, in either mode."""
    problems = []
    if not has(NIL_TASK, out):
        problems.append("no 'fatal error: markroot: nil task at index N' line")
    if not has(NIL_CONTEXT.format(mode=mode), out):
        problems.append(f"the cycle, core and mode ({mode}) are not reported")
    if not has(NIL_SNAPSHOT, out):
        problems.append("the slice state is not reported")
    return problems + status_problems(status, PANIC_STATUS)


def racy_problems(status, out):
    return nil_report_problems(status, out, "racy")


def fixed_problems(status, out):
    problems = gcstress_problems(status, out, BUG_CYCLES)
    if "markroot: nil task" in out:
        problems.append("a nil task was read")
    g = gcstress_figures(out)
    if not g or not g["growths"]:
        problems.append("the slice never published a new array while marking: the test proves nothing")
    return problems


def demo_problems(status, out):
    problems = status_problems(status)
    if not has(DEMO_CAUGHT.format(mode="racy"), out):
        problems.append("the racy half caught no nil task")
    if has(DEMO_CAUGHT_FIXED_ANY, out):
        problems.append("the fixed half read a nil task")
    if not has(DEMO_FIXED_CLEAN, out):
        problems.append("the fixed half did not finish clean with growths while marking")
    return problems


def broken_problems(status, out):
    """The deliberately broken collector must fail fixed_problems, and
    fail it the way the bug fails: Go's nil-task report, in gc=fixed."""
    problems = []
    if not fixed_problems(status, out):
        problems.append("the gc=fixed check passed a collector that reads the live slice")
    problems += nil_report_problems(status, out, "fixed")
    if not has(NIL_BELOW_SNAPSHOT, out):
        problems.append("the report does not say the snapshot invariant broke")
    return problems


def broken_demo_problems(status, out):
    """The demo's fixed half must report what the broken collector read."""
    problems = []
    if not demo_problems(status, out):
        problems.append("the demo check passed a collector that reads the live slice")
    problems += status_problems(status, "failure")
    if not has(DEMO_CAUGHT.format(mode="fixed"), out):
        problems.append("the fixed half caught no nil task")
    if not has(DEMO_FIXED_BROKEN, out):
        problems.append("the fixed half did not report its nil tasks")
    return problems


# ---------------------------------------------------------------- the cases

def churn(n):
    return lambda status, out: gcstress_problems(status, out, n)


def churn_cases(image, n, half):
    """(name, QEMU command, check) of the churn boots on virt."""
    return [
        (f"gcstress {n} cycles, virt smp=1 mem=256M", qemu_cmd(image, 1, mem="256M", append=GC_STRESS.format(n=n)),
         churn(n)),
        (f"gcstress {n} cycles, virt smp=4", qemu_cmd(image, 4, append=GC_STRESS.format(n=n)), churn(n)),
        (f"gcstress {half} cycles, virt smp=8 gic=v3 mem=2G",
         qemu_cmd(image, 8, gic=3, mem="2G", append=GC_STRESS.format(n=half)), churn(half)),
    ]


def bug_cases(image):
    """Go's allgs bug, racy and fixed, and the demo."""
    return [
        ("gc=racy inject=publish-early: dies with Go's markroot error",
         qemu_cmd(image, 4, append=RACY.format(mode="racy")), racy_problems),
        ("gc=fixed inject=publish-early: never fails",
         qemu_cmd(image, 4, append=RACY.format(mode="fixed") + " gcverify=1"), fixed_problems),
        ("demo allgs: racy caught, then fixed clean", qemu_cmd(image, 4, append=ALLGS_DEMO), demo_problems),
    ]


def broken_cases(image):
    """The same checks on a collector whose fixed mode reads the live slice
    (Go 1.17's bug under another name)."""
    return [
        ("broken snapshot (GC_BREAK_SNAPSHOT): the check that passes gc=fixed fails it",
         qemu_cmd(image, 4, append=RACY.format(mode="fixed") + " gcverify=1"), broken_problems),
        ("broken snapshot (GC_BREAK_SNAPSHOT): the demo check that passes gc=fixed fails it",
         qemu_cmd(image, 4, append=ALLGS_DEMO), broken_demo_problems),
    ]


def raspi3b_cases(res, half):
    build = os.path.join(BUILD, "test-raspi3b-gc")
    ok, log = build_board("raspi3b", GC_STRESS.format(n=half), build)
    if not ok:
        res.add("raspi3b gcstress build", False, log[-2000:])
        return []
    return [(f"gcstress {half} cycles, raspi3b", pi_cmd("raspi3b", os.path.join(build, "kernel8.img")), churn(half))]


def broken_build_cases(res):
    broken = os.path.join(BUILD, "test-broken-snapshot")
    ok, log = build_board("virt", "", broken, kcflags="-DGC_BREAK_SNAPSHOT")
    if not ok:
        res.add("GC_BREAK_SNAPSHOT build", False, log[-2000:])
        return []
    return broken_cases(os.path.join(broken, "kernel.img"))


def cycles(long):
    return int(os.environ.get("GC_CYCLES", "1000" if long else "200"))


def run(res, opts):
    print("== the collector under churn, and Go's allgs bug", flush=True)
    n = cycles(opts.long)
    # 8 vCPUs, and the raspi3b model, are slow on a 2-core host: half as many
    # cycles there keeps the suite in time (every boot still has the verifier on).
    half = max(1, n // 2)
    with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as ex:
        running = []

        def start(cases):
            running.extend((name, check, ex.submit(boot, name, cmd)) for name, cmd, check in cases)

        start(churn_cases(opts.image, n, half))
        start(raspi3b_cases(res, half))
        start(bug_cases(opts.image))
        start(broken_build_cases(res))
        for name, check, f in running:
            status, out, secs = f.result()
            res.add_problems(name, check(status, out), out, ok_detail=f"{secs:.1f} s")
