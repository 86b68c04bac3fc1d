"""The article text: read-only, selectable from the keyboard, spans highlighted, labels tagged.

Offsets in and out of this widget are code points into the stored text (see `offsets.py`);
the text is always shown as plain text and never read back from the document.

How spans are drawn:
- a `QSyntaxHighlighter` sets the character formats, block by block, from a per-block index
  built once per `set_spans` (stored span: filled with the label colour; suggestion: a faint
  tint of it);
- the last character of every span gets extra letter spacing: the gap after the span is where
  its label tag goes, so tags never cover text (QPlainTextEdit ignores line-height settings);
- `paintEvent` draws the tags and the suggestions' outlines for the visible blocks only.

Keys: the view keeps only cursor movement, selection (Shift+arrows, Home/End, PageUp/PageDown)
and Copy/Select All. Every other key (letters, digits, space, Delete, Backspace, Enter, Escape,
Ctrl+PageUp/PageDown, Alt+...) is ignored here, and its ShortcutOverride is not accepted, so
window shortcuts and the parent's keyPressEvent see it.
"""

from __future__ import annotations

import html
import re
import sys
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from itertools import accumulate
from operator import attrgetter
from typing import NamedTuple

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QSyntaxHighlighter,
    QTextBlock,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
    QTextLine,
    QTextOption,
)
from PySide6.QtWidgets import QPlainTextEdit, QToolTip, QWidget

from ..core.annotation import ShownSpan
from ..core.colours import default_colour
from ..core.records import NIL
from .offsets import Utf16Map

SUGGESTED_BY = {
    "model": "suggested by the model",
    "pattern": "suggested by a pattern rule",
    "decision": "suggested by an earlier decision in this project",
    "import": "suggested in the imported file",
    "human": "suggested",
}
CONFIRMED_AS = {
    "model": "confirmed (first suggested by the model)",
    "pattern": "confirmed (first suggested by a pattern rule)",
    "decision": "confirmed (first suggested by an earlier decision in this project)",
    "import": "imported",
    "human": "added by hand",
}


def describe_span(span: ShownSpan, names: dict[str, str] | None = None) -> str:
    """The words shown when hovering a span, e.g. "PERSON — suggested by the model", and
    the entity it names ("→ Volodymyr Zelensky (Q3874799)", names from `names`)."""
    if span.confirmed:
        text = f"{span.label} — {CONFIRMED_AS.get(span.source, f'confirmed ({span.source})')}"
    else:
        how = SUGGESTED_BY.get(span.source, f"suggested ({span.source})")
        text = f"{span.label} — {how}, not yet confirmed"
    kb_id = getattr(span, "kb_id", None)
    if kb_id:
        if kb_id == NIL:
            entity = "not in the knowledge base"
        else:
            name = (names or {}).get(kb_id)
            entity = f"{name} ({kb_id})" if name else kb_id
        text += f"\n→ {entity}" + (" (suggested link)" if span.kb_suggested else "")
    return text


# What QTextDocument.setPlainText turns into a block break (see offsets.py).
_BLOCK_BREAKS = re.compile("\r\n|[\n\r\u2029\ufdd0\ufdd1]")
_NAV_KEYS = frozenset(
    k.value
    for k in (
        Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down,
        Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown,
    )
)  # fmt: skip
_PAGE_KEYS = frozenset((Qt.Key.Key_PageUp.value, Qt.Key.Key_PageDown.value))
_SERIF_FAMILIES = [
    "Charter", "Georgia", "Cambria", "Source Serif 4", "Noto Serif", "DejaVu Serif",
    "Liberation Serif", "Times New Roman",
]  # fmt: skip

_SANS_FAMILIES = ["Segoe UI", "Helvetica Neue", "Arial", "Noto Sans", "DejaVu Sans"]

_THEMES = {
    False: {"base": "#fbfaf7", "text": "#1e1e1e", "selection": "#b6d3f5", "sel_text": "#000000"},
    True: {"base": "#1e1f22", "text": "#dedede", "selection": "#3b5b85", "sel_text": "#ffffff"},
}
# QTextFormat property on every span's character format: "stored" or "suggested".
SPAN_KIND_PROPERTY = QTextFormat.Property.UserProperty.value + 1
_BOX_INSET_Y = 1.0  # fills and outlines stop short of the line's top and bottom
_BOX_PAD_X = 2.0  # and start a little before the span's first character
_BOX_RADIUS = 3.0
_TAG_PAD_X = 4.0  # inside a tag, left and right of its text
_TAG_GAP_L = 4.0  # between a span's last character and its tag
_TAG_GAP_R = 2.0  # after the tag
DEFAULT_POINT_SIZE = 13.5  # the article's text size; Ctrl+= / Ctrl+- / Ctrl+0 zoom it
MIN_POINT_SIZE, MAX_POINT_SIZE = 8.0, 36.0
_LOOKBACK = 10_000  # marks starting this far before a block can still reach into it


