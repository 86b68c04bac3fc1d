"""ArticleView on real widgets (offscreen): offsets, highlighting, selection, keys, tooltips."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QAction, QColor, QFont, QHelpEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import QApplication, QMainWindow, QToolTip, QVBoxLayout, QWidget

from annotator.core.annotation import ShownSpan
from annotator.gui.article_view import SPAN_KIND_PROPERTY, ArticleView, describe_span
from annotator.gui.offsets import Utf16Map

RAW = (
    "Breaking 😀 news\r\n"
    "NBSP\u00a0first: Barack Obama met 𝐁𝐨𝐥𝐝 Angela Merkel in Berlin.\r\n"
    "\r\n"
    "Then 🇫🇷 e\u0301 東京: Paris and Siemens AG signed."
)
TEXT = RAW.replace("\r\n", "\n")  # what the project stores
COLOURS = {"PERSON": "#aa9cfc", "GPE": "#feca74", "ORG": "#7aecec", "MISC": "#f0d0ff"}


def find(word: str, text: str = TEXT) -> tuple[int, int]:
    i = text.index(word)
    return i, i + len(word)


def shown(word, label, confirmed=True, source="human", text=TEXT) -> ShownSpan:
    start, end = find(word, text)
    return ShownSpan(start, end, label, source, confirmed, 1 if confirmed else None)


SPANS = [
    shown("Barack Obama", "PERSON"),
    shown("𝐁𝐨𝐥𝐝", "MISC", False, "pattern"),
    shown("Angela Merkel", "PERSON", False, "model"),
    shown("Berlin", "GPE", True, "model"),
    shown("Paris", "GPE", False, "decision"),
    shown("Siemens AG", "ORG", True, "import"),
]


@pytest.fixture
def view(qtbot):
    v = ArticleView()
    qtbot.addWidget(v)
    v.resize(700, 400)
    v.set_article(TEXT, SPANS, COLOURS)
    v.show()
    qtbot.waitExposed(v)
    return v


def qt_cursor(view: ArticleView, cp: int) -> QTextCursor:
    c = QTextCursor(view.document())
    c.setPosition(Utf16Map(view._text).to_qt(cp))
    return c


def point_at(view: ArticleView, cp: int) -> QPoint:
    """Viewport point on the boundary before code point `cp`."""
    return view.cursorRect(qt_cursor(view, cp)).center()


def point_on_char(view: ArticleView, cp: int) -> QPoint:
    """Viewport point in the middle of the character at `cp` (same line assumed)."""
    a, b = view.cursorRect(qt_cursor(view, cp)), view.cursorRect(qt_cursor(view, cp + 1))
    return QPoint((a.center().x() + b.center().x()) // 2, a.center().y())


def span_ranges(view: ArticleView) -> list[tuple[int, int, int, str]]:
    """(block number, start, end, kind) of the highlighter's formats, adjacent ones merged."""
    out = []
    block = view.document().begin()
    while block.isValid():
        ranges = sorted(
            (r.start, r.start + r.length, r.format.property(SPAN_KIND_PROPERTY))
            for r in block.layout().formats()
        )
        for start, end, kind in ranges:
            if out and out[-1][0] == block.blockNumber() and out[-1][2] == start:
                if out[-1][3] == kind:
                    out[-1] = (out[-1][0], out[-1][1], end, kind)
                    continue
            out.append((block.blockNumber(), start, end, kind))
        block = block.next()
    return out


# ---- offsets against the real document ------------------------------------------------


def test_the_document_holds_the_text_at_the_mapped_positions(view):
    doc = view.document()
    m = Utf16Map(TEXT)
    for i, ch in enumerate(TEXT):
        if ch != "\n" and ord(ch) < 0x10000:
            assert doc.characterAt(m.to_qt(i)) == ch, i
    assert doc.characterCount() - 1 == m.qt_length
    starts = []
    block = doc.begin()
    while block.isValid():
        starts.append(block.position())
        block = block.next()
    assert starts == view._block_starts


def test_stored_crlf_text_maps_too(qtbot):
    """Were a stored text to keep "\\r\\n", positions would still line up."""
    v = ArticleView()
    qtbot.addWidget(v)
    span = shown("Angela Merkel", "PERSON", text=RAW)
    v.set_article(RAW, [span], COLOURS)
    v.select_range(span.start, span.end)
    assert v.textCursor().selectedText() == "Angela Merkel"
    assert v.selected_range() == (span.start, span.end)


