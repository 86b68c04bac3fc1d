"""Projects with pattern suggestions, and ways to hold the real worker back (the model
load or a computation) to create the races the window must survive."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from annotator.core.project import Project
from annotator.core.records import ArticleRecord
from annotator.core.suggest.service import SuggestionService

GATE_TIMEOUT = 15.0  # a gate nobody opens lets the worker go after this, so no thread hangs


def write_patterns(path: Path, *pairs: tuple[str, str]) -> Path:
    path.write_text("".join(json.dumps({"label": lab, "pattern": pat}) + "\n"
                            for lab, pat in pairs), "utf-8")  # fmt: skip
    return path


def make_project(path: Path, texts: list[str], *, patterns: Path | None = None,
                 model: str | None = None, labels=("PERSON", "ORG")) -> Path:  # fmt: skip
    """A project whose suggestions come from `patterns` (and `model`: None for none)."""
    with Project(path) as p:
        for name in labels:
            p.add_label(name)
        p.set_setting("model", model)
        if patterns is not None:
            p.set_setting("patterns", str(patterns))
        p.add_records([ArticleRecord(text=t) for t in texts])
    return path


class LoadGate:
    """Holds the worker's first step (SuggestionService.prepare: the suggester and the
    index of decisions, before the model loads) until `open()`, for the project files
    named (all when None): nothing can be computed until then."""

    def __init__(self, monkeypatch, names: set[str] | None = None):
        self.names = names
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.loaded = threading.Event()
        real = SuggestionService.prepare
        gate = self

        def prepare(service, project, *args, **kwargs):
            if gate.names is None or project.path.name in gate.names:
                gate.entered.set()
                gate.opened.wait(GATE_TIMEOUT)
                try:
                    return real(service, project, *args, **kwargs)
                finally:
                    gate.loaded.set()
            return real(service, project, *args, **kwargs)

        monkeypatch.setattr(SuggestionService, "prepare", prepare)

    def open(self) -> None:
        self.opened.set()


class SlowCompute:
    """Makes SuggestionService.compute take `delay` seconds for the project files named,
    the first `times` times."""

    def __init__(self, monkeypatch, names: set[str], delay: float = 0.6, times: int = 1):
        self.started = threading.Event()
        self.finished = threading.Event()
        real = SuggestionService.compute
        left = [times]
        slow = self

        def compute(service, project, article_id):
            if project.path.name in names and left[0] > 0:
                left[0] -= 1
                slow.started.set()
                time.sleep(delay)
                try:
                    return real(service, project, article_id)
                finally:
                    slow.finished.set()
            return real(service, project, article_id)

        monkeypatch.setattr(SuggestionService, "compute", compute)


def shown(win) -> list[tuple]:
    return [(s.start, s.end, s.label, s.confirmed) for s in win.shown]


def stored(win, aid: int) -> list[tuple]:
    return [(s.start, s.end, s.label) for s in win.project.spans(aid)]
