"""Run tests/x11 on a real X server: Xvfb through pytest-xvfb, Qt's xcb platform plugin.

`.ci/run` installs Xvfb (and the X libraries Qt's xcb plugin needs) where they are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_window_works_on_a_real_x_server(tmp_path):
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed here (.ci/run installs it)")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="xcb", ANNOTATOR_X11_SHOT=str(tmp_path / "window.png"))
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/x11", "-p", "xvfb", "-o", "addopts=",
         "-o", "xvfb_width=1280", "-o", "xvfb_height=900",
         "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "x11")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "1 passed" in r.stdout
    assert (tmp_path / "window.png").stat().st_size > 10_000
