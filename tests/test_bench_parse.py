#!/usr/bin/env python3
"""tests/test_bench_parse.py — the benchmark scripts' parsers on saved real output.

tools/bench and tools/bench-peers read the kernel's csv lines, Go's gctrace,
Boehm's GC_PRINT_STATS and the binary-trees check lines through the functions
of tools/benchlib.py.  This runs them on output captured from real runs
(tests/bench/*.txt: the peers under qemu-aarch64, the kernel under
qemu-system-aarch64) and on small made-up lines for the error cases, with no
QEMU.  Prints one "ok"/"FAIL" line per check and "N passed, N failed"; the
exit status is non-zero on any failure.
"""

import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))
import benchlib as bl  # noqa: E402

SAMPLES = os.path.join(HERE, "bench")
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok    {name}")
    else:
        failed += 1
        print(f"FAIL  {name}" + (f": {detail}" if detail else ""))


def raises(fn, *args):
    try:
        fn(*args)
    except ValueError as e:
        return str(e)
    return None


def sample(name):
    with open(os.path.join(SAMPLES, name)) as f:
        return f.read()


def close(a, b):
    return a is not None and abs(a - b) < 1e-9


def test_checks():
    want = bl.expected_checks(10, 12)
    check("expected checks: 6 lines for depth 10, long 12 (depths 4, 6, 8, 10)", len(want) == 6, want)
    check("expected checks: the stretch tree of depth 11 has 4095 nodes",
          want[0] == "stretch tree of depth 11 check: 4095", want[0])
    check("expected checks: 1024 trees of depth 4 give 31744 nodes",
          want[1] == "1024 trees of depth 4 check: 31744", want[1])
    check("expected checks: the long-lived tree of depth 12", want[-1] == "long lived tree of depth 12 check: 8191")
    check("expected checks: a depth under 6 is raised to 6 (and long with it)",
          bl.expected_checks(3)[0] == "stretch tree of depth 7 check: 255" and
          bl.expected_checks(3)[-1] == "long lived tree of depth 6 check: 127")
    for name, d, l in [("boehm_d10_l12_w2.txt", 10, 12), ("malloc_d10_l12_w2.txt", 10, 12),
                       ("go_d12_l14_w2.txt", 12, 14), ("allstop_d12_l12_w2.txt", 12, 12)]:
        got = bl.parse_checks(sample(name))
        check(f"check lines of {name} equal the expected ones", got == bl.expected_checks(d, l), got)
    # A wrong count must show up as a difference.
    text = sample("malloc_d10_l12_w2.txt").replace("check: 32704", "check: 32703")
    check("a changed check line is seen as different",
          bl.parse_checks(text) != bl.expected_checks(10, 12))


def test_wall():
    check("wall_ms of the Boehm sample", bl.parse_wall_ms(sample("boehm_d10_l12_w2.txt")) == 183)
    check("wall_ms of the Go sample", bl.parse_wall_ms(sample("go_d12_l14_w2.txt")) == 533)
    check("no wall_ms line gives None", bl.parse_wall_ms("stretch tree of depth 7\t check: 255\n") is None)


def test_gctrace():
    p = bl.parse_gctrace(sample("go_d12_l14_w2.txt"))
    check("gctrace: 3 cycles, two stops each", len(p) == 6, p)
    check("gctrace: cycle 1's stops are the 1st and 3rd clock figures (5.0, 3.3), not the concurrent 69",
          p[:2] == [(1, 1, 5.0), (1, 2, 3.3)], p[:2])
    check("gctrace: cycle 3", p[4:] == [(3, 1, 0.44), (3, 2, 0.19)], p[4:])
    s = bl.pause_summary(p)
    check("gctrace summary: max and median after the first cycle",
          s["cycles"] == 3 and close(s["max"], 0.58) and close(s["median"], (0.44 + 0.57) / 2), s)
    check("gctrace: a forced cycle's line is read too",
          bl.parse_gctrace("gc 9 @1.5s 3%: 0.1+2+0.2 ms clock, 0.2+0/1/0+0.4 ms cpu, 4->4->1 MB, 5 MB goal, "
                           "0 MB stacks, 0 MB globals, 1 P (forced)\n") == [(9, 1, 0.1), (9, 2, 0.2)])


def test_boehm():
    text = sample("boehm_d10_l12_w2.txt")
    p = bl.parse_boehm_stats(text)
    check("Boehm stats: one stop per collection (14 in the sample)",
          len(p) == 14 and len(p) == text.count("World-stopped marking took"), len(p))
    check("Boehm stats: collections numbered 1..14 in order", [c for c, _, _ in p] == list(range(1, 15)))
    check("Boehm stats: 'X ms Y ns' is X + Y/1e6 ms (4 ms 144835 ns = 4.144835 ms)",
          p[0][0] == 1 and close(p[0][2], 4.144835), p[0])
    check("Boehm stats: collection 2 took 1.223385 ms", close(p[1][2], 1.223385), p[1])
    check("Boehm stats: a stop time before any collection line is an error",
          raises(bl.parse_boehm_stats, "World-stopped marking took 1 ms 2 ns (1 ms in average)\n") is not None)
    check("Boehm stats: two stop times for one collection line is an error (no cycle counted twice)",
          raises(bl.parse_boehm_stats, "--> Marking for collection #3 after 0 allocated bytes\n"
                 "World-stopped marking took 1 ms 2 ns (1 ms in average)\n"
                 "World-stopped marking took 1 ms 2 ns (1 ms in average)\n") is not None)
    s = bl.pause_summary(p)
    check("Boehm summary: the first collection is left out", s["stops"] == 13 and s["cycles"] == 14 and
          close(s["max"], max(ms for _, _, ms in p[1:])) and close(s["max"], 10.361146), s)


