"""tests/stage_litmus.py — the `litmus` stage of tests/run.py: the in-kernel
litmus runner (kernel/litmus/) and its ways in.

  - the built-in suite (tests/litmus/) under QEMU virt with 2, 4 and 8 cores,
    and once on raspi3b and raspi4b: every log parses as litmus7's format
    (read_log below checks each block line by line, re-evaluates the
    condition on every state to check the *> marks, and checks the counts
    against each other); no test whose ARMv8 verdict is Forbidden shows a
    witness; SB and R show their relaxed outcome (QEMU on an x86 host has a
    store buffer).  On a loaded host the vCPUs may take turns instead of
    running together for a whole 20,000-iteration test, so a virt boot
    where SB or R shows nothing runs them once more with 200,000 iterations,
    and fails if they still show nothing;
  - tools/litmus on herd's own SB.litmus (skipped when ../shared is absent)
    prints a log with the relaxed outcome seen;
  - the shell's `litmus load` takes a test pasted on the serial line, and a
    malformed one gives file:line:col with the shell still working;
  - tools/litmus --serial against a QEMU whose console is a pseudo-terminal,
    as it would talk to a Pi 4 over a USB-serial adapter.

run(rp, res) is called with tests/harness.py as rp (its boot(), qemu_cmd()...).
"""

import os
import platform
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "litmus", "herdtools7")
HOST = platform.machine()
# Fewer iterations than the default (20,000 per test): enough for SB and R to
# show under QEMU, even on a loaded host (measured: 1.7% and 4.1% with load 27
# on 2 host cores, 0 for the Forbidden tests).
OPTS = "-r 20"

# The shell's litmus command, matched by its keys and figures.
PASTE_COUNTED = r"litmus load: 8 lines\b"
PASTE_ERROR = r"^pasted:4:2: unsupported instruction 'LDRB'"  # file:line:col, then what
PASTE_ABANDONED = r"litmus load: abandoned\b"
NO_SUCH_TEST = r"litmus: no built-in test 'nosuch'"
BAD_SIZE = r"litmus: -s 0: expected a number from 1 to \d+"
LIST_ROW_SB = r"^SB\s+2\s+exists\s+SB\.litmus$"
UPTIME = r"^up \d+\.\d{3} s$"
POWER_OFF = r"powering off"


# ---------------------------------------------------------------- the log reader

class LogError(Exception):
    pass


def tokens(text):
    return re.findall(r"/\\|\\/|\(|\)|not\b|true\b|false\b|[^\s()]+=[^\s()]+", text)


def parse_prop(toks):
    """Recursive descent over herd's propositions: \\/ below /\\ below not."""
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take(t=None):
        tok = peek()
        if tok is None or (t and tok != t):
            raise LogError(f"condition: expected {t or 'more'} at {tok!r}")
        pos[0] += 1
        return tok

    def disj():
        node = conj()
        while peek() == "\\/":
            take()
            node = ("or", node, conj())
        return node

    def conj():
        node = unary()
        while peek() == "/\\":
            take()
            node = ("and", node, unary())
        return node

    def unary():
        tok = take()
        if tok == "not":
            take("(")
            node = disj()
            take(")")
            return ("not", node)
        if tok == "(":
            node = disj()
            take(")")
            return node
        if tok in ("true", "false"):
            return ("const", tok == "true")
        loc, val = tok.split("=", 1)
        return ("atom", loc, val)

    node = disj()
    if peek() is not None:
        raise LogError(f"condition: unexpected {peek()!r}")
    return node


def same_value(a, b):
    try:
        return int(a, 0) == int(b, 0)
    except ValueError:
        return a == b


def holds(node, state):
    kind = node[0]
    if kind == "const":
        return node[1]
    if kind == "atom":
        return node[1] in state and same_value(state[node[1]], node[2])
    if kind == "not":
        return not holds(node[1], state)
    if kind == "and":
        return holds(node[1], state) and holds(node[2], state)
    return holds(node[1], state) or holds(node[2], state)


