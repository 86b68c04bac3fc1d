"""The article queue as a table model: id, title (⚑ for a flagged article, its note in the
tooltip), status.

The rows of a filter are a `QueueRows` view (core/store/queue.py): its length comes from the
project's counts and its ids a page at a time, so a queue of a million articles opens, jumps
to any row and sorts by status at once. Titles and statuses are fetched a page at a time
through `Project.queue_rows` when the view asks for them. Click the # or Status header to
sort by it.

A search runs on the `SearchWorker` when one is set (never on the UI thread): the rows shown
stay until its results come, then `filtered` is emitted (at once for the other filters).
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from annotator.core.project import Project
from annotator.core.store.queue import PAGE, ListRows, QueueRows

MAX_PAGES = 64
COLUMNS = ("#", "Title", "Status")
ID, TITLE, STATUS = range(3)
ArticleIdRole = Qt.UserRole + 1
FLAGGED = "flagged"  # the filter's "Flagged" entry: flagged articles, any status
DISAGREEMENTS = "disagreements"  # a team file's articles whose versions differ, most first
FLAG_MARK = "⚑"
REVIEWED_MARK = "✓"  # a team file's article a reviewer decided
STATUS_TEXT = {"pending": "pending", "accepted": "accepted", "rejected": "rejected",
               "skipped": "skipped"}  # fmt: skip


_ROLES = frozenset((Qt.DisplayRole, Qt.ToolTipRole, Qt.ForegroundRole, Qt.TextAlignmentRole,
                    ArticleIdRole))  # fmt: skip
_RIGHT = int(Qt.AlignRight | Qt.AlignVCenter)


def _display(aid: int, title: str, status: str, first: str, reviewer: str | None,
             flag: str | None = None) -> tuple:  # fmt: skip
    """`reviewer`: who reviewed a team file's article (None: not reviewed); `flag`: None if
    not flagged, else the flag's note (maybe empty)."""
    shown_title = title.strip() or " ".join(first.split())[:80] or "(empty)"
    tooltip = f"#{aid} · {status}" + (f", reviewed by {reviewer}" if reviewer else "")
    tooltip += f"\n{shown_title}"
    if flag is not None:
        tooltip += f"\n{FLAG_MARK} Flagged" + (f": {flag}" if flag else "")
        shown_title = f"{FLAG_MARK} {shown_title}"
    shown_status = STATUS_TEXT.get(status, status)
    if reviewer:
        shown_status = f"{REVIEWED_MARK} {shown_status}"
    texts = (str(aid), shown_title, shown_status)
    return texts, tooltip, status


