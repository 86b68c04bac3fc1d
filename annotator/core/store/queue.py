"""The queue's rows: the ids of a filter in queue order, read a page at a time.

A project of a million articles lists at once. The length comes from `article_counts`
(kept by triggers), a page of ids from one query on the `(status, id)` index (LIMIT/OFFSET:
~25 ms at row 900,000 of a million), the row of an article from one indexed count, or from
the pages already read. Unfiltered in id order the rows are the contiguous ids themselves
(always, unless another tool removed articles), so nothing is read at all.

Search results arrive as a list (the search thread reads them whole): `ListRows` gives them
the same interface.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator, Sequence

from ..records import STATUSES

PAGE = 256
KEPT_PAGES = 64
SORTS = ("id", "status")


class _Rows:
    """What the queue needs: len, [row], row_of(id), equality with a list (tests)."""

    def id_at(self, row: int) -> int | None:
        return self[row] if 0 <= row < len(self) else None

    def __iter__(self) -> Iterator[int]:
        for row in range(len(self)):
            yield self[row]

    def __eq__(self, other) -> bool:
        if isinstance(other, (list, tuple, range, _Rows)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # mutable views: not hashable

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, int) and self.row_of(article_id) is not None

    def __bool__(self) -> bool:
        return len(self) > 0


class ListRows(_Rows):
    """Ids held in memory (search results), in the order given."""

    def __init__(self, ids: Sequence[int], by_id: bool = True):
        """`by_id`: the ids are in ascending id order (rows found by bisection)."""
        self._ids, self._sorted = ids, by_id
        self._index: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, row: int) -> int:
        return self._ids[row]

    def page(self, number: int) -> list[int]:
        return list(self._ids[number * PAGE : (number + 1) * PAGE])

    def row_of(self, article_id: int) -> int | None:
        if self._sorted:
            i = bisect_left(self._ids, article_id)
            return i if i < len(self._ids) and self._ids[i] == article_id else None
        if self._index is None:
            self._index = {aid: row for row, aid in enumerate(self._ids)}
        return self._index.get(article_id)


class QueueRows(_Rows):
    """The articles of a status (or all; or the flagged ones), sorted by id or by status
    then id, ascending or descending; read through `query(sql, args)` (a connection's
    execute)."""

    def __init__(self, query, counts: dict[str, int], status: str | None = None,
                 flagged: bool = False, sort: str = "id", descending: bool = False):  # fmt: skip
        if sort not in SORTS:
            raise ValueError(f"sort by one of {', '.join(SORTS)}, not {sort!r}")
        self._q = query
        self.status, self.flagged, self.sort, self.descending = status, flagged, sort, descending
        conds, self._args = [], []
        if flagged:
            conds.append("flagged = 1")
        if status:
            conds.append("status = ?")
            self._args.append(status)
        self._where = (" WHERE " + " AND ".join(conds)) if conds else ""
        way = "DESC" if descending else "ASC"
        self._order = f"id {way}" if sort == "id" else f"status {way}, id {way}"
        self._pages: OrderedDict[int, list[int]] = OrderedDict()
        self._counts = counts
        self._len = self._count(counts)
        self._span: tuple[int, int] | None = None  # (first, last) id when contiguous
        if not conds and sort == "id" and self._len:
            # two queries: SQLite answers min() or max() alone from the key, not both at once
            lo = self._q("SELECT min(id) FROM articles").fetchone()[0]
            hi = self._q("SELECT max(id) FROM articles").fetchone()[0]
            if hi - lo + 1 == self._len:
                self._span = (lo, hi)

    def _count(self, counts: dict[str, int]) -> int:
        if self.flagged and self.status:
            return self._q("SELECT count(*) FROM articles WHERE flagged = 1 AND status = ?",
                           [self.status]).fetchone()[0]  # fmt: skip
        if self.flagged:
            return counts.get("flagged", 0)
        if self.status:
            return counts.get(self.status, 0)
        return counts.get("articles", 0)

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, row: int) -> int:
        if row < 0:
            row += self._len
        if not 0 <= row < self._len:
            raise IndexError(row)
        if self._span is not None:
            lo, hi = self._span
            return hi - row if self.descending else lo + row
        page = self.page(row // PAGE)
        offset = row % PAGE
        if offset >= len(page):  # the file changed under this view: the panel reloads
            raise IndexError(row)
        return page[offset]

    def page(self, number: int) -> list[int]:
        """The ids of rows number*PAGE … (number+1)*PAGE - 1 (one indexed query)."""
        ids = self._pages.get(number)
        if ids is None:
            if self._span is not None:
                start = number * PAGE
                ids = [self[r] for r in range(start, min(start + PAGE, self._len))]
            else:
                ids = [r[0] for r in self._q(
                    f"SELECT id FROM articles{self._where} ORDER BY {self._order} "
                    "LIMIT ? OFFSET ?", [*self._args, PAGE, number * PAGE]).fetchall()]  # fmt: skip
            self._pages[number] = ids
            while len(self._pages) > KEPT_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return ids

    def row_of(self, article_id: int) -> int | None:
        """The row of an article in this view, or None if it is not in it."""
        if self._span is not None:
            lo, hi = self._span
            if not lo <= article_id <= hi:
                return None
            return hi - article_id if self.descending else article_id - lo
        for number, ids in self._pages.items():  # the pages read: the usual case, no query
            if ids and self._may_hold(ids, article_id):
                try:
                    return number * PAGE + ids.index(article_id)
                except ValueError:
                    pass
        row = self._q("SELECT status, flagged FROM articles WHERE id = ?",
                      [article_id]).fetchone()  # fmt: skip
        if row is None or (self.status and row[0] != self.status) or (
                self.flagged and not row[1]):  # fmt: skip
            return None
        return self._rank(article_id, row[0])

    def _may_hold(self, ids: list[int], article_id: int) -> bool:
        if self.sort != "id":
            return True
        lo, hi = (ids[-1], ids[0]) if self.descending else (ids[0], ids[-1])
        return lo <= article_id <= hi

    def _rank(self, article_id: int, status: str) -> int:
        """How many rows come before the article (one indexed count, or two)."""
        before = ">" if self.descending else "<"
        if self.sort == "id":
            where = self._where + (" AND " if self._where else " WHERE ")
            return self._q(f"SELECT count(*) FROM articles{where}id {before} ?",
                           [*self._args, article_id]).fetchone()[0]  # fmt: skip
        flag = "flagged = 1 AND " if self.flagged else ""
        earlier = [] if self.status else [  # with a status filter, one status only
            s for s in STATUSES if (s > status if self.descending else s < status)]
        n = 0
        if earlier and not self.flagged:
            n = sum(self._counts.get(s, 0) for s in earlier)
        elif earlier:
            marks = ",".join("?" * len(earlier))
            n = self._q(f"SELECT count(*) FROM articles WHERE {flag}status IN ({marks})",
                        earlier).fetchone()[0]  # fmt: skip
        return n + self._q(
            f"SELECT count(*) FROM articles WHERE {flag}status = ? AND id {before} ?",
            [status, article_id]).fetchone()[0]  # fmt: skip