STATE_LINE = re.compile(r"^(\d+) *([*:])>((?:[^ ;=]+=[^ ;]+; )*[^ ;=]+=[^ ;]+;)(?: # (.*))?$")


def read_block(lines, i):
    """One test's results from lines[i] ("Test ..."); returns (dict, next index)."""
    def line(k):
        if k >= len(lines):
            raise LogError("log ends inside a test block")
        return lines[k]

    m = re.match(r"^Test (\S+) (Allowed|Forbidden|Required)$", line(i))
    if not m:
        raise LogError(f"bad Test line {line(i)!r}")
    t = {"name": m.group(1), "kind": m.group(2), "states": []}
    m = re.match(r"^Histogram \((\d+) states\)$", line(i + 1))
    if not m:
        raise LogError(f"{t['name']}: bad Histogram line {line(i + 1)!r}")
    n = int(m.group(1))
    k = i + 2
    for _ in range(n):
        m = STATE_LINE.match(line(k))
        if not m:
            raise LogError(f"{t['name']}: bad state line {line(k)!r}")
        state = dict(item.split("=", 1) for item in m.group(3).rstrip(";").split("; "))
        t["states"].append((int(m.group(1)), m.group(2) == "*", state, m.group(4)))
        k += 1
    t["ok"] = line(k)
    if t["ok"] not in ("Ok", "No") or line(k + 1) != "" or line(k + 2) != "Witnesses":
        raise LogError(f"{t['name']}: expected Ok/No, a blank line and Witnesses at {line(k)!r}")
    m = re.match(r"^Positive: (\d+), Negative: (\d+)$", line(k + 3))
    if not m:
        raise LogError(f"{t['name']}: bad Positive line {line(k + 3)!r}")
    t["positive"], t["negative"] = int(m.group(1)), int(m.group(2))
    m = re.match(r"^Condition ((~?exists|forall) \((.*)\)) is (NOT )?validated$", line(k + 4))
    if not m:
        raise LogError(f"{t['name']}: bad Condition line {line(k + 4)!r}")
    t["quant"], t["prop"] = m.group(2), parse_prop(tokens(m.group(3)))
    t["validated"] = m.group(4) is None
    k += 5
    while re.match(r"^\w+=", line(k)):
        k += 1  # the test's metadata
    m = re.match(r"^Observation (\S+) (Never|Sometimes|Always) (\d+) (\d+)$", line(k))
    if not m or m.group(1) != t["name"]:
        raise LogError(f"{t['name']}: bad Observation line {line(k)!r}")
    t["observation"], t["obs_true"], t["obs_false"] = m.group(2), int(m.group(3)), int(m.group(4))
    k += 1
    t["model"] = None
    m = re.match(r"^Model (\S+) (\S+)", line(k))
    if m:
        t["model"] = m.group(2) if m.group(2) in ("Allowed", "Forbidden") else None
        k += 1
    t["meetings"] = t["gave_up"] = 0
    m = re.match(r"^Sync (\S+) (\d+) meetings, (\d+) given up$", line(k))
    if m:
        t["meetings"], t["gave_up"] = int(m.group(2)), int(m.group(3))
        k += 1
    m = re.match(r"^Time (\S+) (\d+\.\d\d)$", line(k))
    if not m or m.group(1) != t["name"]:
        raise LogError(f"{t['name']}: bad Time line {line(k)!r}")
    check_block(t)
    return t, k + 1