def test_formats_sit_at_the_utf16_positions_of_the_spans(view):
    m = Utf16Map(TEXT)
    doc = view.document()
    expected = []
    for s in SPANS:
        qs, qe = m.to_qt(s.start), m.to_qt(s.end)
        block = doc.findBlock(qs)
        kind = "stored" if s.confirmed else "suggested"
        expected.append((block.blockNumber(), qs - block.position(), qe - block.position(), kind))
        # the document's text under the span is the span's text
        c = QTextCursor(doc)
        c.setPosition(qs)
        c.setPosition(qe, QTextCursor.MoveMode.KeepAnchor)
        assert c.selectedText() == TEXT[s.start : s.end]
    assert span_ranges(view) == sorted(expected)
    # Emoji, NBSP and the CRLF-normalised break before them: the Qt positions really differ.
    assert m.to_qt(SPANS[2].start) != SPANS[2].start


def test_stored_spans_get_readable_text(view):
    block = view.document().findBlockByNumber(1)
    for r in block.layout().formats():
        if r.format.property(SPAN_KIND_PROPERTY) == "stored":
            ink = r.format.foreground().color()
            assert ink.lightnessF() < 0.2  # dark text on the pastel label colours


def test_the_last_character_of_each_span_makes_room_for_its_tag(view):
    block = view.document().findBlockByNumber(1)
    spaced = [r for r in block.layout().formats() if r.format.fontLetterSpacing() > 0]
    assert len(spaced) == 4  # Barack Obama, Bold, Angela Merkel, Berlin
    obama = find("Barack Obama")
    m = Utf16Map(TEXT)
    ends = {r.start + r.length + block.position() for r in spaced}
    assert m.to_qt(obama[1]) in ends


def test_stored_spans_are_painted_filled(view):
    image = view.viewport().grab().toImage()
    start, end = find("Barack Obama")
    a, b = view.cursorRect(qt_cursor(view, start)), view.cursorRect(qt_cursor(view, end))
    y = a.top() + 2
    colours = [image.pixelColor(x, y).name() for x in range(a.right() + 3, b.left() - 3)]
    assert colours.count(COLOURS["PERSON"]) > 0.8 * len(colours)


# ---- plain text, always ---------------------------------------------------------------


def test_markup_in_the_article_is_shown_literally(qtbot):
    v = ArticleView()
    qtbot.addWidget(v)
    text = "<b>bold</b> and <script>alert(1)</script> &amp; <i>x</i>"
    v.set_article(text, [ShownSpan(0, 11, "ORG", "model", False)], COLOURS)
    assert v.document().toPlainText() == text
    block = v.document().begin()
    it = block.begin()
    while not it.atEnd():
        assert it.fragment().charFormat().fontWeight() <= QFont.Weight.Normal
        assert not it.fragment().charFormat().fontItalic()
        it += 1
    assert all(r.format.fontWeight() <= QFont.Weight.Normal for r in block.layout().formats())


# ---- selection ------------------------------------------------------------------------


def test_mouse_drag_selects_the_code_point_range(view, qtbot):
    got = []
    view.selectionRangeChanged.connect(got.append)
    start, end = find("Angela Merkel")
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=point_at(view, start))
    qtbot.mouseMove(vp, point_at(view, start + 4))
    qtbot.mouseMove(vp, point_at(view, end))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=point_at(view, end))
    assert view.selected_range() == (start, end)
    assert got[-1] == (start, end)
    assert view.span_at_cursor() == SPANS[2]


def test_a_new_drag_inside_the_selection_selects_again(view, qtbot):
    start, end = find("Angela Merkel")
    view.select_range(start, end)
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=point_at(view, start + 2))
    qtbot.mouseMove(vp, point_at(view, start + 6))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=point_at(view, start + 6))
    assert view.selected_range() == (start + 2, start + 6)


def test_shift_right_selects_code_points_across_astral_letters(view, qtbot):
    start, end = find("𝐁𝐨𝐥𝐝 Angela")
    view.select_range(start, start)
    assert view.selected_range() is None
    view.setFocus()
    for _ in range(end - start):
        qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_range() == (start, end)
    qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_range() == (start, end - 1)


def test_select_range_round_trip_and_signal(view, qtbot):
    got = []
    view.selectionRangeChanged.connect(got.append)
    start, end = find("Paris")
    view.select_range(start, end)
    assert view.selected_range() == (start, end)
    assert view.cursor_offset() == end
    assert got == [(start, end)]
    view.clear_selection()
    assert view.selected_range() is None
    assert got == [(start, end), None]
    assert view.cursor_offset() == end


