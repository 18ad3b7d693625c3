"""tests/stage_lessons.py — the `lessons` stage: the nine weak-memory lessons
(kernel/lessons/), each once, with short runs (run=lessons quick=1), on QEMU
virt with 4 cores.

  - every lesson runs to its end (`lesson N: done`), and the boot's status
    is 0 (a state the ARMv8 model forbids makes it 1);
  - no test of any lesson shows its condition's outcome when the lesson's
    own model line says Forbidden, and no state is marked `!! forbidden`;
  - lesson 1 shows SB's relaxed outcome under QEMU (x86's store buffer): in
    the short run, or else in a full run of lesson 1 alone;
  - lesson 9's runtime half reproduces Go's allgs bug in gc=racy and shows
    the fix in gc=fixed (the allgs demo's own outcome lines, as the gc
    stage reads them).
"""

import re

from harness import boot, qemu_cmd, status_problems
from stage_gc import demo_problems
from stage_litmus import QEMU_DEFECTS, qemu_defect

LESSONS = 9
TEST_HEADER = re.compile(r"^-- (\S+) -+$", re.M)
MODEL_LINE = re.compile(r"^The ARMv8 model: (Allowed|Forbidden)\b", re.M)
SEEN_LINE = re.compile(r"^Seen: the condition's outcome (\d+) times in (\d+)\.", re.M)
FORBIDDEN_MARK = re.compile(r"!! forbidden|^!! \d+ state\(s\) the ARMv8 model forbids", re.M)

def test_blocks(out):
    """{(lesson, test): (verdict, seen, iterations, marked)} from the lessons'
    output; marked: the block marks a state as forbidden."""
    blocks = {}
    for lesson in re.split(r"^==== Lesson ", out, flags=re.M)[1:]:
        n = int(lesson.split(":", 1)[0])
        parts = TEST_HEADER.split(lesson)
        for name, body in zip(parts[1::2], parts[2::2]):
            model, seen = MODEL_LINE.search(body), SEEN_LINE.search(body)
            if model and seen:
                blocks[(n, name)] = (model.group(1), int(seen.group(1)), int(seen.group(2)),
                                     FORBIDDEN_MARK.search(body) is not None)
    return blocks



def lessons_problems(status, out):
    problems = status_problems(status)
    for n in range(1, LESSONS + 1):
        if not re.search(rf"^lesson {n}: done$", out, re.M):
            problems.append(f"lesson {n} did not finish clean")
    blocks = test_blocks(out)
    if not blocks:
        problems.append("no test ran")
    for (n, name), (verdict, seen, _, marked) in sorted(blocks.items()):
        if qemu_defect(name):
            continue
        if verdict == "Forbidden" and seen:
            problems.append(f"lesson {n}: {name} is Forbidden and showed its outcome {seen} times")
        if marked:
            problems.append(f"lesson {n}: {name}: a state the model forbids was marked")
    return problems, blocks


def defects_seen(blocks):
    return [f"{name} {seen} times ({QEMU_DEFECTS[name]})"
            for (_, name), (_, seen, _, _) in sorted(blocks.items()) if qemu_defect(name) and seen]


def sb_seen(blocks):
    return blocks.get((1, "SB"), (None, 0, 0))[1]


def run(res, opts):
    print("== weak-memory lessons", flush=True)
    name = "lessons: all nine, short runs, virt 4 cores"
    status, out, secs = boot(name, qemu_cmd(opts.image, 4, append="run=lessons quick=1 exit=semihost"))
    problems, blocks = lessons_problems(status, out)
    res.add(name, not problems, f"{len(blocks)} tests in {secs:.0f} s; " + "; ".join(problems))
    for defect in defects_seen(blocks):
        res.skip("lessons: a forbidden outcome from QEMU itself", defect)
    name = "lessons: lesson 1 shows SB's relaxed outcome under QEMU"
    seen, note = sb_seen(blocks), "in the short run"
    if not seen:
        status1, out1, _ = boot(name, qemu_cmd(opts.image, 4, append="run=lesson:1 exit=semihost"))
        seen, note = sb_seen(test_blocks(out1)), "in a full run of lesson 1"
    res.add(name, seen > 0, f"SB relaxed {seen} times {note}")
    lesson9 = out.split("==== Lesson 9:", 1)[-1] if "==== Lesson 9:" in out else ""
    demo = demo_problems(0, lesson9)
    res.add("lessons: lesson 9's runtime half: the bug in gc=racy, none in gc=fixed", not demo,
            "; ".join(demo))
