"""tests/stage_bench.py — the `bench` stage: the allstop side of every
benchmark, briefly, and the peer script's parsers on saved output.

Benchmarks print numbers; nothing here is timed.  What is checked:
  - binary-trees (run=bench:trees) at a tiny depth, on 1 and 4 cores of
    virt with a small heap (so cycles run): every check line is the one
    the workload must print (computed here, independently of the kernel),
    the run says `checks ok`, it recorded both pauses of every cycle, and
    at least one cycle ran;
  - every benchmark's csv lines (trees, stw, yield, alloc, loop, trace_cost)
    parse, each row has its header's number of fields, and every figure is a
    number (only the label columns may hold words);
  - run=bench:tracecost measured every figure on both sides, recorded events
    in its traced blocks and none in the others, and dropped none; its
    control (the same rounds with tracing off on both sides) has every
    figure too and recorded nothing at all; one trace point recording costs
    no less than the counter read inside it, which costs more than a point
    that is off;
  - bad input: an unknown benchmark is named and fails the run; a depth out
    of range is refused with its range; the tracer's cost with tracing on
    from boot is refused with the reason;
  - tests/test_bench_parse.py: the parsers of tools/bench-peers on saved real
    output of Go's gctrace, Boehm's GC_PRINT_STATS and allstop.
"""

import os
import subprocess
import sys

from harness import ROOT, boot, qemu_cmd, status_problems

sys.path.insert(0, os.path.join(ROOT, "tools"))
import benchlib  # noqa: E402  (tools/benchlib.py: the benchmark scripts' parsers)

# Columns that hold words, not figures, in the kernel's csv tables.
LABEL_COLUMNS = {"checks", "test", "barrier", "op", "kind", "what"}
# run=bench:tracecost's rows, and the samples each side must have (tracecost.c)
TRACE_COST_SAMPLES = {"stw_latency": 2000, "stw_pause": 2000, "gc_stop1": 200, "gc_stop2": 200}
TREES = dict(depth=10, long=11)


def csv_problems(out, want_tables):
    """Every csv table parses, has rows, and holds numbers outside LABEL_COLUMNS."""
    try:
        tables = benchlib.parse_csv_lines(out)
    except ValueError as e:
        return [str(e)], {}
    problems = [f"no csv table {t}" for t in want_tables if not tables.get(t, {}).get("rows")]
    for name, t in tables.items():
        for i, row in enumerate(t["rows"], 1):
            for col, val in zip(t["header"], row):
                if col in LABEL_COLUMNS:
                    continue
                try:
                    benchlib.number(val, f"{name} row {i} {col}")
                except ValueError as e:
                    problems.append(str(e))
    return problems, tables


def trees_problems(out, tables, cores, workers):
    problems = []
    want = benchlib.expected_checks(TREES["depth"], TREES["long"])
    got = benchlib.parse_checks(out)
    if got != want:
        problems.append(f"check lines {got} != {want}")
    rows = benchlib.table_dicts(tables.get("trees", {"header": [], "rows": []}))
    if len(rows) != 1:
        return problems + [f"{len(rows)} trees rows, want 1"]
    r = rows[0]
    if r["checks"] != "ok":
        problems.append(f"the run says checks {r['checks']}")
    if (int(r["cores"]), int(r["workers"])) != (cores, workers):
        problems.append(f"cores/workers {r['cores']}/{r['workers']}, want {cores}/{workers}")
    cycles = int(r["cycles"])
    pauses = tables.get("trees_pauses", {"rows": []})["rows"]
    if cycles < 1:
        problems.append("no collector cycle ran (a 2 MiB heap should need several)")
    if len(pauses) != 2 * cycles:
        problems.append(f"{len(pauses)} pause rows for {cycles} cycles (want both stops of each)")
    return problems


