"""Review mode on a merged team file, with real key events: the versions above the text,
Alt+N takes one (one undo step), `a` stores it as reviewed; the Disagreements filter;
the Agreement dialog."""

from __future__ import annotations

import json
import sqlite3

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QTableView

from annotator.core.export import export_project
from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.core.team.merge import merge_files
from annotator.core.team.split import split_project
from annotator.gui.agreement_dialog import AgreementDialog
from annotator.gui.queue_model import DISAGREEMENTS

TEXTS = ["Angela Merkel met Reuters staff in Paris.", "Madrid is warm.", "Oslo is cold."]


def at(text, part, label):
    return Span(text.index(part), text.index(part) + len(part), label, "human")


def split_pool(tmp_path):
    """A pool of TEXTS split for alice and bob, every article in both files."""
    pool = tmp_path / "pool.annotator.db"
    with Project(pool) as p:
        p.ensure_labels(["PERSON", "ORG", "GPE"])
        p.set_setting("model", "none")
        p.add_records([ArticleRecord(text=t) for t in TEXTS])
    return pool, split_project(pool, ["alice", "bob"], tmp_path / "split", overlap=1.0).files


def team_file(tmp_path):
    pool, files = split_pool(tmp_path)
    work = {"alice": [("Angela Merkel", "PERSON"), ("Reuters", "ORG"), ("Paris", "GPE")],
            "bob": [("Angela Merkel", "PERSON"), ("Reuters staff", "ORG")]}  # fmt: skip
    for who, spans in work.items():
        with Project(files[who]) as p:
            p.set_status(1, "accepted", who, confirm=[at(TEXTS[0], s, lab) for s, lab in spans])
            p.set_status(2, "accepted", who, confirm=[at(TEXTS[1], "Madrid", "GPE")])
    merge_files(pool, [files["alice"], files["bob"]])  # back into the pool
    return pool


def on_agreement_dialog(read) -> None:
    """Calls `read(dialog)` once the (modal) Agreement dialog is shown."""

    def poll():
        dlg = next((w for w in QApplication.topLevelWidgets()
                    if isinstance(w, AgreementDialog) and w.isVisible()), None)  # fmt: skip
        if dlg is None:
            QTimer.singleShot(30, poll)
        else:
            read(dlg)

    QTimer.singleShot(0, poll)


def shown(win):
    return [(win.article.text[s.start : s.end], s.label, s.confirmed) for s in win.shown]


def test_take_a_version_with_alt_n_and_accept_it_as_reviewed(qtbot, make_window, tmp_path):
    path = team_file(tmp_path)
    with Project(path) as p:  # a model and the worker on: no machine suggestion mixes in
        p.set_setting("model", "auto")
    win = make_window(path, article=1, worker=True)
    qtbot.waitUntil(lambda: win.suggester_state == "ready", timeout=30000)
    assert win.is_ready() and shown(win) == []  # review: the versions, not suggestions
    bar = win.pages.versions_bar
    assert bar.isVisible() and len(bar.lines) == 2
    assert "alice" in bar.lines[0].text() and "≠" in bar.lines[0].text()  # Paris: only alice
    qtbot.keyClick(win.view, Qt.Key_2, Qt.AltModifier)  # bob's
    assert shown(win) == [("Angela Merkel", "PERSON", True), ("Reuters staff", "ORG", True)]
    win.undo_stack.undo()  # one step
    assert ("Reuters staff", "ORG", True) not in shown(win)
    qtbot.keyClick(win.view, Qt.Key_1, Qt.AltModifier)  # alice's
    assert [s[0] for s in shown(win)] == ["Angela Merkel", "Reuters", "Paris"]
    qtbot.keyClick(win.view, Qt.Key_A)
    qtbot.waitUntil(lambda: win.project.article(1).status == "accepted")
    with sqlite3.connect(path) as conn:
        reviewer = conn.execute("SELECT reviewed_by FROM articles WHERE id = 1").fetchone()[0]
    assert reviewer == win.settings.annotator_name()
    out = tmp_path / "out.jsonl"
    with Project(path) as p:
        export_project(p, out, format="jsonl")
    tasks = [json.loads(line) for line in out.read_text().splitlines()]
    by_text = {t["text"]: [s["label"] for s in t["spans"]] for t in tasks}
    assert by_text == {TEXTS[0]: ["PERSON", "ORG", "GPE"]}  # Madrid: 2 versions, unreviewed


