from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"

# tests/x11 needs a real X server: tests/test_x11.py runs it under Xvfb in a child pytest.
collect_ignore = [] if os.environ.get("QT_QPA_PLATFORM") == "xcb" else ["x11"]


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"the shared corpora are not beside this checkout ({CORPORA})")
    return CORPORA


@pytest.fixture
def project(tmp_path):
    from annotator.core.project import Project

    with Project(tmp_path / "test.annotator.db") as p:
        yield p