def trace_cost_problems(tables):
    """run=bench:tracecost: both sides of every figure measured, tracing really
    on in the traced blocks and really off in the others, nothing dropped."""
    rows = benchlib.table_dicts(tables.get("trace_cost", {"header": [], "rows": []}))
    got = {r["what"]: r for r in rows}
    if set(got) != set(TRACE_COST_SAMPLES):
        return [f"trace_cost rows {sorted(got)}, want {sorted(TRACE_COST_SAMPLES)}"]
    problems = []
    for what, r in got.items():
        if int(r["samples_each"]) != TRACE_COST_SAMPLES[what]:
            problems.append(f"trace_cost {what}: {r['samples_each']} samples, want {TRACE_COST_SAMPLES[what]}")
        if float(r["off_median_ns"]) <= 0 or float(r["on_median_ns"]) <= 0:
            problems.append(f"trace_cost {what}: a median of 0")
        if int(r["events_on"]) < 2000:  # every traced stop records its request at least
            problems.append(f"trace_cost {what}: only {r['events_on']} events with tracing on")
        if int(r["events_off"]) != 0:
            problems.append(f"trace_cost {what}: {r['events_off']} events with tracing off")
        if int(r["dropped"]) != 0:
            problems.append(f"trace_cost {what}: {r['dropped']} events dropped")
    control = {r["what"]: r for r in benchlib.table_dicts(tables.get("trace_cost_control",
                                                                     {"header": [], "rows": []}))}
    if set(control) != set(TRACE_COST_SAMPLES):
        problems.append(f"trace_cost_control rows {sorted(control)}, want {sorted(TRACE_COST_SAMPLES)}")
    for what, r in control.items():
        if int(r["samples_each"]) != TRACE_COST_SAMPLES.get(what, -1):
            problems.append(f"trace_cost_control {what}: {r['samples_each']} samples")
        if int(r["events_on"]) + int(r["events_off"]) != 0:
            problems.append(f"trace_cost_control {what}: events recorded with tracing off")
    return problems + event_cost_problems(tables)


def event_cost_problems(tables):
    """One trace point (tracepoint.c): every state measured, and an event
    recorded no cheaper than the counter read inside it, which costs more
    than a point that is off (a point that recorded nothing would cost a
    NOP's step)."""
    rows = {r["what"]: r for r in benchlib.table_dicts(tables.get("trace_event_cost", {"header": [], "rows": []}))}
    want = {"loop", "counter_read", "off", "on", "masked", "dropped"}
    if set(rows) != want:
        return [f"trace_event_cost rows {sorted(rows)}, want {sorted(want)}"]
    ps = {w: float(r["least_ps_each"]) for w, r in rows.items()}
    if not (ps["loop"] > 0 and ps["off"] < ps["counter_read"] <= min(ps["on"], ps["masked"]) and ps["dropped"] > 0):
        return [f"trace_event_cost (ps each): {ps}: want loop > 0, off < counter read <= recording, dropping > 0"]
    return []


def run_trees(res, opts, cores, workers):
    name = f"bench: binary-trees depth {TREES['depth']}, {workers} workers, virt {cores} cores"
    extra = ",bench:stw,bench:yield,bench:alloc,bench:loop,bench:tracecost" if cores == 4 else ""
    append = (f"run=bench:trees{extra} depth={TREES['depth']} long={TREES['long']} "
              f"workers={workers} gcheap=2{' tracebuf=65536' if extra else ''} exit=semihost")
    status, out, secs = boot(name, qemu_cmd(opts.image, cores, append=append))
    want = ["trees", "trees_pauses"] + (["stw", "yield", "alloc", "loop", "trace_cost", "trace_cost_control",
                                         "trace_event_cost"] if extra else [])
    problems, tables = csv_problems(out, want)
    problems = status_problems(status) + problems + trees_problems(out, tables, cores, workers)
    if extra:
        problems += trace_cost_problems(tables)
    res.add(name, not problems, f"{secs:.0f} s; " + "; ".join(problems[:6]))


def run_bad_input(res, opts):
    name = ("bench: an unknown benchmark, a depth out of range and the tracer's cost with tracing on "
            "are refused by name")
    status, out, _ = boot(name, qemu_cmd(opts.image, 2, append="trace=on run=bench:nosuch,bench:trees,bench:tracecost "
                                                            "depth=99 exit=semihost"))
    problems = []
    if status in (0, None):
        problems.append(f"exit status {status}, want a failure")
    if "bench: no benchmark 'nosuch'" not in out:
        problems.append("no message naming the unknown benchmark")
    if "bench:trees: depth=99: expected a number from 1 to 23" not in out:
        problems.append("no message refusing depth=99")
    if "trace cost bench: tracing is on; this benchmark turns it on and off itself" not in out:
        problems.append("bench:tracecost ran with tracing on from boot, or said nothing")
    res.add(name, not problems, "; ".join(problems))


def run_parsers(res):
    script = os.path.join(ROOT, "tests", "test_bench_parse.py")
    p = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=120)
    fails = [l for l in p.stdout.splitlines() if l.startswith("FAIL")]
    oks = [l for l in p.stdout.splitlines() if l.startswith("ok")]
    res.add("bench: the peer script's parsers on saved Go, Boehm and allstop output",
            p.returncode == 0 and oks and not fails,
            f"{len(oks)} ok, {len(fails)} failed; " + "; ".join(fails[:4]) + p.stderr[-300:])


def run(res, opts):
    print("== benchmarks (allstop's side, briefly; the peers' parsers)", flush=True)
    run_parsers(res)
    run_trees(res, opts, 1, 1)
    run_trees(res, opts, 4, 4)
    run_bad_input(res, opts)
