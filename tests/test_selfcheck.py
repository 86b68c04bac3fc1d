"""`annotator --self-check` from source (tests/test_frozen.py runs it in the frozen app)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from annotator import selfcheck

ROOT = Path(__file__).resolve().parents[1]
STEP_NAMES = [name for name, _ in selfcheck.STEPS]


def test_self_check_passes_from_source(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "annotator", "--self-check"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert [line.split()[1] for line in lines[:-1]] == STEP_NAMES
    assert all(line.startswith("ok   ") and line.endswith(" ms)") for line in lines[:-1]), lines
    assert lines[-1] == f"self-check passed ({len(STEP_NAMES)} steps)"
    assert "Angela Merkel/PERSON" in lines[1]


def test_a_failing_step_is_one_line_and_the_others_still_run(monkeypatch):
    def broken(st):
        raise OSError("disk full\nsecond line")

    def needs_db(st):
        st.need("db")
        return "never"

    steps = [
        ("python", selfcheck.step_python),
        ("broken", broken),
        ("needs-db", needs_db),
        ("resources", selfcheck.step_resources),
    ]
    monkeypatch.setattr(selfcheck, "STEPS", steps)
    out: list[str] = []
    assert selfcheck.run_self_check(out.append) == 1
    assert out[0].startswith("ok   python (Python ")
    assert out[1].startswith("FAIL broken: OSError: disk full second line (at test_selfcheck.py:")
    assert out[2] == "FAIL needs-db: not run: needs db from an earlier step"
    assert out[3].startswith("ok   resources (")
    assert out[4] == "self-check FAILED (2 of 4 steps)"