def test_select_range_scrolls_to_it(qtbot):
    v = ArticleView()
    qtbot.addWidget(v)
    v.resize(500, 200)
    text = "".join(f"Paragraph {i} about 😀 things.\n" for i in range(300))
    v.set_article(text, [], COLOURS)
    v.show()
    qtbot.waitExposed(v)
    start, end = find("Paragraph 250 ", text)
    v.select_range(start, end)
    assert v.verticalScrollBar().value() > 0
    assert v.viewport().rect().contains(v.cursorRect().center())
    v.set_article(text, [], COLOURS)
    assert v.verticalScrollBar().value() == 0
    assert v.selected_range() is None


def test_span_at_cursor_and_at_offset(view):
    obama = SPANS[0]
    view.select_range(obama.start + 3, obama.start + 3)
    assert view.span_at_cursor() == obama
    view.select_range(obama.end, obama.end)  # just after the last letter
    assert view.span_at_cursor() == obama
    view.select_range(obama.start + 2, obama.end + 5)  # a selection: its start decides
    assert view.span_at_cursor() == obama
    view.select_range(0, 0)
    assert view.span_at_cursor() is None
    assert view.span_at_offset(obama.start) == obama
    assert view.span_at_offset(obama.end) is None
    assert view.span_at_offset(obama.start - 1) is None


def test_span_at_offset_prefers_the_innermost_of_nested_spans(qtbot):
    v = ArticleView()
    qtbot.addWidget(v)
    outer = ShownSpan(0, 20, "ORG", "human", True, 1)
    inner = ShownSpan(5, 9, "GPE", "human", True, 2)
    v.set_article("The Bank of Berlin in town", [outer, inner], COLOURS)
    assert v.span_at_offset(6) == inner
    assert v.span_at_offset(12) == outer
    assert v.span_at_offset(21) is None


# ---- hover ----------------------------------------------------------------------------


def test_tooltip_names_label_and_source(view, qtbot):
    merkel = SPANS[2]
    assert view.tooltip_at(point_on_char(view, merkel.start + 2)) == (
        "PERSON — suggested by the model, not yet confirmed"
    )
    assert view.tooltip_at(point_on_char(view, SPANS[0].start + 1)) == "PERSON — added by hand"
    assert view.tooltip_at(point_on_char(view, find("met")[0])) is None
    # the tag, in the gap after the last letter, belongs to the span
    tag = view.cursorRect(qt_cursor(view, merkel.end)).center() - QPoint(6, 0)
    assert view.tooltip_at(tag) == describe_span(merkel)
    # and a real tooltip event shows it
    pos = point_on_char(view, SPANS[3].start + 1)
    event = QHelpEvent(QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    assert "GPE — confirmed (first suggested by the model)" in QToolTip.text()


@pytest.mark.parametrize(
    ("source", "confirmed", "words"),
    [
        ("model", False, "suggested by the model"),
        ("pattern", False, "suggested by a pattern rule"),
        ("decision", False, "suggested by an earlier decision in this project"),
        ("import", True, "imported"),
        ("human", True, "added by hand"),
    ],
)
def test_describe_span(source, confirmed, words):
    assert describe_span(ShownSpan(0, 1, "ORG", source, confirmed)).startswith(f"ORG — {words}")


# ---- keys -----------------------------------------------------------------------------


@pytest.fixture
def window(qtbot, view):
    w = QMainWindow()
    qtbot.addWidget(w)
    w.setCentralWidget(view)
    fired = []
    for key in ("A", "X", "1", "0", "Space", "Del", "Backspace", "Return", "Right"):
        action = QAction(key, w)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda _=False, k=key: fired.append(k))
        w.addAction(action)
    w.fired = fired
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    return w


@pytest.mark.parametrize(
    ("key", "name"),
    [
        (Qt.Key.Key_A, "A"),
        (Qt.Key.Key_X, "X"),
        (Qt.Key.Key_1, "1"),
        (Qt.Key.Key_0, "0"),
        (Qt.Key.Key_Space, "Space"),
        (Qt.Key.Key_Delete, "Del"),
        (Qt.Key.Key_Backspace, "Backspace"),
        (Qt.Key.Key_Return, "Return"),
    ],
)
def test_window_shortcuts_fire_while_the_view_has_focus(window, view, qtbot, key, name):
    qtbot.keyClick(view, key)
    assert window.fired == [name]


def test_arrows_stay_with_the_view(window, view, qtbot):
    view.select_range(0, 0)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert window.fired == []
    assert view.cursor_offset() == 1