def check_block(t):
    """The numbers of a block agree with each other and with the condition."""
    name, quant = t["name"], t["quant"]
    want_kind = {"exists": "Allowed", "~exists": "Forbidden", "forall": "Required"}[quant]
    if t["kind"] != want_kind:
        raise LogError(f"{name}: Test says {t['kind']} for a {quant} condition")
    shown = 0
    for count, star, state, _ in t["states"]:
        h = holds(t["prop"], state)
        if star != (not h if quant == "forall" else h):
            raise LogError(f"{name}: state {state} is marked {'*>' if star else ':>'}, "
                           f"but the condition {'holds' if h else 'does not hold'} on it")
        shown += count if star else 0
    total = sum(c for c, _, _, _ in t["states"])
    pos, neg = (shown, total - shown) if quant == "exists" else (total - shown, shown)
    if (t["positive"], t["negative"]) != (pos, neg):
        raise LogError(f"{name}: Positive/Negative {t['positive']}/{t['negative']}, counted {pos}/{neg}")
    ok = shown > 0 if quant == "exists" else shown == 0
    if (t["ok"] == "Ok") != ok or t["validated"] != ok:
        raise LogError(f"{name}: says {t['ok']}, validated={t['validated']}, but {shown} shown")
    c_true, c_false = (total - shown, shown) if quant == "forall" else (shown, total - shown)
    word = "Never" if c_true == 0 else "Always" if c_false == 0 else "Sometimes"
    if (t["observation"], t["obs_true"], t["obs_false"]) != (word, c_true, c_false):
        raise LogError(f"{name}: Observation {t['observation']} {t['obs_true']} {t['obs_false']}, "
                       f"counted {word} {c_true} {c_false}")
    t["seen"] = c_true  # iterations showing the condition's outcome


def read_log(out):
    """Every test block of a runner log, checked; raises LogError."""
    lines = out.replace("\r", "").split("\n")
    tests = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("Test "):
            t, i = read_block(lines, i)
            tests.append(t)
        else:
            i += 1
    return tests


# ---------------------------------------------------------------- expectations

def expected_verdicts():
    """The ARMv8 verdict each of the project's own tests states in its comment."""
    verdicts = {}
    d = os.path.join(ROOT, "tests", "litmus")
    for f in sorted(os.listdir(d)):
        if f.endswith(".litmus"):
            text = open(os.path.join(d, f)).read()
            name = re.match(r"\s*AArch64\s+(\S+)", text).group(1)
            m = re.search(r"Expected ARMv8 verdict:\s*(Allowed|Forbidden)", text)
            verdicts[name] = m.group(1) if m else None
    return verdicts


MUST_RELAX = ("SB", "R")  # QEMU on an x86 host shows these (x86-TSO's store buffer)
# Forbidden outcomes that QEMU TCG on an x86 host does show: QEMU's bugs, not
# allstop's.  TCG fences before STLR's store and after LDAR's load, never
# between, so the host's store buffer lets an LDAR pass an earlier STLR
# (measured 3-7 % of iterations, QEMU 10.0.2).  Only these tests, only on an
# x86 host: every other forbidden outcome fails the stage.
QEMU_DEFECTS = {"SB+rel+acq": "QEMU TCG leaves STLR;LDAR unfenced on an x86 host"}
SUMMARY_LINE = re.compile(r"^Summary: \d+ tests, (\d+) could not run, \d+ skipped, (\d+) showed a state",
                          re.M)


def qemu_defect(name):
    return HOST == "x86_64" and name in QEMU_DEFECTS


