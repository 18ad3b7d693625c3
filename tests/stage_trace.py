"""tests/stage_trace.py — the `trace` stage: the per-core tracer
(kernel/trace/), its Chrome JSON, the serial framing and the rendered PNG.

  - a traced churn run (trace=on run=gcstress cycles=3) on 4 and on 2 cores of
    virt, dumped by semihosting: the JSON parses; it has one core track per
    online core and no event from another core; timestamps never run
    backwards on a core; every slice's end names it and its category, as
    its begin did, and closes the slice last opened in the file (Chrome's
    DevTools reads the file with one stack of open slices);
    every stop's park event on every other online core lies between that
    stop's request and its release; each GC cycle has its
    stop 1 before its stop 2, cycles in order (on the collector's track and
    in the stops' own slices); every IPI receipt's flow arrow starts at a
    send, and both ends of every arrow lie inside a slice of their core's
    track (Perfetto drops an arrow whose end has none); every park holds the
    end of its IPI_STOP's arrow, with no separate handler slice of that IPI
    (the park is the receipt); most unparks, "all parked" events and stop
    ends hold the end of an IPI_WAKE arrow (the release's, the last core's),
    and no such arrow ends a second time at the interrupt taken after;
    each cycle's stop 1, stop 2 and mark on the collector's track are never
    shorter than the console's figures for them and at most 20 ms longer;
    nothing was dropped;
  - every kind of event the issue names is in each churn trace (task runs,
    creations and exits, IPIs sent and taken, stop requests, parks and
    releases, marking, allocation slow paths, the collector's five phases);
  - a traced litmus run (SB) has its batches as slices, and reads;
  - -smp 4 with maxcpus=2: two tracks, no event from cpu2 or cpu3;
  - buffers far too small (tracebuf=256): the dump counts what each core
    kept and dropped, a core that dropped kept a full buffer, the file's
    otherData agrees, and the file still reads (tracks, time order, every
    slice closed, every arrow's end inside a slice);
  - a Pi 4 build under QEMU -M raspi4b (skipped without that model), its
    trace framed on the serial console only: tools/trace-decode turns it
    into JSON that passes the same checks;
  - the same trace framed on the console (run=trace:serial) decodes with
    tools/trace-decode to the very bytes of the semihosted file; a changed
    byte, a lost line and a cut-off end each give an error naming the line;
  - with tracing off (no trace=on) the dump says 0 events and holds none;
  - the shell's trace command: status off with 0 events, on, a gc cycle, off,
    status with events on every core, dump to a file, a bad word's usage line;
    trace cost refused while tracing is on, and with it off one trace point's
    figures (a counter read costs more than a point that is off and no more
    than one that records);
  - tools/trace-render draws a PNG of one GC cycle that is not empty, and
    `make trace` itself leaves a build/trace.json that passes the 4-core
    checks and a build/trace.png (both skipped, saying so, without
    python3-matplotlib: make trace would install it).
"""

import json
import os
import re
import subprocess
import sys

from harness import (BUILD, LOGS, ROOT, boot, build_board, pi_cmd, qemu_cmd, qemu_has_machine,
                     status_problems)

DECODE = os.path.join(ROOT, "tools", "trace-decode")
RENDER = os.path.join(ROOT, "tools", "trace-render")
CYCLES = 3
# The dump's summary line (cmd_trace.c): "trace: off, N events, D dropped (...)".
DUMP_STATUS = re.compile(r"^trace: (?:on|off), (\d+) events, (\d+) dropped", re.M)
# The frame's lines (kernel/trace/dump.c).
FRAME_LINE = re.compile(r"^TR \d{6} \S+ [0-9a-f]{8}$", re.M)


# ---------------------------------------------------------------- the JSON's checks

def core_tracks(events):
    return sorted(e["tid"] for e in events
                  if e.get("ph") == "M" and e.get("pid") == 0 and e.get("name") == "thread_name")


def track_problems(events, online):
    tracks = core_tracks(events)
    problems = []
    if tracks != list(range(online)):
        problems.append(f"core tracks {tracks}, want one per online core {list(range(online))}")
    stray = sorted({e.get("tid") for e in events
                    if e.get("pid") == 0 and e.get("ph") != "M" and e.get("tid") not in range(online)})
    if stray:
        problems.append(f"events from cores that were not online: {stray}")
    return problems


