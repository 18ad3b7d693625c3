"""tests/stage_style.py — the `style` stage: every C source and header of the
checkout, in any folder, is formatted as .clang-format says (`make format`
fixes it); and the subsystem folders include each other without a cycle
(tools/deps --check: dependencies point one way).  The files are git's tracked and new, not ignored, files that
exist: a file moved but not yet committed is checked at its new path, and the
build folders (ignored) are not.  Outside a git checkout, or without
clang-format, the check is skipped.
"""

import os
import re
import subprocess

from harness import ROOT

CLANG_FORMAT_ERROR = re.compile(r"^([^:\s]+):\d+:\d+: error", re.M)


def c_sources():
    """Every *.c and *.h at any depth (git's pathspec * crosses folders)."""
    p = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.c", "*.h"],
                       cwd=ROOT, capture_output=True, text=True)
    files = sorted(set(p.stdout.split()))
    return [f for f in files if os.path.isfile(os.path.join(ROOT, f))]


def run(res, opts):
    print("== source style", flush=True)
    check_deps(res)
    files = c_sources()
    if not files:
        res.skip("clang-format", "not a git checkout")
        return
    try:
        p = subprocess.run(["clang-format", "--dry-run", "--Werror"] + files, cwd=ROOT,
                           capture_output=True, text=True)
    except OSError:
        res.skip("clang-format", "clang-format is not installed")
        return
    bad = sorted(set(CLANG_FORMAT_ERROR.findall(p.stderr)))
    res.add("sources are clang-formatted (make format)", p.returncode == 0,
            "differs: " + ", ".join(bad) if bad else "")


def check_deps(res):
    """tools/deps --check: no include cycle between subsystem folders."""
    p = subprocess.run([os.path.join(ROOT, "tools", "deps"), "--check"], cwd=ROOT,
                       capture_output=True, text=True)
    cycles = [line for line in p.stdout.splitlines() if line.startswith("cycle:")]
    res.add("no include cycle between subsystem folders (tools/deps --check)",
            p.returncode == 0 and not cycles, "; ".join(cycles) + p.stderr.strip())