def suite_problems(status, out, smp, unrelaxed=None, defects=None):
    """What is wrong with a run=litmus boot's log, as a list of strings
    (and, in unrelaxed, the MUST_RELAX tests that showed nothing; in defects,
    the QEMU_DEFECTS that showed their forbidden outcome)."""
    problems = []
    unrelaxed = [] if unrelaxed is None else unrelaxed
    defects = [] if defects is None else defects
    try:
        tests = read_log(out)
    except LogError as e:
        return problems + status_words(status) + [f"log format: {e}"]
    verdicts = expected_verdicts()
    ran = {t["name"]: t for t in tests}
    for name, verdict in verdicts.items():
        t = ran.get(name)
        if t is None:
            # Skipped, saying why: too few cores, or an instruction this CPU
            # lacks (LDAPR: QEMU's cortex-a72 has no FEAT_LRCPC, like the Pi 4).
            if not re.search(rf"^litmus: {re.escape(name)}\.litmus: skipped: "
                             r"(it needs \d+ cores|this CPU has no )", out, re.M):
                problems.append(f"{name} did not run")
            continue
        if verdict == "Forbidden" and t["seen"] and qemu_defect(name):
            defects.append(f"{name} {t['seen']} times ({QEMU_DEFECTS[name]})")
            continue
        if verdict == "Forbidden" and t["seen"]:
            problems.append(f"{name} (Forbidden) showed its outcome {t['seen']} times")
        if t["model"] and verdict and t["model"] != verdict:
            problems.append(f"{name}: the model says {t['model']}, the file {verdict}")
        for count, _, state, comment in t["states"]:
            if comment and "forbidden by the ARMv8 model" in comment:
                problems.append(f"{name}: {state} seen {count} times is forbidden by the model")
    for name in MUST_RELAX:
        if name in ran and ran[name]["seen"] == 0:
            problems.append(f"{name} showed no relaxed outcome in {ran[name]['obs_false']} iterations")
            unrelaxed.append(name)
    summary = SUMMARY_LINE.search(out)
    if not summary or summary.group(1) != "0" or int(summary.group(2)) != len(defects):
        problems.append("no clean summary line")
    # A forbidden state makes the run's status 1: expected exactly when the
    # only ones were QEMU's own.
    problems += status_words(status, 1 if defects else 0)
    if "Platform: QEMU TCG on an x86 host" not in out and HOST == "x86_64":
        problems.append("the header does not say QEMU TCG on an x86 host")
    return problems


def status_words(status, want=0):
    if status == want:
        return []
    return ["timed out" if status is None else f"exit status {status} (want {want})"]


def relax_figures(out):
    figs = []
    for t in read_log(out):
        if t["name"] in MUST_RELAX:
            total = t["obs_true"] + t["obs_false"]
            figs.append(f"{t['name']} {100.0 * t['seen'] / total:.1f}%")
    return ", ".join(figs)


# ---------------------------------------------------------------- the stage

def suite_args(extra=""):
    return f'run=litmus exit=semihost host={HOST} litmus="{OPTS}{extra}"'


def retry_relaxed(rp, image, smp, names):
    """SB and R again, ten times longer, in a fresh boot of the same machine:
    on a loaded host QEMU's vCPUs may not run at the same time for a whole
    test (measured: 20,000 iterations with threads taking turns).  Returns
    the problems left, and the tests where the threads still did not run
    together (more than a quarter of their -sync meetings given up): there
    the check says nothing either way, and the stage skips it, saying so."""
    script = b"\r" + b"".join(f"litmus run {n} -r 200\r".encode() for n in names) + b"poweroff\r"
    status, out, _ = rp.boot(f"litmus: {'+'.join(names)} again, virt {smp} cores",
                             rp.qemu_cmd(image, smp, append=f"run=shell host={HOST}"),
                             timeout=rp.BOOT_TIMEOUT, input_bytes=script)
    try:
        tests = {t["name"]: t for t in read_log(out)}
    except LogError as e:
        return [f"retry: log format: {e}"], []
    problems, busy = [], []
    for n in names:
        t = tests.get(n)
        if t and t["seen"]:
            continue
        if t and t["meetings"] and t["gave_up"] * 4 > t["meetings"]:
            # The threads did not run together: the host is too busy to
            # tell anything (a store buffer needs two cores at once).
            busy.append(f"{n}: {t['gave_up']} of {t['meetings']} meetings given up")
        else:
            problems.append(f"{n} showed no relaxed outcome in 20,000 iterations, nor in 200,000 more")
    return problems, busy