def end_name_problems(events):
    """Every E on a core track closes the slice last opened in the file, and
    names it and its category as its B did.  Chrome's DevTools reads B/E
    events in the file's order with ONE stack of open slices for the whole
    file (not one per track), and drops a slice whose E differs from the B
    on top in name or category; Perfetto takes either.  So each track's
    slices must lie together in the file, and each E repeat its B."""
    stack, bad, ends = [], [], 0
    for e in events:
        if e.get("pid") != 0:
            continue
        if e.get("ph") == "B":
            stack.append(e)
        elif e.get("ph") == "E":
            ends += 1
            b = stack.pop() if stack else {}
            if (e.get("name"), e.get("cat"), e.get("tid")) != (b.get("name"), b.get("cat"), b.get("tid")):
                bad.append((e, b))
    if bad:
        e, b = bad[0]
        return [f"{len(bad)} of {ends} slice ends do not close the slice last opened in the file (one stack, "
                f"as Chrome's DevTools reads it), e.g. {e.get('name')!r}/{e.get('cat')!r} on cpu{e.get('tid')} at "
                f"{e.get('ts')} us closing {b.get('name')!r}/{b.get('cat')!r} of cpu{b.get('tid')}"]
    return []


def time_problems(events):
    """On each core track, in the file's order, ts never decreases."""
    last = {}
    for i, e in enumerate(events):
        if e.get("pid") != 0 or "ts" not in e:
            continue
        t = e["tid"]
        if t in last and e["ts"] < last[t][0]:
            return [f"cpu{t}: event {i} ({e.get('ph')} {e.get('name', '')!r}) at {e['ts']} us comes after "
                    f"{last[t][0]} us: time ran backwards"]
        last[t] = (e["ts"], i)
    return []


def stops(events):
    """{gen: {'owner', 'request', 'release', 'reason', 'parks': {cpu: [ts, ...]}}}."""
    out = {}
    for e in events:
        if e.get("pid") != 0 or e.get("cat") != "stw" or e.get("ph") == "E":
            continue
        gen = e.get("args", {}).get("gen")
        s = out.setdefault(gen, {"parks": {}})
        if e["ph"] == "B" and "reason" in e["args"]:
            s.update(owner=e["tid"], request=e["ts"], reason=e["args"]["reason"])
        elif e["ph"] == "i" and e.get("name") == "release":
            s["release"] = e["ts"]
        elif e["ph"] == "B":
            s["parks"].setdefault(e["tid"], []).append(e["ts"])
    return out


def stop_problems(events, online):
    problems = []
    all_stops = stops(events)
    if not all_stops:
        return ["no stop in the trace"]
    for gen, s in sorted(all_stops.items()):
        if "request" not in s or "release" not in s:
            problems.append(f"stop {gen}: no {'request' if 'request' not in s else 'release'} event")
            continue
        for cpu in range(online):
            if cpu == s["owner"]:
                continue
            parks = s["parks"].get(cpu)
            if not parks:
                problems.append(f"stop {gen} ({s['reason']}): no park event from cpu{cpu}")
            for t in parks or []:
                if not s["request"] <= t <= s["release"]:
                    problems.append(f"stop {gen}: cpu{cpu} parked at {t} us, outside the request at "
                                    f"{s['request']} and the release at {s['release']} us")
        if len(problems) > 5:
            break
    return problems


def cycle_problems(events, want_cycles):
    """Stop 1 before stop 2 in every cycle, the cycles in order: on the
    collector's phase track and in the stops' own slices."""
    problems = []
    phases = {}
    for e in events:
        if e.get("pid") == 1 and e.get("ph") == "X" and e.get("name") in ("stop 1", "stop 2"):
            phases.setdefault(e["args"]["cycle"], {})[e["name"]] = (e["ts"], e["ts"] + e["dur"])
    complete = sorted(c for c, p in phases.items() if len(p) == 2)
    if len(complete) < want_cycles:
        problems.append(f"{len(complete)} GC cycles with both stops on the collector's track, want at least "
                        f"{want_cycles}")
    prev_end = None
    for c in complete:
        s1, s2 = phases[c]["stop 1"], phases[c]["stop 2"]
        if not s1[1] <= s2[0]:
            problems.append(f"cycle {c}: stop 2 at {s2[0]} us before stop 1 ended at {s1[1]} us")
        if prev_end is not None and s1[0] < prev_end:
            problems.append(f"cycle {c}: its stop 1 at {s1[0]} us before the last cycle's stop 2 ended")
        prev_end = s2[1]
    # The collector's track: its phases never overlap, and each cycle goes
    # through them in order (mark may be missing: root jobs left to stop 2).
    order = ["stop 1", "root jobs", "mark", "stop 2", "sweep"]
    xs = sorted((e["ts"], e["ts"] + e["dur"], e["name"], e["args"]["cycle"]) for e in events
                if e.get("pid") == 1 and e.get("ph") == "X")
    for (s0, e0, n0, c0), (s1, e1, n1, c1) in zip(xs, xs[1:]):
        if s1 < e0 - 0.001:
            problems.append(f"the collector's phases overlap: cycle {c0} {n0!r} ends at {e0} us, after cycle {c1} "
                            f"{n1!r} began at {s1} us")
            break
        if c1 == c0 and order.index(n1) <= order.index(n0):
            problems.append(f"cycle {c0}: phase {n1!r} comes after {n0!r}")
            break
    # The stops' own slices, by request time: gc stop 1, gc stop 2, gc stop 1...
    kinds = [s["reason"].split(":")[0] for _, s in sorted(stops(events).items(), key=lambda kv: kv[1].get("request", 0))
             if s.get("reason", "").startswith("gc stop")]
    for i, k in enumerate(kinds):
        want = "gc stop 1" if i % 2 == 0 else "gc stop 2"
        if k != want:
            problems.append(f"the GC's stops in time order are {kinds[:8]}...: stop {i + 1} is {k!r}, want {want!r}")
            break
    return problems


