"""tools/benchlib.py — what tools/bench and tools/bench-peers share.

  - installing Debian packages on first use (saying what is installed);
  - the QEMU command line of the virt board (taken from kernel/boards/virt.mk,
    so the benchmarks boot the same machine as `make run`);
  - running a program with a time limit, echoing its output as it comes;
  - parsing the kernel's benchmark tables: every line
        csv NAME header COL,COL,...
        csv NAME row VAL,VAL,...
    becomes a table NAME (the parser knows no table by name);
  - medians, percentiles, CSV files and plain-text tables.

Plain Python 3; matplotlib is imported only by the plotting code, so the
parsers can be tested on a machine without it (tests/test_bench_parse.py).
"""

import csv
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def say(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- installing

def as_root(cmd):
    """cmd as root: directly when root, through sudo otherwise."""
    if os.geteuid() == 0:
        return cmd
    if shutil.which("sudo"):
        return ["sudo"] + cmd
    raise SystemExit("bench: need root to run: " + " ".join(cmd) + " (no sudo here)")


def run_root(cmd, tool="bench"):
    say(f"{tool}: running: {' '.join(cmd)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(as_root(cmd), env=env)
    if r.returncode != 0:
        raise SystemExit(f"{tool}: failed (status {r.returncode}): {' '.join(cmd)}")


def is_bookworm():
    try:
        with open("/etc/os-release") as f:
            return "VERSION_CODENAME=bookworm" in f.read()
    except OSError:
        return False


def dpkg_installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def add_backports(tool):
    """The bookworm-backports apt source, as tools/setup's add_backports adds it."""
    for p in ["/etc/apt/sources.list"] + [os.path.join("/etc/apt/sources.list.d", f)
                                          for f in (os.listdir("/etc/apt/sources.list.d")
                                                    if os.path.isdir("/etc/apt/sources.list.d") else [])]:
        try:
            with open(p) as f:
                if "bookworm-backports" in f.read():
                    return
        except OSError:
            pass
    uri = "http://deb.debian.org/debian"
    src = "/etc/apt/sources.list.d/debian.sources"
    if os.path.exists(src):
        with open(src) as f:
            m = re.search(r"^URIs:\s*(\S+)", f.read(), re.M)
            if m:
                uri = m.group(1)
    say(f"{tool}: adding the bookworm-backports apt source (for qemu-user 10, the same as qemu-system-arm)")
    text = (f"Types: deb\nURIs: {uri}\nSuites: bookworm-backports\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
    subprocess.run(as_root(["tee", "/etc/apt/sources.list.d/allstop-backports.sources"]),
                   input=text, text=True, stdout=subprocess.DEVNULL, check=True)


def ensure_packages(wanted, tool="bench", arm64=False):
    """Install the Debian packages of wanted that are missing.

    wanted: list of (package, why, from_backports).  arm64: some package is
    of the arm64 architecture (multiarch), so dpkg must know it first."""
    missing = [(p, why, bpo) for p, why, bpo in wanted if not dpkg_installed(p)]
    if not missing:
        return
    if not shutil.which("apt-get"):
        raise SystemExit(f"{tool}: no apt-get here; install these (Debian names) by hand: "
                         + ", ".join(p for p, _, _ in missing))
    say(f"{tool}: installing what is missing (once):")
    for p, why, bpo in missing:
        say(f"{tool}:   {p}{' from bookworm-backports' if bpo and is_bookworm() else ''}  ({why})")
    if arm64:
        archs = subprocess.run(["dpkg", "--print-foreign-architectures"], capture_output=True,
                               text=True).stdout.split()
        if "arm64" not in archs:
            say(f"{tool}: adding the arm64 architecture to dpkg (multiarch, for the aarch64 libraries)")
            run_root(["dpkg", "--add-architecture", "arm64"], tool)
    if any(bpo for _, _, bpo in missing) and is_bookworm():
        add_backports(tool)
    run_root(["apt-get", "update", "-q"], tool)
    plain = [p for p, _, bpo in missing if not (bpo and is_bookworm())]
    bpos = [p for p, _, bpo in missing if bpo and is_bookworm()]
    if plain:
        run_root(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + plain, tool)
    if bpos:
        run_root(["apt-get", "install", "-y", "-q", "--no-install-recommends", "-t", "bookworm-backports"]
                 + bpos, tool)


def ensure_matplotlib(tool):
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        pass
    ensure_packages([("python3-matplotlib", "the PNG plots", False)], tool)
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        pass
    # Debian's python3-matplotlib is for Debian's python3: when another
    # python3 comes first on PATH (pyenv, a venv), run the script again under
    # /usr/bin/python3 (only once: the environment variable says it was done).
    sysp = "/usr/bin/python3"
    if os.path.exists(sysp) and os.path.realpath(sys.executable) != os.path.realpath(sysp) \
            and not os.environ.get("ALLSTOP_BENCH_REEXEC"):
        r = subprocess.run([sysp, "-c", "import matplotlib"], capture_output=True)
        if r.returncode == 0:
            say(f"{tool}: {sys.executable} has no matplotlib; running again under {sysp}, which has Debian's")
            os.environ["ALLSTOP_BENCH_REEXEC"] = "1"
            os.execv(sysp, [sysp] + sys.argv)
    say(f"{tool}: matplotlib missing for {sys.executable}: no plots")
    return False


# ---------------------------------------------------------------- QEMU

def virt_machine_args(smp, mem="1G"):
    """The -M/-cpu/-smp/-m flags of kernel/boards/virt.mk's BOARD_QEMU_ARGS."""
    path = os.path.join(ROOT, "kernel", "boards", "virt.mk")
    with open(path) as f:
        m = re.search(r"^BOARD_QEMU_ARGS\s*:?=\s*(.*)$", f.read(), re.M)
    if not m:
        raise SystemExit(f"bench: {path} has no BOARD_QEMU_ARGS line")
    words = m.group(1).replace("$(SMP)", str(smp)).replace("$(MEM)", mem).split()
    if any("$" in w for w in words):
        raise SystemExit(f"bench: {path}: BOARD_QEMU_ARGS uses a variable this script cannot fill: {m.group(1)}")
    return words


def virt_cmd(image, smp, append, qemu="qemu-system-aarch64"):
    """The command line of `make run` on the virt board (QEMU_ARGS in the Makefile)."""
    return ([qemu] + virt_machine_args(smp) +
            ["-semihosting-config", "enable=on,target=native", "-kernel", image,
             "-nographic", "-monitor", "none", "-serial", "stdio", "-append", append])


def run_timed(cmd, timeout, env=None, echo=False, prefix="  | "):
    """Run cmd; returns (exit status or None on timeout, stdout+stderr text, seconds).

    echo: print each line as it arrives (the kernel's console as it goes)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                         stdin=subprocess.DEVNULL)
    lines = []
    deadline = t0 + timeout
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    buf = b""
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            p.kill()
            break
        if not sel.select(timeout=min(left, 1.0)):
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            s = line.decode("utf-8", "replace").rstrip("\r")
            lines.append(s)
            if echo:
                print(prefix + s, flush=True)
    if buf:
        lines.append(buf.decode("utf-8", "replace").rstrip("\r"))
    p.wait()
    secs = time.monotonic() - t0
    return (None if timed_out else p.returncode), "\n".join(lines) + "\n", secs


# ---------------------------------------------------------------- parsing

CSV_RE = re.compile(r"^\s*csv (\S+) (header|row) ?(.*)$")


def parse_csv_lines(text):
    """The kernel's csv tables in text: {name: {"header": [cols], "rows": [[vals]]}}.

    Any `csv NAME header ...` / `csv NAME row ...` pair; a row before its
    header, or one with the wrong number of fields, raises ValueError naming
    the line.  Console noise between the lines is ignored."""
    tables = {}
    for n, line in enumerate(text.splitlines(), 1):
        m = CSV_RE.match(line)
        if not m:
            continue
        name, kind, rest = m.group(1), m.group(2), m.group(3).strip()
        fields = rest.split(",") if rest else []
        if kind == "header":
            t = tables.setdefault(name, {"header": fields, "rows": []})
            if t["header"] != fields:
                raise ValueError(f"line {n}: table {name}: a second header differs from the first: {line!r}")
        else:
            if name not in tables:
                raise ValueError(f"line {n}: table {name}: a row before its header: {line!r}")
            t = tables[name]
            if len(fields) != len(t["header"]):
                raise ValueError(f"line {n}: table {name}: {len(fields)} fields, header has "
                                 f"{len(t['header'])}: {line!r}")
            t["rows"].append(fields)
    return tables


def table_dicts(table):
    """The rows of one parsed table as dicts keyed by the header."""
    return [dict(zip(table["header"], r)) for r in table["rows"]]


def number(s, where=""):
    """A csv field as a number (int when it is one); ValueError names where."""
    try:
        return int(s)
    except ValueError:
        try:
            return float(s)
        except ValueError:
            raise ValueError(f"{where}: not a number: {s!r}") from None


# ---------------------------------------------------------------- statistics

def median(xs):
    xs = sorted(xs)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def percentile(xs, p):
    """The nearest-rank p-th percentile (p in 0..100)."""
    xs = sorted(xs)
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, int(-(-p * len(xs) // 100)) - 1))
    return xs[k]


# ---------------------------------------------------------------- output

def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def text_table(header, rows):
    """A plain-text table with columns padded to their widest cell."""
    cells = [[str(h) for h in header]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for k, r in enumerate(cells):
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def host_line():
    """Date, host CPU and QEMU version, for the table's heading."""
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            cpu = m.group(1) if m else cpu
    except OSError:
        pass
    try:
        q = subprocess.run(["qemu-system-aarch64", "--version"], capture_output=True, text=True).stdout
        q = q.splitlines()[0] if q else "?"
    except OSError:
        q = "qemu-system-aarch64 missing"
    return f"{time.strftime('%Y-%m-%d %H:%M %Z')}; host {os.cpu_count()} x {cpu}; {q}"


# ---------------------------------------------------------------- binary-trees output
#
# Every implementation of binary-trees (the kernel's run=bench:trees,
# tools/peers/trees.c with Boehm or malloc, tools/peers/trees.go) prints
#   stretch tree of depth D\t check: N
#   ITER\t trees of depth D\t check: N
#   long lived tree of depth D\t check: N
# and the peers end with "wall_ms N".  The pause figures come from each
# runtime's own report (parse_gctrace, parse_boehm_stats, parse_allstop).

CHECK_RES = [
    (re.compile(r"stretch tree of depth (\d+)\s+check: (\d+)"), "stretch tree of depth {} check: {}"),
    (re.compile(r"(\d+)\s+trees of depth (\d+)\s+check: (\d+)"), "{} trees of depth {} check: {}"),
    (re.compile(r"long lived tree of depth (\d+)\s+check: (\d+)"), "long lived tree of depth {} check: {}"),
]


def parse_checks(text):
    """The check lines of a binary-trees run, in order, with the white space
    made uniform (so a kernel line with a prefix compares equal)."""
    out = []
    for line in text.splitlines():
        for rx, fmt in CHECK_RES:
            m = rx.search(line)
            if m:
                out.append(fmt.format(*m.groups()))
                break
    return out


def expected_checks(depth, long_depth=None, min_depth=4):
    """What every implementation must print for DEPTH [LONG] (any number of workers)."""
    max_depth = max(min_depth + 2, depth)
    long_depth = max_depth if long_depth is None else long_depth
    nodes = lambda d: (1 << (d + 1)) - 1  # noqa: E731
    out = [CHECK_RES[0][1].format(max_depth + 1, nodes(max_depth + 1))]
    for d in range(min_depth, max_depth + 1, 2):
        it = 1 << (max_depth - d + min_depth)
        out.append(CHECK_RES[1][1].format(it, d, it * nodes(d)))
    out.append(CHECK_RES[2][1].format(long_depth, nodes(long_depth)))
    return out


def parse_wall_ms(text):
    """The peer's own "wall_ms N" (milliseconds), or None."""
    m = re.search(r"^wall_ms (\d+(?:\.\d+)?)\s*$", text, re.M)
    return float(m.group(1)) if m else None


# Go's GODEBUG=gctrace=1 line (runtime/extern.go):
#   gc 7 @1.234s 5%: 0.018+1.2+0.011 ms clock, 0.036+0.5/1.1/0+0.022 ms cpu, ...
# The three clock figures are: stop-the-world sweep termination, concurrent
# mark and scan, stop-the-world mark termination.  The first and the third
# are Go's two stops of the cycle.
GCTRACE_RE = re.compile(r"^gc (\d+) @[\d.]+s \d+%: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock")


def parse_gctrace(text):
    """Go's stops: [(cycle, stop, ms)], stop 1 = sweep termination, 2 = mark termination."""
    out = []
    for line in text.splitlines():
        m = GCTRACE_RE.match(line)
        if m:
            cycle = int(m.group(1))
            out.append((cycle, 1, float(m.group(2))))
            out.append((cycle, 2, float(m.group(4))))
    return out


# Boehm GC 8.2.2 with GC_PRINT_STATS=1 (alloc.c) reports each collection as
#   --> Marking for collection #N after B allocated bytes
#   ...
#   World-stopped marking took MS ms NS ns (A ms in average)
# The collector is not incremental here (the default): the world stays
# stopped from before it stops the threads until after it restarts them, and
# that interval is this line's time (NS is the part below a millisecond).
# "Finalize and initiate sweep" and "Complete collection took" follow with
# the world running again (only the allocation lock held), so they are not
# counted as the pause.
BOEHM_CYCLE_RE = re.compile(r"^--> Marking for collection #(\d+)")
BOEHM_STOP_RE = re.compile(r"^World-stopped marking took (\d+) ms (\d+) ns")


def parse_boehm_stats(text):
    """Boehm's stops: [(cycle, 1, ms)], one world-stopped mark per collection."""
    out = []
    cycle = None
    for line in text.splitlines():
        m = BOEHM_CYCLE_RE.match(line)
        if m:
            cycle = int(m.group(1))
            continue
        m = BOEHM_STOP_RE.match(line)
        if m:
            if cycle is None:
                raise ValueError(f"Boehm stats: a world-stopped time with no 'Marking for collection' line before it: {line!r}")
            out.append((cycle, 1, int(m.group(1)) + int(m.group(2)) / 1e6))
            cycle = None
    return out


def parse_allstop_trees(text):
    """The kernel's run=bench:trees report: {"row": dict of the csv trees row,
    "wall_ms": float, "pauses": [(cycle, stop, ms)] from csv trees_pauses}.

    Raises ValueError when the trees table is missing or a figure is not a number."""
    tables = parse_csv_lines(text)
    if "trees" not in tables or not tables["trees"]["rows"]:
        raise ValueError("allstop: no `csv trees row` line in the kernel's output")
    row = table_dicts(tables["trees"])[-1]
    for k, v in row.items():
        if k == "checks":  # the kernel's own verdict on the node counts
            if v != "ok":
                raise ValueError(f"allstop: csv trees row says checks={v}")
        else:
            number(v, f"csv trees row, column {k}")
    res = {"row": row, "wall_ms": float(number(row["wall_ms"], "csv trees row, column wall_ms")), "pauses": []}
    if "trees_pauses" in tables:
        for r in table_dicts(tables["trees_pauses"]):
            res["pauses"].append((int(number(r["cycle"], "csv trees_pauses, cycle")),
                                  int(number(r["stop"], "csv trees_pauses, stop")),
                                  number(r["pause_ns"], "csv trees_pauses, pause_ns") / 1e6))
    return res


def pause_summary(pauses):
    """Max, median and p99 (ms) of the stops after the first cycle, and the cycles.

    The first cycle is left out of the figures (as in the issue's table): it
    runs while the heap is still being sized and the program is starting."""
    cycles = sorted({c for c, _, _ in pauses})
    later = [ms for c, _, ms in pauses if cycles and c != cycles[0]]
    return {"cycles": len(cycles), "stops": len(later), "max": max(later) if later else None,
            "median": median(later), "p99": percentile(later, 99)}