def test_disagreements_filter_and_agreement_dialog(qtbot, make_window, tmp_path):
    path = team_file(tmp_path)
    win = make_window(path, article=3)
    assert not win.pages.versions_bar.isVisible()  # article 3: nobody decided it
    win.status_filter.setCurrentIndex(win.status_filter.findData(DISAGREEMENTS))
    # ranked on the search thread (seconds for a large team file), never on the UI thread
    qtbot.waitUntil(lambda: not win.queue_model.searching and list(win.queue_model.ids) == [1])
    # article 2: both said the same, so it is not listed
    seen = {}

    def read_and_close(dlg):
        table = dlg.findChild(QTableView, "agreementTable").model()
        seen["figures"] = [[table.index(r, c).data() for c in range(table.columnCount())]
                           for r in range(table.rowCount())]  # fmt: skip
        seen["rows"] = dlg.article_ids()
        dlg.reject()

    on_agreement_dialog(read_and_close)
    win.actions_by_name["agreement"].trigger()
    # articles 1 and 2: 1 + 1 same of 3 + 1 (alice) and 2 + 1 (bob) spans -> F1 = 4/7
    assert seen["figures"][0][:5] == ["all labels, all pairs", "0.571", "2", "4", "3"]
    assert seen["rows"] == [1]