def park_receipt_problems(events):
    """A park is its IPI_STOP's receipt (ipi_register_receipt): each one
    holds the end of the stop's arrow, and no separate handler slice of the
    IPI is recorded around it."""
    arrows = {(e["tid"], e["ts"]) for e in events if e.get("ph") == "f" and e.get("name") == "ipi stop"}
    parks = [e for e in events if e.get("ph") == "B" and e.get("cat") == "stw"
             and str(e.get("name", "")).startswith("parked")]
    problems = []
    lost = [p for p in parks if (p["tid"], p["ts"]) not in arrows]
    if not parks:
        problems.append("no park slice")
    if lost:
        problems.append(f"{len(lost)} of {len(parks)} parks hold no arrow from their IPI_STOP, e.g. on "
                        f"cpu{lost[0]['tid']} at {lost[0]['ts']} us")
    slices = [e for e in events if e.get("ph") == "B" and e.get("name") == "ipi stop"]
    if slices:
        problems.append(f"{len(slices)} 'ipi stop' handler slices beside the parks (the park is the receipt)")
    return problems


def wake_end(evs, i, step):
    """The end of an 'ipi wake' arrow among the marks ("i", "s", "f") at the
    time of evs[i] on its track, looking back (step -1) or on (+1)."""
    j = i + step
    while 0 <= j < len(evs) and evs[j].get("ts") == evs[i].get("ts") and evs[j].get("ph") in ("i", "s", "f"):
        if evs[j].get("ph") == "f" and evs[j].get("name") == "ipi wake":
            return evs[j]
        j += step
    return None


def stop_receipt_problems(events):
    """A stop's events that are also an IPI_WAKE's receipt (the waiting core
    sees what the wake was for before it takes the interrupt): a parked
    core's unpark (the owner's release), the owner's "all parked" and the end
    of its stop (the last core's wake).  Most of each hold the end of a wake
    arrow (one that saw the count or the release before its sender left the
    id holds none), and the interrupt taken afterwards does not end the same
    arrow a second time."""
    ends = {}
    for e in events:
        if e.get("ph") == "f":
            ends.setdefault(e["id"], []).append(e)
    tracks = {}
    for e in events:
        if e.get("pid") == 0:
            tracks.setdefault(e.get("tid"), []).append(e)
    counts = {"unpark": [0, 0], "all parked": [0, 0], "stop end": [0, 0]}  # [events, holding an arrow]
    twice = []
    for evs in tracks.values():
        opened = []  # the names of the open slices
        for i, e in enumerate(evs):
            ph = e.get("ph")
            if ph == "B":
                opened.append(str(e.get("name", "")))
            elif ph == "E" and opened:
                name = opened.pop()
                kind = "unpark" if name.startswith("parked") else "stop end" if name.startswith("stop ") else None
                if kind:
                    counts[kind][0] += 1
                    f = wake_end(evs, i, -1)
                    if f:
                        counts[kind][1] += 1
                        if len(ends[f["id"]]) > 1:
                            twice.append((kind, f))
            elif ph == "i" and e.get("name") == "all parked":
                counts["all parked"][0] += 1
                f = wake_end(evs, i, +1)
                if f:
                    counts["all parked"][1] += 1
                    if len(ends[f["id"]]) > 1:
                        twice.append(("all parked", f))
    problems = []
    for kind, (n, held) in counts.items():
        if n and held * 2 < n:
            problems.append(f"only {held} of {n} {kind} events hold the end of a wake arrow")
    if twice:
        kind, f = twice[0]
        problems.append(f"{len(twice)} wake arrows end at a stop's event and again at a later receipt, e.g. "
                        f"flow {f['id']} at {kind} on cpu{f['tid']}")
    return problems


