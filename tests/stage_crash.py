"""tests/stage_crash.py — the `crash` stage: the panic path and the
stop-the-world watchdog.

  - run=crash:<kind> faults on purpose (a panic, an abort at a bad address,
    an undefined instruction, a NULL read, two cores panicking at once):
    each gives exactly one complete report (one header, every register,
    the other cores stopped) and exit status 3;
  - the stop-the-world watchdog: at stw_watchdog a warning names each silent
    core, what it was doing and the PC where it was last seen (which must be
    in spin_masked, the crash workload's loop); only at stw_panic does the
    stop panic.  A core masked for ever: warnings, then the panic.  A core
    masked for 300 ms: a warning, then the stop completes.  The whole
    machine paused (SIGSTOP to QEMU, as a busy host may pause every vCPU):
    the time the stopping core itself did not run does not count.

The watchdog's lines are matched by their key (`stop-the-world (crash:
<kind>):` and the event) and their figures, which are checked against the
limits the boot asked for.
"""

import os
import re
import signal
import time

from harness import PANIC_STATUS, NULL_REPORT, boot, check_report, qemu_cmd, readelf, status_problems, stw_limits

# (action, a regex for each line the report must have)
PANIC_CASES = [
    ("crash:panic", [r"^panic: deliberate panic", r"BRK instruction", r"^cpu1: stopped at ELR"]),
    ("crash:abort", [r"Data abort \(same EL\).*translation fault, level 1, write",
                     r"^FAR  0000007f00000040", r"^cpu0: stopped at ELR"]),
    ("crash:undef", [r"undefined instruction", r"^cpu\d: stopped"]),
    ("crash:null", NULL_REPORT),
    ("crash:double", [r"^panic: simultaneous panic", r"^cpu\d: also panicked: simultaneous panic"]),
]

# ---------------------------------------------------------------- watchdog markers

STW_WHO = r"^stop-the-world \(crash: {kind}\): "
# The function the silent core spins in, with interrupts masked (crash workload).
SPINNER = "spin_masked"
SPINNING = "spinning with interrupts masked"
NOT_ANSWERED = "has not answered IPI_STOP after"
WARNING = (STW_WHO + r"cpu(\d) " + NOT_ANSWERED + r" (\d+) ms: it was " + SPINNING
           + r".*; last seen at PC (0x[0-9a-f]+) (\d+) ms ago")
STILL_WAITING_PANIC = STW_WHO + r"still waiting; panic after {ms} ms \(stw_panic\)$"
STILL_WAITING_AFTER = STW_WHO + r"still waiting after"
# The final word on the silent core: it did not answer within stw_panic (1 s here).
DID_NOT_ANSWER = (STW_WHO + r"cpu\d did not answer IPI_STOP within (1\d\d\d|[2-9]\d\d\d) ms: it was "
                  + SPINNING + r".*; last seen at PC 0x[0-9a-f]+ \d+ ms ago")
STW_PANIC = r"^panic: stop-the-world: no answer from cpu\d within {ms} ms \(stw_panic\)$"
PARKED = r"^cpu\d: stopped at ELR .* \(was parked \(world stopped\)\)"
EVERY_CORE_ANSWERED = STW_WHO + r"every core answered after (\d+) ms$"
SLOW_WAITED = r"^crash: stw-slow: the stop waited \d+ ms for cpu\d\b"
NOT_COUNTED = STW_WHO + r"(\d+) ms of the wait\b.*\bnot counted toward stw_panic$"


