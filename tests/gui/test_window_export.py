"""Export from the window says what the command line says: the counts, and the warnings
about what `spacy train` trips on, in the same words (a real Export dialog, filled and
confirmed as a person would)."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.gui import dialogs


def one_accepted(path):
    text = "Angela Merkel met Emmanuel Macron in Paris on Monday."
    with Project(path) as p:
        p.ensure_labels(["PERSON", "GPE"])
        p.add_records([ArticleRecord(text=text, status="accepted",
                                     spans=[Span(0, 13, "PERSON"), Span(37, 42, "GPE")]),
                       ArticleRecord(text="A pending article.")])  # fmt: skip
    return path


def test_the_windows_export_reports_what_the_cli_reports(qtbot, make_window, tmp_path,
                                                         monkeypatch):  # fmt: skip
    db = one_accepted(tmp_path / "one.annotator.db")
    shown = []
    monkeypatch.setattr(dialogs, "inform", lambda *a, **k: shown.append((a, k)))
    win = make_window(db)
    out = tmp_path / "from-window"

    def fill_and_export():
        dlg = QApplication.activeModalWidget()
        assert isinstance(dlg, dialogs.ExportDialog)
        assert "Exports the 1 accepted article." in [w.text() for w in dlg.findChildren(
            type(dlg.findChild(dialogs.QLabel)))]  # fmt: skip
        dlg.out.setText(str(out))
        dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).click()

    QTimer.singleShot(0, fill_and_export)
    win.export()
    assert shown, "no report was shown"
    (parent, title, text, *detail), _ = shown[-1]
    assert title == "Export finished"
    cli = subprocess.run([sys.executable, "-m", "annotator", "export", "--db", str(db), "--out",
                          str(tmp_path / "from-cli")], capture_output=True, text=True)  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    warnings = [line.removeprefix("annotator: warning: ") for line in cli.stderr.splitlines()
                if line.startswith("annotator: warning: ")]  # fmt: skip
    assert any("the dev set is empty" in w for w in warnings)
    assert any("2 labels with fewer than 10 examples in train" in w for w in warnings)
    for w in warnings:  # every warning of the CLI, in the window's report too
        assert f"Warning: {w}" in text
    for line in cli.stdout.splitlines():  # and the counts, word for word
        assert line in text
    assert "train: 1 article, 2 spans" in text and "dev: 0 articles, 0 spans" in text
    assert "not exported (by status): 1 pending" in text