CYCLE_LINE = re.compile(r"^gc (\d+) \([^)]*\): stop1 (\d+) us, mark (\d+) us, stop2 (\d+) us", re.M)
CONSOLE_SLACK_US = 20000  # a vCPU the host does not run between an event and its step's clock read


def console_problems(out, events, want_cycles):
    """The trace against the console's figures: each cycle's line ("gc N
    (fixed): stop1 A us, mark B us, stop2 C us") and the collector's track.
    A phase's slice runs from the event before the collector's clock read to
    the event after it, so it is never shorter than the console's figure
    (which is cut to whole microseconds), and longer only by the events
    themselves, or by a vCPU the host did not run in between."""
    phases = {}
    for e in events:
        if e.get("pid") == 1 and e.get("ph") == "X":
            p = phases.setdefault(e["args"]["cycle"], {})
            p[e["name"]] = p.get(e["name"], 0) + e["dur"]
    problems, compared = [], 0
    for m in CYCLE_LINE.finditer(out):
        cycle, figures = int(m.group(1)), {"stop 1": int(m.group(2)), "stop 2": int(m.group(4)),
                                           "root jobs + mark": int(m.group(3))}
        p = phases.get(cycle)
        if not p or "stop 1" not in p or "stop 2" not in p:
            continue
        p["root jobs + mark"] = p.get("root jobs", 0) + p.get("mark", 0)
        compared += 1
        for name, console in figures.items():
            traced = p[name]
            if not console - 1 <= traced <= console + CONSOLE_SLACK_US:
                problems.append(f"cycle {cycle}: {name} is {traced:.1f} us in the trace, {console} us on the console")
    if compared < want_cycles:
        problems.append(f"only {compared} cycles' console lines matched the trace's phases, want {want_cycles}")
    return problems


def flow_problems(events):
    """Every arrow's end ("f") has its start ("s") strictly earlier: Perfetto
    sorts the file by time, keeping the file's order among equal times, and
    drops an arrow whose end it meets first (the tracks lie one after
    another in the file, so an end on an earlier track at the same time
    would be met first)."""
    sends = {e["id"]: e["ts"] for e in events if e.get("ph") == "s"}
    receipts = [e for e in events if e.get("ph") == "f"]
    if not receipts:
        return ["no IPI flow arrow (no 'f' event)"]
    bad = [e for e in receipts if e["id"] not in sends or sends[e["id"]] >= e["ts"]]
    if bad:
        return [f"{len(bad)} of {len(receipts)} IPI receipts have no send before them, e.g. flow {bad[0]['id']} "
                f"on cpu{bad[0]['tid']}"]
    return unbound_flow_problems(events)


def unbound_flow_problems(events):
    """Perfetto ties each end of a flow arrow ("s", "f") to the slice open on
    its track at that moment, and drops the arrow when there is none (its
    JSON importer's flow tracker): every end must lie inside a B/E slice of
    its core's track, in the file's order (Perfetto keeps that order among
    equal timestamps)."""
    depth, unbound, ends = {}, [], 0
    for e in events:
        if e.get("pid") != 0:
            continue
        t, ph = e.get("tid"), e.get("ph")
        if ph == "B":
            depth[t] = depth.get(t, 0) + 1
        elif ph == "E":
            depth[t] = depth.get(t, 0) - 1
        elif ph in ("s", "f"):
            ends += 1
            if depth.get(t, 0) <= 0:
                unbound.append(e)
    if unbound:
        e = unbound[0]
        return [f"{len(unbound)} of {ends} flow ends lie outside any slice (Perfetto would drop their arrows), "
                f"e.g. '{e['ph']}' {e.get('name')} on cpu{e.get('tid')} at {e.get('ts')} us"]
    return []


def start_problems(text):
    """The file opens with its traceEvents: older Perfetto importers guessed
    the format from the first bytes ('{"traceEvents":['), and those of
    2020-22 took a displayTimeUnit found at the start as the unit of every
    ts (the format's ts are microseconds whatever it says)."""
    head = re.sub(r"\s", "", text[:64])
    if not head.startswith('{"traceEvents":['):
        return [f"the file begins {text[:40]!r}, not with its traceEvents"]
    return []


FULL_BUF = 256  # events per core: the smallest tracebuf=, far less than a 3-cycle churn records
DUMP_CORE = re.compile(r"^  cpu(\d+): (\d+) events, (\d+) dropped", re.M)