def run_suite_virt(rp, res, image, smp):
    name = f"litmus: built-in suite, virt {smp} cores"
    status, out, secs = rp.boot(name, rp.qemu_cmd(image, smp, mem="1G", append=suite_args()))
    unrelaxed, defects = [], []
    problems = suite_problems(status, out, smp, unrelaxed, defects)
    note = ""
    busy = []
    if unrelaxed and len(unrelaxed) == len([p for p in problems if "no relaxed outcome" in p]):
        left, busy = retry_relaxed(rp, image, smp, unrelaxed)
        problems = [p for p in problems if "no relaxed outcome" not in p] + left
        note = f"; {', '.join(unrelaxed)} needed the longer run"
    detail = "; ".join(problems) if problems else f"{relax_figures(out)} relaxed ({secs:.0f} s){note}"
    res.add(name, not problems, detail + ("" if not problems else "\n" + rp.tail(out)))
    if busy and not problems:
        res.skip(f"{name}: relaxed outcomes", "the host did not run the test's vCPUs together ("
                 + "; ".join(busy) + "): too busy to tell")
    if defects:
        res.skip(f"{name}: a forbidden outcome from QEMU itself", "; ".join(defects))


def run_suite_pi(rp, res, board, machine):
    if not rp.qemu_has_machine(machine):
        res.skip(f"litmus: built-in suite on {machine}", f"this QEMU has no {machine}")
        return
    build = os.path.join(rp.BUILD, f"test-litmus-{board}")
    ok, log = rp.build_board(board, suite_args(), build)
    name = f"litmus: built-in suite, {board} (QEMU -M {machine})"
    if not ok:
        res.add(name, False, log[-2000:])
        return
    status, out, secs = rp.boot(name, rp.pi_cmd(machine, os.path.join(build, "kernel8.img")))
    defects = []
    problems = suite_problems(status, out, 4, defects=defects)
    if defects:
        res.skip(f"{name}: a forbidden outcome from QEMU itself", "; ".join(defects))
    # The Pi models are slower than virt on two host cores: whether SB and R
    # relax there depends on host scheduling, so a missing relaxed outcome is
    # said, not failed (virt's boots check it; everything else stays a failure).
    unrelaxed = [p for p in problems if "no relaxed outcome" in p]
    problems = [p for p in problems if "no relaxed outcome" not in p]
    if unrelaxed:
        res.skip(f"{name}: relaxed outcomes", "; ".join(unrelaxed) + " (host scheduling)")
    detail = "; ".join(problems) if problems else f"{relax_figures(out)} relaxed ({secs:.0f} s)"
    res.add(name, not problems, detail + ("" if not problems else "\n" + rp.tail(out)))


def run_tool(rp, res, image):
    name = "litmus: tools/litmus ../shared/litmus/herdtools7/SB.litmus"
    sb = os.path.join(SHARED, "SB.litmus")
    if not os.path.exists(sb):
        res.skip(name, f"{SHARED} is absent")
        return
    logfile = os.path.join(rp.BUILD, "test-logs", "tools-litmus-SB.log")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "litmus"), sb, "-r", "20",
                        "--build", os.path.dirname(image), "--log", logfile],
                       cwd=ROOT, capture_output=True, text=True, timeout=rp.BOOT_TIMEOUT)
    problems = []
    try:
        tests = read_log(p.stdout)
        if [t["name"] for t in tests] != ["SB"]:
            problems.append("no SB block in the log")
        elif tests[0]["seen"] == 0:
            # 20 runs are short: on a busy host the two vCPUs may never overlap.
            res.skip(f"{name}: relaxed outcome", "not seen in this short run (host scheduling)")
    except LogError as e:
        problems.append(f"log format: {e}")
    if p.returncode != 0:
        problems.append(f"exit status {p.returncode}")
    if not os.path.exists(logfile) or "Observation SB" not in open(logfile).read():
        problems.append("no log file with the results")
    res.add(name, not problems, "; ".join(problems) + ("" if not problems else "\n" + p.stdout[-3000:] + p.stderr))