def test_allstop():
    r = bl.parse_allstop_trees(sample("allstop_d12_l12_w2.txt"))
    check("allstop: wall_ms from the csv trees row", r["wall_ms"] == 1366, r["wall_ms"])
    check("allstop: every stop of every cycle from csv trees_pauses",
          len(r["pauses"]) == 6 and r["pauses"][1] == (2, 2, 3.859968), r["pauses"])
    s = bl.pause_summary(r["pauses"])
    check("allstop summary: 3 cycles, max after the first is 1.246512 ms",
          s["cycles"] == 3 and close(s["max"], 1.246512), s)
    check("allstop: the kernel's row says cycles=3", r["row"]["cycles"] == "3")
    bad = sample("allstop_d12_l12_w2.txt").replace(",4717,ok", ",4717,failed")
    check("allstop: a row with checks=failed is an error", raises(bl.parse_allstop_trees, bad) is not None)
    bad = sample("allstop_d12_l12_w2.txt").replace("12,12,2,2,1366,", "12,12,2,2,13x6,")
    check("allstop: a figure that is no number is an error naming its column",
          "wall_ms" in (raises(bl.parse_allstop_trees, bad) or ""))
    check("allstop: no trees table is an error", raises(bl.parse_allstop_trees, "csv loop header a\n") is not None)


def test_csv_lines():
    t = bl.parse_csv_lines(sample("allstop_d12_l12_w2.txt"))
    check("csv: both tables of the trees run", sorted(t) == ["trees", "trees_pauses"], sorted(t))
    check("csv: 6 rows of trees_pauses with 3 fields", len(t["trees_pauses"]["rows"]) == 6 and
          all(len(r) == 3 for r in t["trees_pauses"]["rows"]))
    t = bl.parse_csv_lines(sample("allstop_stw_smp2.txt"))
    rows = bl.table_dicts(t["stw"])
    check("csv: the stw table of a real -smp 2 boot, every figure a number",
          len(rows) == 1 and rows[0]["sgi_rt_median_ns"] == "21952" and
          all(isinstance(bl.number(v), int) for v in rows[0].values()), rows)
    t = bl.parse_csv_lines(sample("loop_user.txt"))
    rows = bl.table_dicts(t["loop"])
    check("csv: the user-mode loop's two rows", [r["kind"] for r in rows] == ["alu", "mem"] and
          rows[1]["mib"] == "64", rows)
    t = bl.parse_csv_lines("boot noise\ncsv anything header x,y\ncpu1: online\ncsv anything row 1,2\n"
                           "  csv anything row 3,4\n")
    check("csv: any table name, noise between lines ignored",
          t == {"anything": {"header": ["x", "y"], "rows": [["1", "2"], ["3", "4"]]}}, t)
    e = raises(bl.parse_csv_lines, "csv t header a,b\ncsv t row 1\n")
    check("csv: a row with too few fields is an error naming the line", e is not None and "line 2" in e, e)
    e = raises(bl.parse_csv_lines, "csv u row 1,2\n")
    check("csv: a row before its header is an error", e is not None and "before its header" in e, e)
    e = raises(bl.parse_csv_lines, "csv t header a,b\ncsv t header a,c\n")
    check("csv: a second, different header is an error", e is not None, e)
    check("csv: a repeated equal header (one per boot) is fine",
          len(bl.parse_csv_lines("csv t header a\ncsv t row 1\ncsv t header a\ncsv t row 2\n")["t"]["rows"]) == 2)
    check("number: int, float, and an error naming where",
          bl.number("12") == 12 and bl.number("1.5") == 1.5 and "col x" in (raises(bl.number, "1e", "col x") or ""))


def test_stats():
    check("median of an odd and an even list", bl.median([3, 1, 2]) == 2 and bl.median([4, 1, 2, 3]) == 2.5)
    check("p99 of 1..100 is 99, of 1..10 is 10", bl.percentile(range(1, 101), 99) == 99 and
          bl.percentile(range(1, 11), 99) == 10)
    check("empty lists give None", bl.median([]) is None and bl.percentile([], 50) is None)
    s = bl.pause_summary([])
    check("no pauses: no figures, zero cycles", s["cycles"] == 0 and s["max"] is None)


def main():
    for t in (test_checks, test_wall, test_gctrace, test_boehm, test_allstop, test_csv_lines, test_stats):
        try:
            t()
        except Exception as e:  # a parser that crashes is a failure, not a traceback
            check(f"{t.__name__} ran", False, f"{type(e).__name__}: {e}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