def _last_cluster_start(text: str, start: int, end: int) -> int:
    """Where the span's last grapheme cluster starts (roughly): formatting the last code point
    alone would split a base letter from its combining marks and break their shaping."""
    i = end - 1
    while i > start:
        ch = text[i]
        if (
            unicodedata.category(ch) in ("Mn", "Mc", "Me")
            or "\ufe00" <= ch <= "\ufe0f"  # variation selectors
            or "\U0001f3fb" <= ch <= "\U0001f3ff"  # skin tones
            or "\U000e0020" <= ch <= "\U000e007f"  # tag characters (flags)
        ):
            i -= 1
        elif text[i - 1] == "\u200d" or unicodedata.combining(text[i - 1]) == 9:
            i -= 2  # joined by a ZWJ, or a conjunct after a virama
        else:
            break
    return max(i, start)


def _luminance(c: QColor) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def _ink_on(c: QColor) -> QColor:
    """Text colour readable on background `c`."""
    return QColor("#161616") if _luminance(c) > 0.2 else QColor("#ffffff")


def _line_colour(c: QColor, dark: bool, darkest: float = 0.25) -> QColor:
    """The label colour as a line (or, with a lower `darkest`, as text) on the theme's
    background."""
    if dark:
        return c if _luminance(c) > 0.15 else c.lighter(170)
    out = QColor(c)
    while _luminance(out) > darkest:
        out = out.darker(115)
    return out


class _Piece(NamedTuple):
    """The part of a span inside one block, in positions relative to the block."""

    start: int
    end: int
    span: ShownSpan
    tail: (
        int  # where the span's last character starts, if in this block (its tag goes here), else -1
    )


class _SpanHighlighter(QSyntaxHighlighter):
    def __init__(self, view: ArticleView) -> None:
        super().__init__(view.document())
        self._view = view

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt's name)
        view = self._view
        fmt = view._format
        for piece in view._pieces_in(self.currentBlock()):
            label, confirmed = piece.span.label, piece.span.confirmed
            if piece.tail >= 0:
                if piece.tail > piece.start:
                    self.setFormat(piece.start, piece.tail - piece.start, fmt(label, confirmed))
                self.setFormat(piece.tail, piece.end - piece.tail, fmt(label, confirmed, True))
            else:
                self.setFormat(piece.start, piece.end - piece.start, fmt(label, confirmed))