GOOD_PASTE = b"""AArch64 pasted-SB
(* typed at the console *)
{ 0:X1=x; 0:X3=y; 1:X1=y; 1:X3=x; }
 P0          | P1          ;
 MOV W0,#1   | MOV W0,#1   ;
 STR W0,[X1] | STR W0,[X1] ;
 LDR W2,[X3] | LDR W2,[X3] ;
exists (0:X2=0 /\\ 1:X2=0)
"""

BAD_PASTE = b"""AArch64 broken
{ 0:X1=x; }
 P0          ;
 LDRB W0,[X1] ;
exists (0:X0=0)
"""


def run_paste(rp, res, image):
    """The shell's litmus load, driven over the serial line (QEMU's stdin)."""
    script = (b"\r" + b"litmus load -r 20\r" + GOOD_PASTE.replace(b"\n", b"\r\n") + b".\r"
              + b"litmus load\r" + BAD_PASTE.replace(b"\n", b"\r") + b"\x04"
              + b"litmus load\r" + b"half a test\r\x03"
              + b"litmus run nosuch\r" + b"litmus run SB -s 0\r" + b"litmus list\r"
              + b"uptime\r" + b"poweroff\r")
    status, out, _ = rp.boot("litmus-load", rp.qemu_cmd(image, 2, append=f"run=shell host={HOST}"),
                             timeout=240, input_bytes=script)
    problems = []
    try:
        tests = read_log(out)
        if [t["name"] for t in tests] != ["pasted-SB"]:
            problems.append(f"blocks {[t['name'] for t in tests]}, want the pasted SB")
    except LogError as e:
        problems.append(f"log format: {e}")
    checks = {
        "the paste is counted": PASTE_COUNTED,
        "malformed paste gives file:line:col": PASTE_ERROR,
        "^C abandons a paste": PASTE_ABANDONED,
        "unknown test": NO_SUCH_TEST,
        "bad -s": BAD_SIZE,
        "list": LIST_ROW_SB,
        "the shell carries on": UPTIME,
        "poweroff": POWER_OFF,
    }
    problems += [k for k, pattern in checks.items() if not re.search(pattern, out, re.M)]
    ok = status == 0 and not problems
    res.add("litmus: litmus load over the serial line, good and malformed", ok,
            f"status {status}; " + "; ".join(problems) + ("" if ok else "\n" + rp.tail(out, 60)))


def run_serial_tool(rp, res, image):
    """tools/litmus --serial, against a QEMU whose console is a pseudo-terminal."""
    name = "litmus: tools/litmus --serial (QEMU console on a pty)"
    found = {}
    ready = threading.Event()

    def on_line(proc, line):
        found["proc"] = proc
        m = re.search(r"char device redirected to (/dev/pts/\d+)", line)
        if m:
            found["pty"] = m.group(1)
            ready.set()
        if "allstop shell: type help" in line:
            found["shell"] = True

    cmd = rp.qemu_cmd(image, 2, append=f"run=shell host={HOST}")
    cmd[cmd.index("-serial") + 1] = "pty"
    result = {}

    def qemu():
        result["boot"] = rp.boot("litmus-serial-qemu", cmd, timeout=300, on_line=on_line)

    th = threading.Thread(target=qemu, daemon=True)
    th.start()
    if not ready.wait(60):
        if "proc" in found:
            found["proc"].kill()
        th.join(10)
        res.add(name, False, "QEMU gave no pty")
        return
    time.sleep(3)  # let it boot to the shell
    test = os.path.join(ROOT, "tests", "litmus", "SB.litmus")
    logfile = os.path.join(rp.BUILD, "test-logs", "tools-litmus-serial.log")
    try:
        p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "litmus"), "--serial", found["pty"],
                            "-r", "20", "--timeout", "200", "--log", logfile, test],
                           cwd=ROOT, capture_output=True, text=True, timeout=260)
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = str(e.stdout), None
    # end QEMU: poweroff over the pty
    try:
        fd = os.open(found["pty"], os.O_WRONLY | os.O_NOCTTY)
        os.write(fd, b"poweroff\r")
        os.close(fd)
    except OSError:
        pass
    th.join(60)
    if th.is_alive() and "proc" in found:
        found["proc"].kill()  # it did not power off: never leave a QEMU behind
        th.join(10)
    problems = []
    try:
        tests = read_log(out)
        if [t["name"] for t in tests] != ["SB"]:
            problems.append(f"blocks {[t['name'] for t in tests]}, want SB")
    except LogError as e:
        problems.append(f"log format: {e}")
    if rc != 0:
        problems.append(f"tools/litmus exit status {rc}")
    res.add(name, not problems, "; ".join(problems) + ("" if not problems else "\n" + out[-3000:]))


