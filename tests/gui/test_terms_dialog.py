"""Model → Terms… on real widgets with real key presses, the real suggestion worker and
real vectors: `a` accepts a candidate and the article on screen shows it at once, `x`
rejects one for good, space skips, Ctrl+Z undoes, and a restart keeps the terms."""

from __future__ import annotations

from PySide6.QtCore import Qt
from suggest_helpers import make_project

WAIT = 60000
TEXT = "Shoppers queued for Reebok trainers and a Puma jacket at the mall on Saturday."


def project(tmp_path):
    return make_project(tmp_path / "t.annotator.db", [TEXT], labels=("BRAND", "PLACE"))


def open_terms(qtbot, win, seeds="Nike, Adidas"):
    win.actions_by_name["terms"].trigger()
    dialog = win.terms_dialog
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=WAIT)
    assert dialog.label == "BRAND"
    qtbot.keyClicks(dialog.seed_edit, seeds)
    qtbot.keyClick(dialog.seed_edit, Qt.Key_Return)
    wait_candidate(qtbot, dialog)
    return dialog


def wait_candidate(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.waiting and dialog.candidate is not None, timeout=WAIT)
    return dialog.candidate


def spans_of(win, text):
    return {(win.article.text[s.start : s.end].lower(), s.label) for s in win.shown
            if not s.confirmed and win.article.text[s.start : s.end].lower() == text.lower()}


def test_a_accepts_a_term_and_the_article_shows_it_at_once(qtbot, make_window, tmp_path):
    win = make_window(project(tmp_path), worker=True)
    qtbot.waitUntil(lambda: win.suggester_state == "ready" and win.final, timeout=WAIT)
    assert win.shown == []
    dialog = open_terms(qtbot, win)
    assert "Nike" in dialog.seeds_label.text()
    term = dialog.candidate.text  # the one article holds every candidate
    qtbot.keyClick(dialog.card, "a")
    assert [(t.text, t.decision) for t in win.project.terms("BRAND")] == [(term, "accept")]
    qtbot.waitUntil(lambda: spans_of(win, term) == {(term.lower(), "BRAND")}, timeout=WAIT)
    assert win.final and all(s.source == "pattern" for s in win.shown)
    assert "1 accepted, 0 rejected" in dialog.counts_label.text()
    # Ctrl+Z: the term goes, from the project and from the article
    wait_candidate(qtbot, dialog)
    qtbot.keyClick(dialog.card, "z", Qt.ControlModifier)
    assert win.project.terms("BRAND") == []
    qtbot.waitUntil(lambda: spans_of(win, term) == set(), timeout=WAIT)
    assert wait_candidate(qtbot, dialog).text == term  # proposed again, as before
    dialog.close()


def test_x_rejects_for_good_space_skips_and_a_restart_keeps_the_terms(
        qtbot, make_window, tmp_path):  # fmt: skip
    path = project(tmp_path)
    win = make_window(path, worker=True)
    qtbot.waitUntil(lambda: win.suggester_state == "ready" and win.final, timeout=WAIT)
    dialog = open_terms(qtbot, win)
    rejected = dialog.candidate.text
    qtbot.keyClick(dialog.card, "x")
    skipped = wait_candidate(qtbot, dialog).text
    assert skipped != rejected
    qtbot.keyClick(dialog.card, Qt.Key_Space)
    accepted = wait_candidate(qtbot, dialog).text
    assert accepted not in (rejected, skipped)
    qtbot.keyClick(dialog.card, "a")
    assert {(t.text, t.decision) for t in win.project.terms("BRAND")} == {
        (rejected, "reject"), (accepted, "accept")}  # fmt: skip
    qtbot.waitUntil(lambda: bool(spans_of(win, accepted)), timeout=WAIT)
    dialog.close()
    win.close()

    again = make_window(path, worker=True)  # a restart: drawn final from the cache
    assert again.final and spans_of(again, accepted) == {(accepted.lower(), "BRAND")}
    dialog = open_terms(qtbot, again)
    seen = set()
    while dialog.candidate is not None:  # every candidate left, one by one
        seen.add(dialog.candidate.key)
        qtbot.keyClick(dialog.card, Qt.Key_Space)
        qtbot.waitUntil(lambda: not dialog.waiting, timeout=WAIT)
    assert skipped.lower() in seen  # skipped: only for that session
    assert rejected.lower() not in seen and accepted.lower() not in seen
    assert "No more candidates" in dialog.note.text()
    dialog.close()
