"""tests/stage_model.py — the `model` stage: the Promela model of the
stop-the-world (tests/model/), checked with spin by tests/model/check.  The
script prints one "PASS model: ..." or "FAIL model: ..." line per property;
each becomes a check of the same name.  A script that fails without a FAIL
line, or prints no result at all, is a failure of its own.
"""

import os
import re
import subprocess

from harness import ROOT

MODEL_RESULT = re.compile(r"^(PASS|FAIL) (model: .*)$", re.M)


def run(res, opts):
    print("== Promela model of the stop-the-world (spin)", flush=True)
    script = os.path.join(ROOT, "tests", "model", "check")
    p = subprocess.run([script], cwd=ROOT, capture_output=True, text=True)
    lines = MODEL_RESULT.findall(p.stdout)
    for verdict, what in lines:
        res.add(what, verdict == "PASS")
    if p.returncode != 0 and not any(v == "FAIL" for v, _ in lines):
        res.add("model: tests/model/check ran", False, (p.stdout + p.stderr)[-1500:])
    if not lines:
        res.add("model: tests/model/check printed results", False, (p.stdout + p.stderr)[-1500:])