def test_unbound_keys_reach_the_parent_widget(qtbot):
    class Parent(QWidget):
        def __init__(self):
            super().__init__()
            self.keys = []

        def keyPressEvent(self, e):  # noqa: N802
            self.keys.append(e.key())

    parent = Parent()
    qtbot.addWidget(parent)
    v = ArticleView()
    QVBoxLayout(parent).addWidget(v)
    v.set_article(TEXT, SPANS, COLOURS)
    for key in (Qt.Key.Key_A, Qt.Key.Key_5, Qt.Key.Key_Space, Qt.Key.Key_Escape):
        qtbot.keyClick(v, key)
    qtbot.keyClick(v, Qt.Key.Key_Right)
    assert parent.keys == [Qt.Key.Key_A, Qt.Key.Key_5, Qt.Key.Key_Space, Qt.Key.Key_Escape]


def test_copy_stays_with_the_view(view, qtbot):
    start, end = find("Barack Obama")
    view.select_range(start, end)
    qtbot.keySequence(view, QKeySequence.StandardKey.Copy)
    assert QApplication.clipboard().text() == "Barack Obama"


# ---- updates --------------------------------------------------------------------------


def long_article() -> tuple[str, list[ShownSpan]]:
    text = "".join(
        f"Paragraph {i}: 😀 Angela Merkel met Barack Obama in Berlin, said Siemens AG.\n"
        for i in range(400)
    )
    spans = []
    for i, para in enumerate(text.split("\n")[:-1]):
        base = sum(len(p) + 1 for p in text.split("\n")[:i])
        for word, label in (("Angela Merkel", "PERSON"), ("Berlin", "GPE")):
            j = para.index(word)
            spans.append(ShownSpan(base + j, base + j + len(word), label, "model", i % 2 == 0))
    return text, spans


def test_set_spans_keeps_scroll_and_cursor(qtbot):
    v = ArticleView()
    qtbot.addWidget(v)
    v.resize(420, 300)  # narrow: the added tags re-wrap lines
    text, spans = long_article()
    v.set_article(text, spans, COLOURS)
    v.show()
    qtbot.waitExposed(v)
    start, end = find("Paragraph 200:", text)
    v.select_range(start, end)
    bar = v.verticalScrollBar()
    bar.setValue(bar.value() + 3)
    top, first = bar.value(), v.firstVisibleBlock().blockNumber()
    # new spans everywhere, above and inside the view
    more = [
        ShownSpan(i, i + len("Siemens AG"), "ORG", "human", True, 9)
        for i in range(len(text))
        if text.startswith("Siemens AG", i)
    ]
    v.set_spans(spans + more)
    QApplication.processEvents()
    assert (bar.value(), v.firstVisibleBlock().blockNumber()) == (top, first)
    assert v.selected_range() == (start, end)
    v.set_spans(spans[:10])
    QApplication.processEvents()
    assert (bar.value(), v.firstVisibleBlock().blockNumber()) == (top, first)
    assert v.span_at_offset(more[0].start) is None


def test_set_spans_rehighlights_only_what_changed(view):
    before = span_ranges(view)
    view.set_spans(SPANS[:-1])
    after = span_ranges(view)
    assert len(after) == len(before) - 1
    assert not any(r[0] == 3 and r[3] == "stored" for r in after)  # Siemens AG is gone
    view.set_spans(SPANS)
    assert span_ranges(view) == before


def test_themes_and_colours(view):
    view.set_theme(True)
    assert view.palette().base().color().lightnessF() < 0.2
    view.grab()  # paints the dark theme
    view.set_theme(False)
    assert view.palette().base().color().lightnessF() > 0.9
    view.set_colours({**COLOURS, "PERSON": "#202060"})  # a dark label colour: white text
    block = view.document().findBlockByNumber(1)
    inks = {
        r.format.foreground().color().name()
        for r in block.layout().formats()
        if r.format.property(SPAN_KIND_PROPERTY) == "stored"
    }
    assert QColor("#ffffff").name() in inks


def test_a_bigger_font_makes_bigger_tag_gaps(view):
    def gaps():
        block = view.document().findBlockByNumber(1)
        return sorted(r.format.fontLetterSpacing() for r in block.layout().formats() if
                      r.format.fontLetterSpacing() > 0)  # fmt: skip

    before = gaps()
    font = view.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    view.setFont(font)
    after = gaps()
    assert len(after) == len(before) and all(a > b for a, b in zip(after, before, strict=True))