class ArticleView(QPlainTextEdit):
    """Shows one article's text and its spans; reports selections in code points."""

    selectionRangeChanged = Signal(object)  # (start, end) code points, or None
    tabbed = Signal(int)  # Tab (+1) / Shift+Tab (-1): the window moves to the next span
    visibleChanged = Signal()  # scrolled, resized, zoomed or new spans: what is seen changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._map = Utf16Map("")
        self._block_starts: list[int] = [0]
        self._spans: list[ShownSpan] = []
        self._span_starts: list[int] = []
        self._max_end: list[int] = []  # running maximum of span ends, for containment lookups
        # The same spans in Qt positions: start, end, start of the last character; and the
        # running maximum of the ends, to find the spans overlapping a block (see _pieces_in).
        self._qs: list[int] = []
        self._qe: list[int] = []
        self._ql: list[int] = []
        self._qe_max: list[int] = []
        self._qt_cache: dict[ShownSpan, tuple[int, int, int]] = {}
        self._colours: dict[str, str] = {}
        self._formats: dict[tuple, QTextCharFormat] = {}
        self._tag_widths: dict[str, float] = {}
        self._tag_font_cache: QFont | None = None
        self._styles: dict[str, tuple[QColor, ...]] = {}
        self._tag_pixmaps: dict[tuple, QPixmap] = {}  # drawn once per label, kind and size
        self._dark = False
        self._last_range: tuple[int, int] | None = None
        self._focused: ShownSpan | None = None  # the span keys act on, drawn with a ring
        self._setting_text = False
        # Search hits (Qt positions, sorted): a marker under the text (see set_marks).
        self._mark_qs: list[int] = []
        self._mark_qe: list[int] = []
        # Spans just changed by newly arrived suggestions: drawn with a fading glow
        # ("ghost" for a span that went), so the eye catches what moved (see flash).
        self._flash: list[tuple[int, int, bool]] = []  # (qt start, qt end, gone)
        self._flash_left = 0.0  # 1 -> 0 as the glow fades
        # Entity linking: the linked entities' names (hover), and whether spans show a mark
        # for their link (a dot: filled linked, hollow suggested, grey NIL).
        self.entity_names: dict[str, str] = {}
        self.link_marks = False
        self._flash_timer = QTimer(self, interval=40)
        self._flash_timer.timeout.connect(self._fade)

        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setUndoRedoEnabled(False)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setTabChangesFocus(True)
        self.setCursorWidth(2)
        self.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        font = QFont()
        font.setFamilies(_SERIF_FAMILIES)
        font.setStyleHint(QFont.StyleHint.Serif)
        font.setPointSizeF(DEFAULT_POINT_SIZE)
        self.setFont(font)
        self.document().setDocumentMargin(28)
        self._highlighter = _SpanHighlighter(self)
        self._apply_palette()
        self.selectionChanged.connect(self._report_selection)
        self.cursorPositionChanged.connect(self._update_focused)
        self.selectionChanged.connect(self._update_focused)
        self.verticalScrollBar().valueChanged.connect(lambda _: self.visibleChanged.emit())

    # ---- content ---------------------------------------------------------------------

    def set_article(self, text: str, spans: list[ShownSpan], colours: dict[str, str]) -> None:
        """Show a new article (plain text, never markup); scrolls to the top."""
        self._text = text
        self._map = Utf16Map(text)
        to_qt = self._map.to_qt
        self._block_starts = [0] + [to_qt(m.end()) for m in _BLOCK_BREAKS.finditer(text)]
        self._colours = dict(colours)
        self._formats.clear()
        self._styles.clear()
        self._tag_pixmaps.clear()
        self._qt_cache = {}
        self._index(spans)
        self._mark_qs, self._mark_qe = [], []
        self._flash, self._flash_left = [], 0.0
        self._flash_timer.stop()
        # One edit block inside: the highlighter formats every block once, from the new index.
        self._setting_text = True
        try:
            self.setPlainText(text)
        finally:
            self._setting_text = False
        self.moveCursor(QTextCursor.MoveOperation.Start)
        self.verticalScrollBar().setValue(0)
        self.horizontalScrollBar().setValue(0)
        self._report_selection()
        self._update_focused()
        self.visibleChanged.emit()

    def set_spans(self, spans: list[ShownSpan]) -> None:
        """Re-highlight only the blocks whose spans changed; keeps the scroll and the cursor."""
        old_spans, old_cache = set(self._spans), self._qt_cache
        self._index(spans)
        changed = old_spans.symmetric_difference(self._spans)
        starts, blocks = self._block_starts, set()
        for span in changed:
            qs, qe, _ = old_cache.get(span) or self._qt_cache[span]
            blocks.update(range(bisect_right(starts, qs) - 1, bisect_right(starts, qe - 1)))
            if len(blocks) > 200:
                break
        # QPlainTextEdit keeps its top block while blocks re-wrap: the scroll stays put.
        if len(blocks) > 200:
            self._highlighter.rehighlight()
        else:
            doc = self.document()
            for number in sorted(blocks):
                self._highlighter.rehighlightBlock(doc.findBlockByNumber(number))
        self._focused = self._span_in_focus()
        self.viewport().update()
        self.visibleChanged.emit()

    def set_colours(self, colours: dict[str, str]) -> None:
        self._colours = dict(colours)
        self._restyle()

    def set_theme(self, dark: bool) -> None:
        self._dark = bool(dark)
        self._apply_palette()
        self._restyle()

    # ---- search hits and changed spans ---------------------------------------------

    def set_marks(self, ranges: Iterable[tuple[int, int]]) -> None:
        """Mark [start, end) ranges (code points), e.g. a search's hits; [] clears."""
        n = len(self._text)
        to_qt = self._map.to_qt
        kept = sorted((to_qt(a), to_qt(b)) for a, b in ranges if 0 <= a < b <= n)
        self._mark_qs = [a for a, _ in kept]
        self._mark_qe = [b for _, b in kept]
        self.viewport().update()

    def marks(self) -> list[tuple[int, int]]:
        """The marked ranges, in code points."""
        to_py = self._map.to_py
        return [(to_py(a), to_py(b)) for a, b in zip(self._mark_qs, self._mark_qe, strict=True)]

    def reveal(self, offset: int) -> None:
        """Scroll so that `offset` is on screen (a few lines from the top when it was not),
        without moving the cursor."""
        c = QTextCursor(self.document())
        c.setPosition(self._map.to_qt(min(max(offset, 0), len(self._text))))
        rect = self.cursorRect(c)
        if 0 <= rect.top() and rect.bottom() <= self.viewport().height():
            return
        block = c.block()
        line = block.layout().lineForTextPosition(c.position() - block.position())
        first = block.firstLineNumber() + (line.lineNumber() if line.isValid() else 0)
        self.verticalScrollBar().setValue(max(0, first - 3))

    FLASH_MS = 1400  # how long a changed span glows

    def flash(self, added: Iterable[ShownSpan], gone: Iterable[ShownSpan] = ()) -> None:
        """Make spans that just changed on screen catch the eye: a glow around `added`,
        a fading dashed outline where `gone` were, for FLASH_MS."""
        n = len(self._text)
        marks = [(s, False) for s in added] + [(s, True) for s in gone]
        self._flash = [(*self._qt_positions(s)[:2], was) for s, was in marks
                       if 0 <= s.start < s.end <= n]  # fmt: skip
        if not self._flash:
            return
        self._flash_left = 1.0
        self._flash_timer.start()
        self.viewport().update()

    def flashing(self) -> list[tuple[int, int, bool]]:
        """(start, end, gone) of the spans glowing now, in code points."""
        to_py = self._map.to_py
        return [(to_py(a), to_py(b), gone) for a, b, gone in self._flash] \
            if self._flash_left > 0 else []

    def _fade(self) -> None:
        self._flash_left -= self._flash_timer.interval() / self.FLASH_MS
        if self._flash_left <= 0:
            self._flash_left, self._flash = 0.0, []
            self._flash_timer.stop()
        self.viewport().update()

    # ---- cursor and selection, in code points ------------------------------------------

    def selected_range(self) -> tuple[int, int] | None:
        c = self.textCursor()
        if not c.hasSelection():
            return None
        start, end = self._map.to_py(c.selectionStart()), self._map.to_py(c.selectionEnd())
        return (start, end) if end > start else None

    def cursor_offset(self) -> int:
        return self._map.to_py(self.textCursor().position())

    def span_at_offset(self, offset: int) -> ShownSpan | None:
        """The innermost span with start <= offset < end."""
        i = bisect_right(self._span_starts, offset)
        best = None
        while i > 0:
            i -= 1
            if self._max_end[i] <= offset:
                break
            s = self._spans[i]
            inside = s.start <= offset < s.end
            if inside and (best is None or s.end - s.start < best.end - best.start):
                best = s
        return best

    def span_at_cursor(self) -> ShownSpan | None:
        """The span at the selection's start, or containing the cursor (or just before it)."""
        c = self.textCursor()
        if c.hasSelection():
            return self.span_at_offset(self._map.to_py(c.selectionStart()))
        offset = self.cursor_offset()
        found = self.span_at_offset(offset)
        if found is None and offset > 0:
            found = self.span_at_offset(offset - 1)
        return found

    def select_range(self, start: int, end: int) -> None:
        """Select [start, end) with the cursor at `end`, and scroll to it."""
        n = len(self._text)
        start, end = min(max(start, 0), n), min(max(end, 0), n)
        c = QTextCursor(self.document())
        c.setPosition(self._map.to_qt(start))
        c.setPosition(self._map.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(c)
        self.ensureCursorVisible()

    def clear_selection(self) -> None:
        c = self.textCursor()
        if c.hasSelection():
            c.clearSelection()
            self.setTextCursor(c)

    # ---- the span in focus, stepping between spans, what is on screen ----------------

    def focused_span(self) -> ShownSpan | None:
        """The span Delete, a label key or the boundary keys act on (drawn with a ring):
        the one at the cursor, when nothing is selected."""
        return self._focused

    def _span_in_focus(self) -> ShownSpan | None:
        return None if self.textCursor().hasSelection() else self.span_at_cursor()

    def _update_focused(self) -> None:
        if self._setting_text:  # set_article updates it once, when the text is in
            return
        focused = self._span_in_focus()
        if focused != self._focused:
            self._focused = focused
            self.viewport().update()

    def step_span(self, delta: int) -> ShownSpan | None:
        """Put the cursor on the next (+1) or previous (-1) span, stored or suggested, and
        scroll to it. Returns it, or None when there is none that way."""
        if not self._spans:
            return None
        current = self._span_in_focus()
        keys = [(s.start, s.end) for s in self._spans]
        if current is not None:  # the span after / before the one in focus
            key = (current.start, current.end)
            i = bisect_right(keys, key) if delta > 0 else bisect_left(keys, key) - 1
        else:  # the first span starting at or after / before the cursor
            offset = self._map.to_py(self.textCursor().selectionStart())
            i = bisect_left(self._span_starts, offset) - (0 if delta > 0 else 1)
        if not 0 <= i < len(self._spans):
            return None
        span = self._spans[i]
        self.select_range(span.start, span.start)
        return span

    def suggestions_out_of_view(self) -> tuple[int, int]:
        """(above, below): the suggestions entirely above / below the visible part."""
        suggested = [s for s in self._spans if not s.confirmed]
        if not suggested or not self.isVisible():
            return 0, 0
        vp = self.viewport()
        top = self._map.to_py(self.cursorForPosition(QPoint(0, 0)).position())
        bottom = self._map.to_py(
            self.cursorForPosition(QPoint(vp.width() - 1, vp.height() - 1)).position()
        )
        above = sum(1 for s in suggested if s.end <= top)
        below = sum(1 for s in suggested if s.start >= bottom)
        if bottom >= len(self._text):
            below = 0
        return above, below

    def resizeEvent(self, e) -> None:  # noqa: N802
        super().resizeEvent(e)
        self.visibleChanged.emit()

    # ---- text size -------------------------------------------------------------------

    def point_size(self) -> float:
        return self.font().pointSizeF()

    def set_point_size(self, size: float) -> float:
        """Zoom the text (and with it the tags, sized from the text). Returns the size set."""
        size = min(max(float(size), MIN_POINT_SIZE), MAX_POINT_SIZE)
        if abs(size - self.point_size()) > 1e-6:
            font = QFont(self.font())
            font.setPointSizeF(size)
            self.setFont(font)  # changeEvent drops the cached tag sizes
            self.visibleChanged.emit()
        return size

    def tooltip_text(self, offset: int) -> str | None:
        """The hover text of the span at `offset` (code points), or None."""
        span = self.span_at_offset(offset)
        return describe_span(span, self.entity_names) if span is not None else None

    def tooltip_at(self, pos: QPoint) -> str | None:
        """The hover text for viewport position `pos`, or None off the spans."""
        span = self._span_under(pos)
        return describe_span(span, self.entity_names) if span is not None else None

    def _report_selection(self) -> None:
        current = self.selected_range()
        if current != self._last_range:
            self._last_range = current
            self.selectionRangeChanged.emit(current)

    # ---- index of the spans ----------------------------------------------------------

    def _index(self, spans: Iterable[ShownSpan]) -> None:
        """Sort the spans and convert them to Qt positions (cached per span until the next
        article, so set_spans after one edit only converts the new span)."""
        n = len(self._text)
        kept = sorted(
            (s for s in spans if 0 <= s.start < s.end <= n), key=attrgetter("start", "end")
        )
        cache, convert = self._qt_cache, self._qt_positions
        new_cache = {s: cache.get(s) or convert(s) for s in kept}
        positions = [new_cache[s] for s in kept]
        self._qt_cache = new_cache
        self._spans = kept
        self._span_starts = [s.start for s in kept]
        self._max_end = list(accumulate((s.end for s in kept), max))
        self._qs = [p[0] for p in positions]
        self._qe = [p[1] for p in positions]
        self._ql = [p[2] for p in positions]
        self._qe_max = list(accumulate(self._qe, max))

    def _qt_positions(self, s: ShownSpan) -> tuple[int, int, int]:
        """Span `s` in Qt positions: start, end, and the start of its last character."""
        text, start, end = self._text, s.start, s.end
        last = end - 1
        if not (text[last] < "\u0300" and (last == start or text[last - 1] < "\u0900")):
            last = _last_cluster_start(text, start, end)  # marks, joiners, viramas: rare
        m = self._map
        if m.identity:
            return start, end, last
        return m.to_qt(start), m.to_qt(end), m.to_qt(last)

    def _pieces_in(self, block: QTextBlock) -> list[_Piece]:
        """The parts of the spans inside `block`'s text, in order of their starts."""
        b0 = block.position()
        b1 = b0 + block.length() - 1  # the block's text ends before its break
        qs, qe, ql, qe_max = self._qs, self._qe, self._ql, self._qe_max
        found = []
        i = bisect_left(qs, b1) - 1
        while i >= 0 and qe_max[i] > b0:
            if qe[i] > b0:
                start, end = max(qs[i], b0) - b0, min(qe[i], b1) - b0
                if end > start:
                    tail = ql[i] - b0 if b0 <= ql[i] < b1 else -1
                    found.append(_Piece(start, end, self._spans[i], tail))
            i -= 1
        found.reverse()
        return found

    # ---- looks -----------------------------------------------------------------------

    def _colour(self, label: str) -> QColor:
        c = QColor(self._colours.get(label) or default_colour(label))
        return c if c.isValid() else QColor(default_colour(label))

    def _tag_font(self) -> QFont:
        if self._tag_font_cache is None:
            f = QFont()
            f.setFamilies(_SANS_FAMILIES)
            f.setStyleHint(QFont.StyleHint.SansSerif)
            f.setPointSizeF(max(self.font().pointSizeF() * 0.62, 7.0))
            f.setWeight(QFont.Weight.Bold)
            self._tag_font_cache = f
        return self._tag_font_cache

    def _style(self, label: str) -> tuple[QColor, QColor, QColor, QColor]:
        """(label colour, its outline colour on this theme, a suggestion's tint, the text
        colour of a suggestion's tag)."""
        style = self._styles.get(label)
        if style is None:
            c = self._colour(label)
            tint = QColor(c)
            tint.setAlphaF(0.22 if self._dark else 0.28)
            ink = _line_colour(c, self._dark, 0.09)
            style = self._styles[label] = (c, _line_colour(c, self._dark), tint, ink)
        return style

    def _tag_width(self, label: str) -> float:
        w = self._tag_widths.get(label)
        if w is None:
            text_w = QFontMetricsF(self._tag_font()).horizontalAdvance(label)
            w = self._tag_widths[label] = round(text_w + 2 * _TAG_PAD_X + _TAG_GAP_L + _TAG_GAP_R)
        return w

    def _format(self, label: str, confirmed: bool, tail: bool = False) -> QTextCharFormat:
        key = (label, confirmed, tail)
        fmt = self._formats.get(key)
        if fmt is None:
            c = self._colour(label)
            fmt = QTextCharFormat()
            # The fills are painted under the text by paintEvent (rounded, with a gap between
            # lines); the format says which kind of span it is, and sets the text colour.
            fmt.setProperty(SPAN_KIND_PROPERTY, "stored" if confirmed else "suggested")
            if confirmed:
                fmt.setForeground(_ink_on(c))
            if tail:
                fmt.setFontLetterSpacingType(QFont.SpacingType.AbsoluteSpacing)
                fmt.setFontLetterSpacing(self._tag_width(label))
            self._formats[key] = fmt
        return fmt

    def _restyle(self) -> None:
        self._formats.clear()
        self._styles.clear()
        self._tag_pixmaps.clear()
        self._highlighter.rehighlight()
        self.viewport().update()

    def _apply_palette(self) -> None:
        t = _THEMES[self._dark]
        pal = self.palette()
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            pal.setColor(group, QPalette.ColorRole.Base, QColor(t["base"]))
            pal.setColor(group, QPalette.ColorRole.Window, QColor(t["base"]))
            pal.setColor(group, QPalette.ColorRole.Text, QColor(t["text"]))
            pal.setColor(group, QPalette.ColorRole.Highlight, QColor(t["selection"]))
            pal.setColor(group, QPalette.ColorRole.HighlightedText, QColor(t["sel_text"]))
        self.setPalette(pal)

    def changeEvent(self, e: QEvent) -> None:  # noqa: N802
        super().changeEvent(e)
        if e.type() == QEvent.Type.FontChange:
            self._tag_widths.clear()
            self._tag_pixmaps.clear()
            self._tag_font_cache = None
            self._formats.clear()
            if self._spans:
                self._highlighter.rehighlight()

    # ---- painting: visible blocks only -----------------------------------------------

    def _visible_blocks(self, top: float, bottom: float) -> Iterator[tuple[QTextBlock, float]]:
        """(block, y of its top in viewport coordinates) for blocks between top and bottom."""
        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        y = self.blockBoundingGeometry(block).translated(offset).top()
        while block.isValid() and y <= bottom:
            height = self.blockBoundingRect(block).height()
            if block.isVisible() and y + height >= top:
                yield block, y
            y += height
            block = block.next()

    def _visible_boxes(self, area) -> list[tuple[_Piece, QRectF, bool, bool]]:
        """(piece, box on one line, is the span's first box, ends with the span's tag)."""
        boxes = []
        x0 = self.contentOffset().x()
        for block, y0 in self._visible_blocks(area.top(), area.bottom()):
            pieces = self._pieces_in(block)
            if not pieces:
                continue
            layout = block.layout()
            lines = [layout.lineAt(i) for i in range(layout.lineCount())]
            for piece in pieces:
                for line in lines:
                    ls = line.textStart()
                    if piece.end <= ls:
                        break
                    a, b = max(piece.start, ls), min(piece.end, ls + line.textLength())
                    if a >= b:
                        continue
                    xa = x0 + line.cursorToX(a)[0]
                    xb = x0 + line.cursorToX(b)[0]
                    first = a == piece.start and piece.span.start == self._map.to_py(
                        block.position() + a
                    )
                    if first:
                        xa -= _BOX_PAD_X
                    rect = QRectF(xa, y0 + line.y() + _BOX_INSET_Y, xb - xa,
                                  line.height() - 2 * _BOX_INSET_Y)  # fmt: skip
                    boxes.append((piece, rect, first, piece.tail >= 0 and b == piece.end))
        return boxes

    def _range_boxes(self, area, starts: list[int], ends: list[int], extra: list | None = None,
                     words_only: bool = False) -> list[tuple[QRectF, object]]:  # fmt: skip
        """(box on one line, its range's `extra` item) for the ranges [starts[i], ends[i])
        (Qt positions, sorted by start) on the visible lines. `words_only`: a box ends
        where its last character does, not after the room a span's tag takes there."""
        if not starts:
            return []
        boxes = []
        x0 = self.contentOffset().x()
        metrics = QFontMetricsF(self.font())
        for block, y0 in self._visible_blocks(area.top(), area.bottom()):
            b0 = block.position()
            b1 = b0 + block.length() - 1
            i = bisect_left(starts, b1)
            found = [(k, max(starts[k], b0) - b0, min(ends[k], b1) - b0)
                     for k in range(max(0, bisect_left(starts, b0 - _LOOKBACK)), i)
                     if ends[k] > b0 and min(ends[k], b1) > max(starts[k], b0)]  # fmt: skip
            if not found:
                continue
            layout = block.layout()
            for line in (layout.lineAt(n) for n in range(layout.lineCount())):
                ls, le = line.textStart(), line.textStart() + line.textLength()
                for k, a, b in found:
                    a, b = max(a, ls), min(b, le)
                    if a >= b:
                        continue
                    xa, xb = x0 + line.cursorToX(a)[0], x0 + line.cursorToX(b)[0]
                    if words_only:
                        last = block.text()[b - 1 : b]
                        xb = min(xb, x0 + line.cursorToX(b - 1)[0] +
                                 metrics.horizontalAdvance(last))  # fmt: skip
                    rect = QRectF(xa - 1, y0 + line.y() + _BOX_INSET_Y, xb - xa + 2,
                                  line.height() - 2 * _BOX_INSET_Y)  # fmt: skip
                    boxes.append((rect, extra[k] if extra is not None else None))
        return boxes

    def _paint_marks(self, painter: QPainter, area) -> None:
        """Search hits: a translucent marker over the fills, a bar under the words."""
        boxes = self._range_boxes(area, self._mark_qs, self._mark_qe, words_only=True)
        if not boxes:
            return
        fill = QColor("#fff176")  # a highlighter pen's yellow, and a bar no label has
        fill.setAlphaF(0.35 if self._dark else 0.6)
        bar = QColor("#e53935")
        painter.setPen(Qt.PenStyle.NoPen)
        for rect, _ in boxes:
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 2.0, 2.0)
            painter.setBrush(bar)
            painter.drawRect(QRectF(rect.left(), rect.bottom() - 3.0, rect.width(), 3.0))

    def _paint_flash(self, painter: QPainter, area) -> None:
        if not self._flash or self._flash_left <= 0:
            return
        items = sorted(self._flash)
        boxes = self._range_boxes(area, [a for a, _, _ in items], [b for _, b, _ in items],
                                  [gone for _, _, gone in items])  # fmt: skip
        ink = QColor("#ff7a00")
        ink.setAlphaF(min(1.0, 1.6 * self._flash_left))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for rect, gone in boxes:
            pen = QPen(ink, 2.5 if not gone else 1.5)
            if gone:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawRoundedRect(rect.adjusted(-2.5, -1.0, 2.5, 1.0), _BOX_RADIUS + 2,
                                    _BOX_RADIUS + 2)  # fmt: skip

    def paintEvent(self, e) -> None:  # noqa: N802
        if not self._spans and not self._mark_qs and not self._flash:
            super().paintEvent(e)
            return
        boxes = self._visible_boxes(e.rect()) if self._spans else []
        painter = QPainter(self.viewport())
        try:  # the fills, under the text and the selection
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            for piece, rect, _first, _tagged in boxes:
                c, _edge, tint, _ink = self._style(piece.span.label)
                painter.setBrush(c if piece.span.confirmed else tint)
                painter.drawRoundedRect(rect, _BOX_RADIUS, _BOX_RADIUS)
            self._paint_marks(painter, e.rect())
        finally:
            painter.end()
        super().paintEvent(e)
        painter = QPainter(self.viewport())
        try:  # the suggestions' outlines and the tags, over the text
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            tag_font = self._tag_font()
            painter.setFont(tag_font)
            tag_h = QFontMetricsF(tag_font).height() + 1
            for piece, rect, _first, tagged in boxes:
                span = piece.span
                c, edge, _tint, ink = self._style(span.label)
                if not span.confirmed:
                    painter.setPen(QPen(edge, 1.25))
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    painter.drawRoundedRect(rect.adjusted(0.6, 0.6, -0.6, -0.6),
                                            _BOX_RADIUS, _BOX_RADIUS)  # fmt: skip
                if tagged:
                    self._paint_tag(painter, span, c, edge, ink, rect, tag_h)
            focused = self._focused
            if focused is not None:
                self._paint_focus(painter, [r for p, r, _f, _t in boxes if p.span == focused])
            if self.link_marks:
                self._paint_links(painter, [(p.span, r) for p, r, first, _t in boxes if first
                                            and getattr(p.span, "kb_id", None)])  # fmt: skip
            self._paint_flash(painter, e.rect())
        finally:
            painter.end()

    def _paint_links(self, painter: QPainter, linked: list[tuple[ShownSpan, QRectF]]) -> None:
        """A linked span's mark: a small dot on its first box's top-left corner, filled for
        a stored link, hollow for a suggested one, grey for "not in the knowledge base"."""
        ink = QColor("#0f766e") if not self._dark else QColor("#5eead4")
        grey = QColor("#8a8a8a")
        for span, rect in linked:
            colour = grey if span.kb_id == NIL else ink
            centre = QPointF(rect.left() + 1.0, rect.top() + 1.0)
            painter.setPen(QPen(colour, 1.4))
            painter.setBrush(Qt.BrushStyle.NoBrush if span.kb_suggested else colour)
            painter.drawEllipse(centre, 3.2, 3.2)

    def _paint_focus(self, painter: QPainter, rects: list[QRectF]) -> None:
        """The span in focus: a ring in the text colour around each of its boxes (the tag
        included), inside its lines, so it stands out on any label colour."""
        ink = self.palette().color(QPalette.ColorRole.Text)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(ink, 2.0))
        for rect in rects:
            ring = rect.adjusted(-2.0, -0.5, 2.0, 0.5)
            painter.drawRoundedRect(ring, _BOX_RADIUS + 1, _BOX_RADIUS + 1)

    def _paint_tag(self, painter, span, c, edge, ink, box: QRectF, tag_h: float) -> None:
        width = self._tag_width(span.label)
        rect = QRectF(box.right() - width + _TAG_GAP_L, box.center().y() - tag_h / 2,
                      width - _TAG_GAP_L - _TAG_GAP_R, tag_h)  # fmt: skip
        ratio = painter.device().devicePixelRatioF()
        key = (span.label, span.confirmed, round(rect.width(), 1), round(tag_h, 1), ratio)
        pixmap = self._tag_pixmaps.get(key)
        if pixmap is None:  # a tag is drawn once, then copied: a page shows hundreds
            pixmap = self._tag_pixmaps[key] = self._draw_tag(span, c, edge, ink, rect, ratio)
        painter.drawPixmap(rect.topLeft(), pixmap)

    def _draw_tag(self, span, c, edge, ink, rect: QRectF, ratio: float) -> QPixmap:
        size = (max(1, int(rect.width() * ratio + 1)), max(1, int(rect.height() * ratio + 1)))
        pixmap = QPixmap(*size)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        local = QRectF(0, 0, rect.width(), rect.height())
        radius = rect.height() / 2.5
        painter = QPainter(pixmap)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            painter.setFont(self._tag_font())
            if span.confirmed:
                fill = QColor(c).darker(125)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(fill)
                painter.drawRoundedRect(local, radius, radius)
                painter.setPen(_ink_on(fill))
            else:
                painter.setPen(QPen(edge, 1.0))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(local.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
                painter.setPen(ink)
            painter.drawText(local, Qt.AlignmentFlag.AlignCenter, span.label)
        finally:
            painter.end()
        return pixmap

    # ---- hover -----------------------------------------------------------------------

    def _span_under(self, pos: QPoint) -> ShownSpan | None:
        """The span whose character (or tag) is under viewport position `pos`."""
        block = self.cursorForPosition(pos).block()
        if not block.isValid() or not self._spans:
            return None
        geo = self.blockBoundingGeometry(block).translated(self.contentOffset())
        layout = block.layout()
        x, y = pos.x() - geo.left(), pos.y() - geo.top()
        for i in range(layout.lineCount()):
            line: QTextLine = layout.lineAt(i)
            if line.y() <= y < line.y() + line.height():
                if not line.x() <= x < line.x() + line.naturalTextWidth():
                    return None
                rel = line.xToCursor(x, QTextLine.CursorPosition.CursorOnCharacter)
                return self.span_at_offset(self._map.to_py(block.position() + rel))
        return None

    def viewportEvent(self, e: QEvent) -> bool:  # noqa: N802
        if e.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(e.pos())
            if text:
                html_text = f"<p style='white-space:pre'>{html.escape(text)}</p>"
                QToolTip.showText(e.globalPos(), html_text, self.viewport())
            else:
                QToolTip.hideText()
                e.ignore()
            return True
        return super().viewportEvent(e)

    # ---- keys and mouse --------------------------------------------------------------

    @staticmethod
    def keeps_key(e: QKeyEvent) -> bool:
        """True for the keys this view handles itself: moving, selecting, copying."""
        mods = e.modifiers()
        if e.key() in _NAV_KEYS:
            if mods & Qt.KeyboardModifier.AltModifier and sys.platform != "darwin":
                return False
            if mods & Qt.KeyboardModifier.ControlModifier and e.key() in _PAGE_KEYS:
                return False
            return True
        return e.matches(QKeySequence.StandardKey.Copy) or e.matches(
            QKeySequence.StandardKey.SelectAll
        )

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ShortcutOverride:
            # Accepting would keep the key from the window's shortcuts.
            if self.keeps_key(e):
                e.accept()
            else:
                e.ignore()
            return True
        return super().event(e)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 (Qt's names)
        """Tab / Shift+Tab step between the spans instead of leaving the text."""
        self.tabbed.emit(1 if next else -1)
        return True

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802
        if self.keeps_key(e):
            super().keyPressEvent(e)
        else:
            e.ignore()  # goes on to the parent widgets

    def mousePressEvent(self, e) -> None:  # noqa: N802
        # A press inside the selection would start dragging the text away: start a new
        # selection instead, at the pressed position (so nothing scrolls).
        if (
            e.button() == Qt.MouseButton.LeftButton
            and not e.modifiers() & Qt.KeyboardModifier.ShiftModifier
            and self.textCursor().hasSelection()
        ):
            self.setTextCursor(self.cursorForPosition(e.position().toPoint()))
        super().mousePressEvent(e)
