"""Skipping one CSV record without holding it: where does it end?

Once a record passes the size limit, its bytes no longer go to the `csv` parser (which
would keep them); `RecordSkipper` follows them instead, with the states of the csv
module's default dialect (`,` and `"`, doubled quotes, strict), and keeps nothing. When
the record ends, `closing()` gives a line of one or two characters that brings the parser
to the same end: the parser then yields a (meaningless) row for the record, which the
reader reports as too large, and goes on with the next record as if it had read it all.

The parser is in one of two states when skipping starts at a line boundary: nothing of
the record seen yet, or inside a quoted field (only a quoted field spans lines).
"""

from __future__ import annotations

import re

_ORDINARY = re.compile(rb'[^",\r\n]+')  # every other run of bytes acts like one "x"

_START, _FIELD, _QUOTED, _QUOTE, _CR = range(5)  # start of a field, in a field, in a quoted
# field, a quote in a quoted field (closing, or the first of a doubled one), after a CR

# What to hand the parser, by (outcome, whether it is inside a quoted field of the record).
_CLOSING = {
    ("end", True): '"\n',  # close the quoted field, end the record
    ("end", False): "x\n",
    ("quote", True): '"x\n',  # csv.Error: ',' expected after '"'
    ("quote", False): '"x"x\n',
    ("newline", True): '"\rx\n',  # csv.Error: new-line character seen in unquoted field
    ("newline", False): "x\rx\n",
    ("eof", True): "",  # csv.Error: unexpected end of data
    ("eof", False): '"',
}


class RecordSkipper:
    """Follows one record from a line boundary; `quoted`: the parser is inside a quoted
    field of it (it has seen the record's first lines)."""

    def __init__(self, quoted: bool):
        self.quoted = quoted
        self.state = _QUOTED if quoted else _START
        self.outcome: str | None = None  # "end", or "quote"/"newline" (malformed), or "eof"

    def feed(self, data: bytes) -> bytes:
        """Follow the next bytes of the record (a line, or a piece of one); returns b""."""
        state = self.state
        if self.outcome is not None:
            return b""
        for c in _ORDINARY.sub(b"x", data):
            if state == _QUOTED:
                if c == 34:  # "
                    state = _QUOTE
            elif state == _QUOTE:
                if c == 34:
                    state = _QUOTED
                elif c == 44:  # ,
                    state = _START
                elif c == 10:  # \n
                    self.outcome = "end"
                    break
                elif c == 13:  # \r
                    state = _CR
                else:
                    self.outcome = "quote"
                    break
            elif state == _CR:
                self.outcome = "end" if c == 10 else "newline"
                break
            elif c == 44:
                state = _START
            elif c == 10:
                self.outcome = "end"
                break
            elif c == 13:
                state = _CR
            elif c == 34 and state == _START:
                state = _QUOTED
            else:
                state = _FIELD
        self.state = state
        return b""

    def finish(self) -> None:
        """The file ended inside the record."""
        if self.outcome is None:
            self.outcome = "eof" if self.state == _QUOTED else "end"

    def closing(self) -> str | None:
        """The line to hand the parser once the record is over, else None."""
        if self.outcome is None:
            return None
        return _CLOSING[self.outcome, self.quoted]
