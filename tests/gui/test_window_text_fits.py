"""Text that does not fit is elided on one line, with the whole of it on hover: an article
whose first line is a whole paragraph (its title), and long status-bar messages."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics

from annotator.core.importing import import_paths
from annotator.core.project import Project

PARAGRAPH = ("Ukrainian forces pressed on with their counteroffensive in the east on Tuesday, "
             "retaking villages along the river as officials in the capital said the advance "
             "had reached further than at any time since the spring, while the governor of the "
             "region urged people who had fled to wait before coming home.")  # fmt: skip


def test_a_paragraph_as_title_is_one_elided_line_with_the_whole_on_hover(make_window, tmp_path):
    path = tmp_path / "long.annotator.db"
    src = tmp_path / "story.txt"  # no title of its own: it takes its first line
    src.write_text(PARAGRAPH + "\n\nSecond paragraph.", encoding="utf-8")
    with Project(path) as p:
        p.add_label("GPE")
        import_paths(p, [src])
        stored = p.article(1).title
    assert PARAGRAPH.startswith(stored) and len(stored) > 150
    win = make_window(path, article=1)
    title = win.title_label
    assert title.text() == stored  # the whole title is kept
    shown = title.shown_text()
    assert shown.endswith("…") and len(shown) < len(PARAGRAPH) and "\n" not in shown
    assert title.toolTip() == stored
    one_line = QFontMetrics(title.font()).height()
    assert title.height() < 2 * one_line  # one line, not three
    win.resize(2600, 700)  # room enough: nothing elided, no tooltip needed
    win.pages.layout().activate()
    if title.width() > QFontMetrics(title.font()).horizontalAdvance(stored) + 4:
        assert title.shown_text() == stored and title.toolTip() == ""


def test_long_status_messages_elide_with_the_whole_message_on_hover(make_window, project_path):
    win = make_window(project_path, article=1)
    message = ("Model 7: F 0.61 (not better than the model in use: kept, not used); "
               "retraining waits until 100 more articles are accepted; accept more articles "
               "first, or train now from the Model menu to see an earlier decision")  # fmt: skip
    win.statusBar().showMessage(message, 10000)
    label = win.statusBar().message_label
    assert win.statusBar().currentMessage() == message
    assert label.isVisible()
    if label.is_elided():  # the permanent widgets leave less room than the message needs
        assert label.shown_text().endswith("…") and label.toolTip() == message
    else:
        assert QFontMetrics(label.font()).horizontalAdvance(message) <= label.width()
    win.resize(700, 600)  # a narrow window: certainly elided, never cut mid-letter
    win.statusBar().layout().activate()
    assert label.is_elided() and label.shown_text().endswith("…")
    assert label.toolTip() == message
    width = QFontMetrics(label.font()).horizontalAdvance(label.shown_text())
    assert width <= label.width()
    win.statusBar().clearMessage()
    assert win.statusBar().currentMessage() == "" and label.toolTip() == ""