def full_buffer_problems(out, data, online):
    """A run that records more than its buffers hold: the dump's summary and
    per-core lines count what was kept and what was dropped, a core that
    dropped kept exactly its buffer's worth (the oldest: the buffer is
    linear), the file's otherData agrees, and the file still reads: tracks,
    time order, every E closing its B, every arrow's end inside a slice (an
    arrow whose send was dropped has only its end, which viewers ignore)."""
    m = DUMP_STATUS.search(out)
    if not m:
        return ["no 'trace: off, N events, D dropped' line from the dump"]
    events, dropped = int(m.group(1)), int(m.group(2))
    cores = {int(c): (int(e), int(d)) for c, e, d in DUMP_CORE.findall(out[m.end():])}
    problems = []
    if dropped == 0:
        problems.append(f"the dump says 0 dropped with tracebuf={FULL_BUF} (a 3-cycle churn records more)")
    if sorted(cores) != list(range(online)):
        problems.append(f"per-core dump lines for {sorted(cores)}, want {list(range(online))}")
    if sum(e for e, _ in cores.values()) != events or sum(d for _, d in cores.values()) != dropped:
        problems.append(f"the per-core lines {cores} do not add up to {events} events, {dropped} dropped")
    for c, (e, d) in sorted(cores.items()):
        if e > FULL_BUF or (d and e != FULL_BUF):
            problems.append(f"cpu{c} kept {e} events and dropped {d}, with {FULL_BUF} per core")
    if data is None:
        return problems + ["no trace file"]
    text = data.decode("utf-8", "replace")
    try:
        trace = json.loads(text)
    except json.JSONDecodeError as e:
        return problems + [f"the trace is not JSON: {e}"]
    evs = trace.get("traceEvents", [])
    info = trace.get("otherData", {}).get("allstop", {})
    want = [cores.get(c, (0, 0))[1] for c in range(online)]
    if info.get("dropped", [])[:online] != want or info.get("events") != events:
        problems.append(f"otherData says {info.get('events')} events, dropped {info.get('dropped')}; the console "
                        f"{events}, {want}")
    problems += start_problems(text) + track_problems(evs, online) + time_problems(evs)
    return problems + end_name_problems(evs) + unbound_flow_problems(evs)


# What the issue asks the tracer to record, as the export names it: (what, test on an event).
CHURN_KINDS = [
    ("task runs", lambda e: e.get("ph") == "B" and e.get("cat") == "task"),
    ("task creations", lambda e: e.get("ph") == "i" and str(e.get("name", "")).startswith("create ")),
    ("task exits", lambda e: e.get("ph") == "i" and e.get("name") == "exit"),
    ("IPIs sent", lambda e: e.get("ph") == "i" and e.get("cat") == "ipi" and "->" in str(e.get("name", ""))),
    ("IPIs taken", lambda e: e.get("ph") == "i" and str(e.get("name", "")).endswith(" taken")),
    ("stop requests", lambda e: e.get("ph") == "B" and e.get("cat") == "stw" and "reason" in e.get("args", {})),
    ("parks", lambda e: e.get("ph") == "B" and str(e.get("name", "")).startswith("parked")),
    ("releases", lambda e: e.get("ph") == "i" and e.get("name") == "release"),
    ("mark workers' marking", lambda e: e.get("ph") == "B" and e.get("name") == "mark"),
    ("allocation slow paths", lambda e: e.get("ph") == "i" and str(e.get("name", "")).startswith("alloc slow")),
] + [(f"the collector's {p}", lambda e, p=p: e.get("pid") == 1 and e.get("ph") == "X" and e.get("name") == p)
     for p in ("stop 1", "root jobs", "mark", "stop 2", "sweep")]


def kind_problems(events, kinds=CHURN_KINDS):
    """Every kind of event the issue names, at least once."""
    missing = [what for what, test in kinds if not any(test(e) for e in events)]
    return [f"no {', no '.join(missing)} in the trace"] if missing else []


def trace_problems(text, online, want_cycles=CYCLES, out=None):
    """Everything wrong with one traced churn run's JSON (and, given its
    console output, with the trace against the console's figures)."""
    try:
        trace = json.loads(text)
    except json.JSONDecodeError as e:
        return [f"the trace is not JSON: {e}"]
    events = trace.get("traceEvents")
    if not isinstance(events, list):
        return ["no traceEvents list"]
    info = trace.get("otherData", {}).get("allstop", {})
    problems = start_problems(text) + track_problems(events, online) + time_problems(events) + end_name_problems(events)
    problems += stop_problems(events, online) + cycle_problems(events, want_cycles) + flow_problems(events)
    problems += park_receipt_problems(events) + stop_receipt_problems(events) + kind_problems(events)
    if out is not None:
        problems += console_problems(out, events, want_cycles)
    if any(info.get("dropped", [1])):
        problems.append(f"events dropped: {info.get('dropped')} (the buffers should hold a {want_cycles}-cycle run)")
    return problems


