"""`annotator --self-check` from source (tests/test_frozen.py runs it in the frozen app)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from annotator import selfcheck

ROOT = Path(__file__).resolve().parents[1]
STEP_NAMES = [name for name, _ in selfcheck.STEPS]
WINDOW_STEPS = [name for name, _ in selfcheck.WINDOW_STEPS]

# Run the self-check in a process where one module cannot be imported, as in a bundle
# that left it out (`python -c BLOCKED MODULE`).
BLOCKED = """
import sys

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name == sys.argv[1]:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, Blocked())
from annotator.selfcheck import run_self_check

sys.exit(run_self_check())
"""


def self_check(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data")}  # fmt: skip
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    print(proc.stdout)
    return proc


def test_self_check_passes_from_source(tmp_path):
    proc = self_check(tmp_path, "-m", "annotator", "--self-check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == len(STEP_NAMES) + 1, lines
    for name, line in zip(STEP_NAMES, lines, strict=False):
        assert line.startswith(f"ok   {name} (") and line.endswith(" ms)"), line
    assert lines[-1] == f"self-check passed ({len(STEP_NAMES)} steps)"
    assert "Angela Merkel/PERSON" in lines[1]
    assert "window" in STEP_NAMES and "dialog: Models" in STEP_NAMES
    assert "learning curve of 4 points" in lines[STEP_NAMES.index("dialog: Models")]
    assert "all " in lines[STEP_NAMES.index("menus: every action run")]


def test_a_module_left_out_of_a_build_fails_the_dialog_that_imports_it(tmp_path):
    """What happened in the bundle: pyqtgraph imports PySide6.QtOpenGL, build.spec left it
    out, and only Model → Models… failed (an exception in a slot, which PySide6 only
    prints). The self-check opens that dialog, and says why it failed."""
    proc = self_check(tmp_path, "-c", BLOCKED, "PySide6.QtOpenGL")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    failed = [line for line in lines if not line.startswith("ok   ")]
    assert failed[0].startswith(
        "FAIL dialog: Models: ModuleNotFoundError: No module named 'PySide6.QtOpenGL' (at "
    ), failed
    assert failed[1:] == [f"self-check FAILED (1 of {len(STEP_NAMES)} steps)"], failed


def test_the_window_steps_come_last_and_need_no_qt_to_be_listed():
    assert STEP_NAMES[-len(WINDOW_STEPS) :] == WINDOW_STEPS
    assert WINDOW_STEPS[0] == "window"
    code = "import sys, annotator.selfcheck as s; s.STEPS; print('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert out.stdout.strip() == "False", out.stdout + out.stderr


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