class ArticleQueueModel(QAbstractTableModel):
    filtered = Signal()  # the ids of the current filter are in (a search's, maybe later)

    def __init__(self, project: Project | None = None, parent=None):
        super().__init__(parent)
        self.project = project
        self.searcher = None  # a SearchWorker, or None: searches run here
        self.searching = False  # a search was asked for and its results are not in yet
        self._token = 0
        self.status: str | None = None
        self.search = ""
        self.sort_key, self.descending = "id", False
        self.rows: QueueRows | ListRows = ListRows([])
        self.flagged: set[int] = set()
        self._pages: OrderedDict[int, dict[int, tuple]] = OrderedDict()
        self.status_colours: dict[str, str] = {}
        if project is not None:
            self.reload()

    # ---- filter ------------------------------------------------------------------------
    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.reload()

    def set_filter(self, status: str | None = None, search: str = "") -> None:
        self.status, self.search = status or None, search or ""
        self.reload()

    def set_searcher(self, searcher) -> None:
        if self.searcher is not None:
            self.searcher.found.disconnect(self._found)
        self.searcher = searcher
        if searcher is not None:
            searcher.found.connect(self._found)

    def reload(self) -> None:
        """Query the ids again (after an import, or a filter change)."""
        self._token += 1
        flagged = self.status == FLAGGED
        status = None if flagged else self.status
        ranking = self.status == DISAGREEMENTS  # ranked from the versions, not searched
        searching = self.search.strip() and not ranking
        if self.project is not None and (searching or ranking) and self.searcher is not None:
            self.searching = True
            self.searcher.request(self._token, status, self.search, flagged,
                                  (self.sort_key, self.descending))
            return
        self.searching = False
        if self.project is None:
            rows = ListRows([])
        elif self.status == DISAGREEMENTS:
            from annotator.core.team.review import disagreement_order

            rows = ListRows(disagreement_order(self.project), by_id=False)
        elif searching:  # no search thread (a bare model): searched here
            rows = ListRows(self.project.articles.ids(
                status, self.search, flagged, sort=self.sort_key, descending=self.descending),
                by_id=self._by_id())  # fmt: skip
        else:
            rows = self.project.queue(status, flagged, self.sort_key, self.descending)
        self._set_rows(rows)

    def _by_id(self) -> bool:
        return self.sort_key == "id" and not self.descending

    def _found(self, token: int, ids: list[int], complete: bool = True) -> None:
        """A search's results: the first page (the rest are being counted), then all."""
        if token == self._token and self.project is not None:
            self.searching = not complete
            self._set_rows(ListRows(ids, by_id=self._by_id() and self.status != DISAGREEMENTS))

    def _set_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = rows
        self._read_flags()
        self._pages.clear()
        self.endResetModel()
        self.filtered.emit()

    @property
    def ids(self) -> QueueRows | ListRows:
        """The ids of the current filter in queue order (a sequence; compares to a list)."""
        return self.rows

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        """Qt's header click: by # or by status (then #); a title sort is not offered."""
        key = {ID: "id", STATUS: "status"}.get(column)
        if key is None:
            return
        self.sort_key, self.descending = key, order == Qt.DescendingOrder
        self.reload()

    def _read_flags(self) -> None:
        """The flagged ids (few, and indexed: cheap to ask again after every change)."""
        self.flagged = set(self.project.article_ids(flagged=True)) if self.project else set()

    def invalidate(self, article_id: int | None = None) -> None:
        """Forget fetched rows (statuses changed); the view re-asks for what it shows."""
        if not self.rows:
            return
        self._read_flags()
        if article_id is not None:
            row = self.row_of(article_id)
            if row is None:
                return
            self._pages.pop(row // PAGE, None)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            return
        self._pages.clear()
        self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))

    # ---- lookups -----------------------------------------------------------------------
    def row_of(self, article_id: int) -> int | None:
        return self.rows.row_of(article_id)

    def id_at(self, row: int) -> int | None:
        try:
            return self.rows.id_at(row)
        except IndexError:  # the file changed under the view; the next refresh reloads
            return None

    def _row(self, row: int) -> tuple | None:
        """(display texts, tooltip, status) of a row; fetched a page at a time and kept
        ready to show, since a repaint asks for every visible cell in several roles."""
        page = row // PAGE
        rows = self._pages.get(page)
        if rows is None:
            chunk = self.rows.page(page)  # the view's pages are the rows' pages
            fetched = self.project.queue_rows(chunk) if self.project is not None else []
            flagged = [i for i in chunk if i in self.flagged]
            notes = {a.id: a.flag_note for a in self.project.articles_by_id(flagged)
                     if a.flagged} if flagged else {}  # fmt: skip
            rows = {r[0]: _display(*r, notes.get(r[0])) for r in fetched}
            self._pages[page] = rows
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return rows.get(self.id_at(row))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation != Qt.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.DisplayRole:
            return COLUMNS[section]
        if role == Qt.TextAlignmentRole:
            return int((Qt.AlignRight if section == ID else Qt.AlignLeft) | Qt.AlignVCenter)
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.NoItemFlags
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemNeverHasChildren

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.DisplayRole):
        if role not in _ROLES or not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        col = index.column()
        if role == ArticleIdRole:
            return self.id_at(index.row())
        if role == Qt.TextAlignmentRole:
            return _RIGHT if col == ID else None
        row = self._row(index.row())
        if row is None:  # deleted meanwhile
            return None
        texts, tooltip, status = row
        if role == Qt.DisplayRole:
            return texts[col]
        if role == Qt.ToolTipRole:
            return tooltip
        if col == STATUS and status in self.status_colours:  # Qt.ForegroundRole
            return QColor(self.status_colours[status])
        return None