# ---------------------------------------------------------------- the serial frame

def decode(log_text):
    """Run tools/trace-decode on a log; (exit status, stdout bytes, stderr)."""
    p = subprocess.run([sys.executable, DECODE, "-"], input=log_text.encode(), capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode()


def frame_problems(out, semihosted):
    problems = []
    rc, payload, err = decode(out)
    if rc != 0:
        return [f"trace-decode failed: {err.strip()}"]
    if payload != semihosted:
        problems.append(f"the decoded frame ({len(payload)} bytes) differs from the semihosted file "
                        f"({len(semihosted)} bytes)")
    lines = out.splitlines()
    frame = [i for i, l in enumerate(lines) if FRAME_LINE.match(l.strip())]
    if len(frame) < 10:
        return problems + [f"only {len(frame)} frame lines"]
    # A changed byte in the middle of a line's base64.
    k = frame[len(frame) // 2]
    bad = list(lines)
    seq, text, crc = bad[k].split()[1:4]
    pos = len(text) // 2
    text = text[:pos] + ("A" if text[pos] != "A" else "B") + text[pos + 1:]
    bad[k] = f"TR {seq} {text} {crc}"
    problems += corruption_problems("a changed byte", bad, rf"line {k + 1} \(frame line {int(seq)}\).*checksum")
    # A lost line.
    lost = lines[:frame[3]] + lines[frame[3] + 1:]
    problems += corruption_problems("a lost line", lost, rf"line {frame[3] + 1}: frame line 4 where 3 was expected")
    # The end cut off.
    cut = lines[:frame[-5]]
    problems += corruption_problems("a cut-off end", cut, r"no end marker")
    return problems


def corruption_problems(what, lines, want):
    rc, payload, err = decode("\n".join(lines) + "\n")
    if rc == 0:
        return [f"trace-decode accepted {what}"]
    if not re.search(want, err):
        return [f"trace-decode's error for {what} is {err.strip()!r}, want /{want}/"]
    return []


# ---------------------------------------------------------------- the picture

def png_problems(json_path, png_path):
    if os.path.exists(png_path):
        os.remove(png_path)
    p = subprocess.run([RENDER, json_path, "-o", png_path, "--cycle", "2"], capture_output=True, text=True)
    if p.returncode == 2 and "matplotlib" in p.stderr:
        return None  # no matplotlib: skipped
    if p.returncode != 0:
        return [f"trace-render failed: {p.stderr.strip()[-300:]}"]
    return png_file_problems(png_path)


def png_file_problems(png_path):
    if not os.path.exists(png_path):
        return [f"no PNG {png_path}"]
    data = open(png_path, "rb").read()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ["the PNG has no PNG signature"]
    if len(data) < 8000:
        return [f"the PNG is only {len(data)} bytes: an empty picture?"]
    return []


# ---------------------------------------------------------------- the stage

def traced_run(name, image, smp, extra="", serial=False):
    """Boot a traced churn run; returns (status, out, JSON bytes or None, path)."""
    os.makedirs(LOGS, exist_ok=True)
    path = os.path.join(LOGS, f"{name}.json")
    if os.path.exists(path):
        os.remove(path)
    actions = f"gcstress,trace:{path}" + (",trace:serial" if serial else "")
    cmd = qemu_cmd(image, smp=smp, append=f"trace=on run={actions} cycles={CYCLES} exit=semihost {extra}".strip())
    status, out, _ = boot(name, cmd)
    data = open(path, "rb").read() if os.path.exists(path) else None
    return status, out, data, path


def run(res, opts):
    print("== the per-core tracer: JSON, serial framing, picture", flush=True)
    status, out, data, path4 = traced_run("trace-smp4", opts.image, 4, serial=True)
    problems = status_problems(status)
    if data is None:
        problems.append(f"no trace file {path4} (semihosting write)")
    else:
        problems += trace_problems(data.decode("utf-8", "replace"), 4, out=out)
    res.add_problems("trace: 4 cores, a 3-cycle churn: tracks, parks within stops, stop 1 before stop 2, "
                     "time order, flows, the console's figures", problems, out)
    if data is not None:
        res.add_problems("trace: the serial frame decodes to the same JSON; a changed byte, a lost line, "
                         "a cut-off end are named", frame_problems(out, data), out)
        png = png_problems(path4, os.path.join(LOGS, "trace-smp4.png"))
        if png is None:
            res.skip("trace: tools/trace-render draws a PNG", "no python3-matplotlib (tools/setup --plot)")
            res.skip("trace: make trace leaves build/trace.json and build/trace.png",
                     "no python3-matplotlib (make trace would install it)")
        else:
            res.add_problems("trace: tools/trace-render draws a PNG of one cycle", png)
            run_make_trace(res, opts)  # matplotlib is here: make trace installs nothing

    status, out, data, _ = traced_run("trace-smp2", opts.image, 2)
    problems = status_problems(status) + (trace_problems(data.decode(), 2, out=out) if data else ["no trace file"])
    res.add_problems("trace: 2 cores: the same checks", problems, out)

    status, out, data, _ = traced_run("trace-maxcpus2", opts.image, 4, extra="maxcpus=2")
    problems = status_problems(status) + (trace_problems(data.decode(), 2, out=out) if data else ["no trace file"])
    res.add_problems("trace: -smp 4 maxcpus=2: two tracks, no event from an offline core", problems, out)

    status, out, data, _ = traced_run("trace-full", opts.image, 4, extra=f"tracebuf={FULL_BUF}")
    problems = status_problems(status) + full_buffer_problems(out, data, 4)
    res.add_problems(f"trace: a full buffer (tracebuf={FULL_BUF}): the newest events dropped and counted on the "
                     f"console and in the file, which still reads", problems, out)

    run_litmus_traced(res, opts)
    run_pi_serial(res)

    # Tracing off: the dump is empty.
    os.makedirs(LOGS, exist_ok=True)
    path = os.path.join(LOGS, "trace-off.json")
    cmd = qemu_cmd(opts.image, smp=4, append=f"run=gcstress,trace:{path} cycles=1 exit=semihost")
    status, out, _ = boot("trace-off", cmd)
    problems = status_problems(status)
    m = DUMP_STATUS.search(out)
    if not m:
        problems.append("no 'trace: off, N events' line from the dump")
    elif m.group(1) != "0":
        problems.append(f"with tracing off the dump says {m.group(1)} events, want 0")
    try:
        trace = json.load(open(path))
        n = [e for e in trace["traceEvents"] if e.get("ph") != "M"]
        if n or trace["otherData"]["allstop"]["events"] != 0:
            problems.append(f"with tracing off the JSON holds {len(n)} events")
    except (OSError, ValueError, KeyError) as e:
        problems.append(f"the trace-off dump {path}: {e}")
    res.add_problems("trace: off by default, the dump holds 0 events", problems, out)

    # The shell's command.
    path = os.path.join(LOGS, "trace-shell.json")
    if os.path.exists(path):
        os.remove(path)
    script = (b"\r" b"trace status\r" b"trace on\r" b"trace cost\r" b"gc\r" b"trace off\r" b"trace status\r"
              + f"trace dump {path}\r".encode() + b"trace cost\r" b"trace bogus\r" b"trace on now\r" b"poweroff\r")
    cmd = qemu_cmd(opts.image, smp=4, append="run=shell exit=semihost")
    status, out, _ = boot("trace-shell", cmd, input_bytes=script)
    res.add_problems("trace: the shell's trace on|off|status|dump|cost", shell_problems(status, out, path), out)


def run_make_trace(res, opts):
    """The make target itself, as a user runs it (on the image under test):
    its build/trace.json passes the 4-core checks beside its own console,
    and its build/trace.png is drawn."""
    name = "trace: make trace leaves build/trace.json (passing the checks) and build/trace.png"
    json_path, png_path = os.path.join(ROOT, "build", "trace.json"), os.path.join(ROOT, "build", "trace.png")
    cmd = ["make", "--no-print-directory", "-C", ROOT, "trace", f"BUILD={os.path.dirname(opts.image)}"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        res.add(name, False, "make trace took more than 300 s")
        return
    problems = [] if p.returncode == 0 else [f"make trace exited {p.returncode}: {p.stderr.strip()[-300:]}"]
    try:
        text = open(json_path, encoding="utf-8", errors="replace").read()
        problems += trace_problems(text, 4, out=p.stdout)
    except OSError as e:
        problems.append(f"{json_path}: {e}")
    res.add_problems(name, problems + png_file_problems(png_path), p.stdout)


def run_litmus_traced(res, opts):
    """A litmus test run with tracing on: its batches are slices on the core
    that runs them, and the file reads."""
    name = "trace: a traced litmus run (SB) shows its batches"
    os.makedirs(LOGS, exist_ok=True)
    path = os.path.join(LOGS, "trace-litmus.json")
    if os.path.exists(path):
        os.remove(path)
    sb = os.path.join(ROOT, "tests", "litmus", "SB.litmus")
    cmd = qemu_cmd(opts.image, smp=4, append=f"trace=on run=litmus:{sb},trace:{path} exit=semihost")
    status, out, _ = boot("trace-litmus", cmd)
    problems = status_problems(status)
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
        events = json.loads(text)["traceEvents"]
    except (OSError, ValueError, KeyError) as e:
        res.add_problems(name, problems + [f"{path}: {e}"], out)
        return
    batches = [e for e in events if e.get("ph") == "B" and e.get("name") == "litmus batch"]
    if not batches:
        problems.append("no 'litmus batch' slice")
    elif sorted(e["args"]["first"] for e in batches)[0] != 0:
        problems.append("the batches do not start at iteration 0")
    problems += start_problems(text) + track_problems(events, 4) + time_problems(events) + end_name_problems(events)
    res.add_problems(name, problems, out)


def run_pi_serial(res):
    """The Pi's way out: a Pi 4 build (its boot arguments built in, as on a
    card) traced on QEMU -M raspi4b, the JSON framed on its PL011 console
    only (no file), decoded by tools/trace-decode, then the same checks."""
    name = "trace: rpi4 under QEMU -M raspi4b: the trace framed on the serial console decodes and passes the checks"
    if not qemu_has_machine("raspi4b"):
        res.skip(name, "this QEMU has no raspi4b model (QEMU 9.0 or later has)")
        return
    build = os.path.join(BUILD, "test-rpi4-trace")
    ok, log = build_board("rpi4", f"trace=on run=gcstress,trace:serial cycles={CYCLES} exit=semihost", build)
    if not ok:
        res.add(name, False, log[-2000:])
        return
    status, out, _ = boot("trace-rpi4", pi_cmd("raspi4b", os.path.join(build, "kernel8.img")))
    problems = status_problems(status)
    rc, payload, err = decode(out)
    if rc != 0:
        problems.append(f"trace-decode failed: {err.strip()}")
    else:
        problems += trace_problems(payload.decode("utf-8", "replace"), 4, out=out)
    res.add_problems(name, problems, out)


SHELL_STATUS = re.compile(r"^trace: (on|off), (\d+) events, (\d+) dropped \(\d+ events per core on (\d+) cores\)",
                          re.M)
SHELL_CORE = re.compile(r"^  cpu(\d+): (\d+) events, (\d+) dropped", re.M)
SHELL_USAGE = "trace: usage: trace [on|off|status|dump [PATH|serial]|cost]"
SHELL_COST_REFUSED = "trace cost: tracing is on; trace off first"
# kernel/bench/tracepoint.c's line
SHELL_COST = re.compile(r"^trace cost: one trace point on cpu\d+, .*: off (?P<off>\d+) ns; recording (?P<on>\d+) ns "
                        r"\(interrupts on\), \d+ ns \(masked\); dropping \d+ ns \(of \d+ tries\); one counter read "
                        r"(?P<read>\d+) ns",
                        re.M)


def shell_problems(status, out, path):
    problems = status_problems(status)
    st = SHELL_STATUS.findall(out)
    if len(st) < 3:
        return problems + [f"{len(st)} 'trace: on|off, N events' lines, want 3 (status, status, dump)"]
    if st[0][:2] != ("off", "0"):
        problems.append(f"the first status says {st[0][0]}, {st[0][1]} events: want off, 0")
    if st[1][0] != "off" or int(st[1][1]) == 0:
        problems.append(f"after trace on, gc, trace off the status says {st[1][0]}, {st[1][1]} events")
    # The second status's per-core lines: every core recorded something (the stops park them).
    second = out[out.find("trace: off, " + st[1][1]):]
    cores = SHELL_CORE.findall(second)[:int(st[1][3])]
    idle = [c for c, n, _ in cores if int(n) == 0]
    if len(cores) != 4 or idle:
        problems.append(f"per-core lines {cores}: want 4 cores, each with events")
    try:
        trace = json.load(open(path))
        if not [e for e in trace["traceEvents"] if e.get("ph") == "X" and e.get("name") == "stop 2"]:
            problems.append("the shell's dump has no GC stop 2")
    except (OSError, ValueError, KeyError) as e:
        problems.append(f"the shell's dump {path}: {e}")
    if out.count(SHELL_USAGE) != 2:
        problems.append(f"{out.count(SHELL_USAGE)} usage lines for 'trace bogus' and 'trace on now', want 2")
    if out.count(SHELL_COST_REFUSED) != 1:
        problems.append(f"'trace cost' with tracing on: {out.count(SHELL_COST_REFUSED)} refusals, want 1")
    m = SHELL_COST.search(out)
    if not m:
        problems.append("'trace cost' with tracing off printed no 'trace cost: one trace point' line")
    elif not int(m.group("off")) < int(m.group("read")) <= int(m.group("on")):
        problems.append(f"'trace cost': {m.group(0)}: want off < a counter read <= recording")
    return problems
