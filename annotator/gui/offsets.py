"""Code-point offsets <-> Qt text-document positions, for one text. No Qt import.

The project stores offsets as Python string indices (code points). A `QTextDocument` filled
with `setPlainText(text)` counts positions in UTF-16 units, so:

- a character outside the Basic Multilingual Plane (emoji, some CJK, math letters) takes two
  positions, one for each surrogate;
- `setPlainText` turns "\\r\\n" into ONE block break (a lone "\\r", "\\n", U+2029, U+FDD0 and
  U+FDD1 each become one block break: one position, like the character they replace);
- everything else (NBSP, U+2028, tabs, combining marks, lone surrogates) keeps one position.

`Utf16Map(text)` converts in both directions in O(log k) per call (k = number of astral
characters and "\\r\\n" pairs), and is the identity when there are none. Positions inside a
surrogate pair round up to the next code point; the break of a "\\r\\n" pair maps to the "\\r".
"""

from __future__ import annotations

import re
from bisect import bisect_right

# Each match shifts the mapping: an astral character adds one position after it, a "\r\n"
# pair (one break in Qt) removes one from the "\n" on.
_SHIFTS = re.compile("[\U00010000-\U0010ffff]|\r\n")


class Utf16Map:
    __slots__ = ("length", "qt_length", "_cp_at", "_qt_at", "_delta")

    def __init__(self, text: str) -> None:
        self.length = len(text)
        cp_at: list[int] = []  # code point from which the cumulative delta applies
        qt_at: list[int] = []  # the same threshold, as a Qt position
        delta: list[int] = []  # qt - cp from that threshold on
        d = 0
        for m in _SHIFTS.finditer(text):
            if m.group() == "\r\n":
                cp = m.start() + 1  # the "\n" shares the break position with the "\r"
                d -= 1
                cp_at.append(cp)
                qt_at.append(cp + 1 + d)  # the position after the break
            else:
                cp = m.start() + 1  # the code point after the astral character
                d += 1
                cp_at.append(cp)
                qt_at.append(cp + d)
            delta.append(d)
        self._cp_at = cp_at
        self._qt_at = qt_at
        self._delta = delta
        self.qt_length = self.length + d

    @property
    def identity(self) -> bool:
        """True when code points and Qt positions are the same numbers."""
        return not self._delta

    def to_qt(self, cp: int) -> int:
        """The Qt position of code-point offset `cp` (0 <= cp <= len(text))."""
        if not self._delta:
            return cp
        i = bisect_right(self._cp_at, cp)
        return cp + self._delta[i - 1] if i else cp

    def to_py(self, qt_pos: int) -> int:
        """The code-point offset of Qt position `qt_pos`; clamped to the text."""
        if not self._delta:
            return min(max(qt_pos, 0), self.length)
        qt_pos = min(max(qt_pos, 0), self.qt_length)
        i = bisect_right(self._qt_at, qt_pos)
        if not i:
            return qt_pos
        cp = qt_pos - self._delta[i - 1]
        return min(cp, self.length)

    def range_to_qt(self, start: int, end: int) -> tuple[int, int]:
        return self.to_qt(start), self.to_qt(end)

    def range_to_py(self, start: int, end: int) -> tuple[int, int]:
        return self.to_py(start), self.to_py(end)