def run(res, opts):
    print("== panic reports", flush=True)
    for action, wants in PANIC_CASES:
        status, out, _ = boot(action, qemu_cmd(opts.image, 4, append=f"run={action} exit=semihost"), timeout=60)
        problems = check_report(out, wants) + status_problems(status, PANIC_STATUS)
        res.add_problems(f"panic report: {action}", problems, out)
    elf = os.path.join(os.path.dirname(opts.image), "kernel.elf")
    check_masked_for_ever(res, opts.image, elf)
    check_masked_300ms(res, opts.image, elf)
    check_paused_machine(res, opts.image)


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
    the line matching `before`, and its PC inside spin_masked, where the core
    was last interruptible.  Returns a list of problems."""
    m = re.search(WARNING.format(kind=kind), out, re.M)
    if not m:
        return ["no warning naming the silent core, what it was doing and a PC"]
    problems = []
    after, pc = int(m.group(2)), int(m.group(3), 16)
    if not warn_ms <= after < panic_ms:
        problems.append(f"warned after {after} ms, not between stw_watchdog={warn_ms} and stw_panic={panic_ms}")
    fn = function_at(elf, pc)
    if fn != SPINNER:
        problems.append(f"the warning's PC {pc:#x} is in {fn}, not in {SPINNER}")
    end = re.search(before, out, re.M)
    if not end:
        problems.append(f"missing /{before}/")
    elif end.start() < m.start():
        problems.append("the warning came after the end of the wait")
    return problems


def check_masked_for_ever(res, image, elf):
    """A core masks interrupts for ever: warned about at 100 ms, a panic at 1 s."""
    kind = "stw-watchdog"
    status, out, _ = boot(f"crash:{kind}", qemu_cmd(image, 4, append=f"run=crash:{kind} stw_watchdog=100 "
                                                                     "stw_panic=1000 exit=semihost"), timeout=60)
    panic_line = STW_PANIC.format(ms=1000)
    problems = check_stw_warning(out, kind, elf, 100, 1000, panic_line)
    problems += check_report(out, [STILL_WAITING_PANIC.format(kind=kind, ms=1000), DID_NOT_ANSWER.format(kind=kind),
                                   panic_line, PARKED])
    # Repeats at 200, 400 and 800 ms: a few lines, not one per tick.
    repeats = len(re.findall(STILL_WAITING_AFTER.format(kind=kind), out, re.M))
    if not 1 <= repeats <= 4:
        problems.append(f"{repeats} repeated warnings in 1 s (want 1 to 4: at doubling intervals)")
    problems += status_problems(status, PANIC_STATUS)
    res.add_problems("stw watchdog: a core masked for ever is warned about at stw_watchdog, then a panic at stw_panic",
                     problems, out)


def check_masked_300ms(res, image, elf):
    """A core masks interrupts for 300 ms, with the default limits (warn after
    100 ms, panic after 10 s): a warning, then the stop completes."""
    kind = "stw-slow"
    status, out, _ = boot(f"crash:{kind}", qemu_cmd(image, 4, append=f"run=crash:{kind} exit=semihost"), timeout=60)
    done = EVERY_CORE_ANSWERED.format(kind=kind)
    problems = check_stw_warning(out, kind, elf, 100, 10000, done)
    if stw_limits(out) != (100, 10000):
        problems.append("the default limits are not 100 ms and 10000 ms")
    m = re.search(done, out, re.M)
    if m and int(m.group(1)) < 250:
        problems.append(f"the stop completed after {m.group(1)} ms: it did not wait for the masked core")
    if "PANIC" in out or status != 0:
        problems.append(f"exit status {status} (want 0, no panic)")
    if not re.search(SLOW_WAITED, out, re.M):
        problems.append("no 'crash: stw-slow: the stop waited' line")
    res.add_problems("stw watchdog: a core masked for 300 ms is warned about, and the stop completes (defaults)",
                     problems, out)


def check_paused_machine(res, image):
    """The whole machine paused (as a busy host may do to every vCPU): the
    time the stopping core itself did not run does not count toward
    stw_panic.  QEMU is stopped for 4 s after the first warning; with
    stw_panic=2000 the panic must still come well after it resumes."""
    times = {}

    def pause_at_warning(p, line):
        if NOT_ANSWERED in line and "resumed" not in times:
            os.kill(p.pid, signal.SIGSTOP)
            time.sleep(4)
            times["resumed"] = time.time()
            os.kill(p.pid, signal.SIGCONT)
        if line.startswith("panic: stop-the-world") and "panic" not in times:
            times["panic"] = time.time()

    kind = "stw-watchdog"
    status, out, _ = boot(f"crash:{kind} paused", qemu_cmd(image, 4, append=f"run=crash:{kind} stw_watchdog=100 "
                                                                            "stw_panic=2000 exit=semihost"),
                          timeout=60, on_line=pause_at_warning)
    problems = []
    m = re.search(NOT_COUNTED.format(kind=kind), out, re.M)
    if not m or int(m.group(1)) < 3000:
        problems.append("the 4 s pause is not reported as not counted")
    after = times["panic"] - times["resumed"] if len(times) == 2 else None
    if after is None or after < 1.0:
        problems.append(f"the panic came {after if after is None else round(after, 2)} s after the pause "
                        "(want 1 s or more: the pause must not count)")
    problems += status_problems(status, PANIC_STATUS)
    res.add_problems("stw watchdog: a paused machine's lost time does not count toward stw_panic", problems, out)