def test_a_merge_from_the_cli_while_the_window_is_open_shows_the_versions(qtbot, make_window,
                                                                          tmp_path):  # fmt: skip
    import subprocess
    import sys

    pool, files = split_pool(tmp_path)
    for who, label in (("alice", "GPE"), ("bob", "ORG")):
        with Project(files[who]) as p:
            p.set_status(2, "accepted", who, confirm=[at(TEXTS[1], "Madrid", label)])
    win = make_window(pool, article=2)
    assert not win.pages.versions_bar.isVisible()
    done = subprocess.run([sys.executable, "-m", "annotator", "merge", "--db", str(pool),
                           str(files["alice"]), str(files["bob"])],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    win.refresh_from_disk()  # what the window's timer does
    qtbot.waitUntil(lambda: win.pages.versions_bar.isVisible())
    assert len(win.pages.versions_bar.lines) == 2


def reviewed_export(tmp_path):
    """A Prodigy review export: T0 agreed (auto-accepted), T1 and T2 differ (reviewed)."""
    texts = ["Angela Merkel met Reuters staff in Paris.", "Madrid is warm.", "Oslo is cold."]

    def version(text, who, answer, *parts):
        spans = [{"start": text.index(p), "end": text.index(p) + len(p), "label": lab}
                 for p, lab in parts]  # fmt: skip
        return {"text": text, "spans": spans, "answer": answer, "_view_id": "ner_manual",
                "_annotator_id": who[0], "_session_id": who[0], "sessions": who}  # fmt: skip

    same = version(texts[0], ["a", "b"], "accept", ("Angela Merkel", "PERSON"))
    a1, b1 = version(texts[1], ["a"], "accept", ("Madrid", "GPE")), version(texts[1], ["b"],
                                                                             "reject")
    a2 = version(texts[2], ["a"], "accept", ("Oslo", "GPE"))
    b2 = version(texts[2], ["b"], "accept", ("Oslo", "ORG"))
    review = {"_view_id": "review", "_annotator_id": "rev", "_session_id": "rev"}
    tasks = [{**same, "versions": [same]},
             {**a1, **review, "versions": [a1, b1]},
             {**b2, **review, "versions": [a2, b2]}]  # fmt: skip
    src = tmp_path / "review.jsonl"
    src.write_text("".join(json.dumps(t) + "\n" for t in tasks))
    db = tmp_path / "reviewed.annotator.db"
    from annotator.core.importing import import_paths

    with Project(db) as p:
        import_paths(p, [src])
        p.set_setting("model", "none")
    return db


def test_reviewed_disagreements_are_listed_marked_and_counted_alike(qtbot, make_window,
                                                                    tmp_path):  # fmt: skip
    """An imported review export comes in reviewed: the filter still lists what the
    Agreement dialog lists (marked ✓, after any still to review) and says so; the dialog is
    a sortable table with the start of each article's text."""
    db = reviewed_export(tmp_path)
    win = make_window(db, article=1)
    win.status_filter.setCurrentIndex(win.status_filter.findData(DISAGREEMENTS))
    qtbot.waitUntil(lambda: not win.queue_model.searching and len(win.queue_model.ids) == 2)
    listed = list(win.queue_model.ids)
    assert listed == [2, 3]  # 2: the decisions differ (1.0), 3: the labels (0.0 span F1 → 1.0)
    statuses = [win.queue_model.index(r, 2).data() for r in range(2)]
    assert statuses == ["✓ accepted", "✓ accepted"]
    assert "reviewed by rev" in win.queue_model.index(0, 1).data(Qt.ToolTipRole)
    note = win.side.result_note
    assert note.isVisible() or not win.isVisible()
    assert note.text() == "2 disagreeing: all reviewed, 2 reviewed (✓, listed last)"
    seen = {}

    def read_and_close(dlg):
        seen["ids"] = dlg.article_ids()
        model = dlg.table.model()
        seen["texts"] = [model.index(r, 4).data() for r in range(model.rowCount())]
        seen["review"] = [model.index(r, 2).data() for r in range(model.rowCount())]
        dlg.table.sortByColumn(0, Qt.DescendingOrder)  # a click on "#", twice
        seen["sorted"] = dlg.article_ids()
        dlg.table.selectRow(0)
        dlg._open(dlg.table.model().index(0, 3))  # what Enter on a row does

    on_agreement_dialog(read_and_close)
    win.actions_by_name["agreement"].trigger()
    assert seen["ids"] == listed  # the same articles as the filter
    assert seen["texts"] == ["Madrid is warm.", "Oslo is cold."]
    assert seen["review"] == ["✓ rev", "✓ rev"]
    assert seen["sorted"] == [3, 2]
    assert win.current_id == 3  # opened from the table


def test_the_agreement_dialog_shows_link_agreement(qtbot, make_window, tmp_path):
    from annotator.core.store.kb import KbEntry

    pool, files = split_pool(tmp_path)
    text = TEXTS[0]
    with Project(pool) as p:
        p.kb.add([KbEntry("Q567", "Angela Merkel"), KbEntry("Q90", "Paris")])
    for name in ("alice", "bob"):
        with Project(files[name]) as p:
            p.kb.add([KbEntry("Q567", "Angela Merkel"), KbEntry("Q90", "Paris")])
    links = {"alice": ("Q567", "Q90"), "bob": ("Q567", "NIL")}
    for who, (merkel, paris) in links.items():
        with Project(files[who]) as p:
            p.set_status(1, "accepted", who, confirm=[
                Span(0, 13, "PERSON", "human", merkel),
                Span(text.index("Paris"), text.index("Paris") + 5, "GPE", "human", paris)])
    merge_files(pool, [files["alice"], files["bob"]])
    win = make_window(pool, article=2)
    seen = {}

    def read_and_close(dlg):
        table = dlg.findChild(QTableView, "agreementTable").model()
        last = table.columnCount() - 1
        seen["header"] = table.headerData(last, Qt.Horizontal)
        seen["column"] = [table.index(r, last).data() for r in range(table.rowCount())]
        dlg.reject()

    on_agreement_dialog(read_and_close)
    win.actions_by_name["agreement"].trigger()
    assert seen["header"] == "Links, same id"
    # both gave Merkel and Paris and linked both: Merkel the same id, Paris not (Q90/NIL)
    assert seen["column"][0] == "0.500 (1 of 2)" and seen["column"][-1] == "0.500 (1 of 2)"