NO_TEST_YET = r"^litmus why: no test run or loaded yet"
PROMPT = "allstop> "


def own_tests():
    """(name, path) of each of the project's own tests, as the suite has them."""
    d = os.path.join(ROOT, "tests", "litmus")
    tests = []
    for f in sorted(os.listdir(d)):
        if f.endswith(".litmus"):
            text = open(os.path.join(d, f)).read()
            tests.append((re.match(r"\s*AArch64\s+(\S+)", text).group(1), os.path.join(d, f)))
    return tests


def shell_answers(out):
    """{command line: what the shell printed for it} from a shell session's log."""
    answers, cmd = {}, None
    for line in out.splitlines():
        if line.startswith(PROMPT):
            cmd = line[len(PROMPT):].strip()
            answers[cmd] = []
        elif cmd is not None:
            answers[cmd].append(line.rstrip())
    return {k: "\n".join(v).strip() for k, v in answers.items()}


def run_why(rp, res, image):
    """litmus why NAME: the kernel's model prints, for every test of the suite,
    what the host command (tools/litmus-model --why) prints: the same states,
    verdict and forbidding cycle, computed on the guest."""
    name = "litmus: litmus why equals tools/litmus-model --why on the built-in suite"
    tests = own_tests()
    script = b"\r" + b"litmus why\r" + b"".join(b"litmus why %s\r" % n.encode() for n, _ in tests)
    status, out, _ = rp.boot("litmus-why", rp.qemu_cmd(image, 2, append="run=shell"), timeout=300,
                             input_bytes=script + b"poweroff\r")
    answers = shell_answers(out)
    problems = [] if re.search(NO_TEST_YET, out, re.M) else ["'litmus why' alone before any test"]
    for test, path in tests:
        p = subprocess.run([os.path.join(ROOT, "tools", "litmus-model"), "--why", path],
                           capture_output=True, text=True)
        want = p.stdout.strip()
        got = answers.get(f"litmus why {test}")
        if p.returncode != 0 or not want:
            problems.append(f"{test}: the host command failed: {p.stderr.strip()[:200]}")
        elif got != want:
            problems.append(f"{test}: the kernel printed\n{got}\n--- the host\n{want}")
    res.add(name, status == 0 and not problems,
            f"status {status}; {len(tests)} tests; " + "; ".join(problems)[:4000])


def run(rp, res):
    print("== litmus runner", flush=True)
    image = os.path.join(rp.BUILD, "virt", "kernel.img")
    for smp in (2, 4, 8):
        run_suite_virt(rp, res, image, smp)
    run_tool(rp, res, image)
    run_paste(rp, res, image)
    run_why(rp, res, image)
    run_serial_tool(rp, res, image)
    run_suite_pi(rp, res, "raspi3b", "raspi3b")
    run_suite_pi(rp, res, "rpi4", "raspi4b")
