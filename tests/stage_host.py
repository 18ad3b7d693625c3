"""tests/stage_host.py — the `host` stage: the host unit tests (cmocka, built
with ASan and UBSan by tests/host/Makefile).  Every cmocka test counts as one
check; their names stay in cmocka's own output, and a failing one is listed.
A make that fails without a failing test (a build error, a sanitizer abort)
is one more failure.
"""

import os
import re
import subprocess

from harness import BUILD, ROOT, tail

# cmocka's group summaries: "[  PASSED  ] 12 test(s)." and the failed names.
CMOCKA_PASSED = re.compile(r"^\[  PASSED  \] (\d+) test", re.M)
CMOCKA_FAILED = re.compile(r"^\[  FAILED  \] (\d+) test", re.M)
CMOCKA_FAILED_NAME = re.compile(r"^\[  FAILED  \] (\S+)$", re.M)


def run(res, opts):
    print("== host unit tests (cmocka, ASan + UBSan)", flush=True)
    if not os.path.exists(os.path.join(ROOT, "tests", "host", "Makefile")):
        res.add("host: tests/host/Makefile", False, "missing")
        return
    p = subprocess.run(["make", "--no-print-directory", "-f", "tests/host/Makefile", "run",
                        f"B={os.path.relpath(os.path.join(BUILD, 'host'), ROOT)}"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode("utf-8", "replace")
    passed = sum(int(n) for n in CMOCKA_PASSED.findall(out))
    failed = sum(int(n) for n in CMOCKA_FAILED.findall(out))
    for name in CMOCKA_FAILED_NAME.findall(out):
        print(f"  failed: {name}")
    res.passed += passed
    res.failed += failed
    print(f"host: {passed} passed, {failed} failed", flush=True)
    if p.returncode != 0 and failed == 0:
        res.add("host: build or sanitizer run", False, "make exited %d" % p.returncode)
        print(tail(out, 60))
