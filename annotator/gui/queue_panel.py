"""The side panel: search box, status filter and the article queue.

Searches, and building the part of the search index that is missing, run on a
`SearchWorker` (a thread with its own connection), never on the UI thread; while it indexes,
the search box says so.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from annotator.core.project import Project
from annotator.core.records import STATUSES

from .queue_model import (
    DISAGREEMENTS,
    FLAGGED,
    ID,
    REVIEWED_MARK,
    STATUS,
    TITLE,
    ArticleQueueModel,
)
from .search_worker import SearchWorker

PLACEHOLDER = "Search articles"


class QueuePanel(QWidget):
    articleChosen = Signal(int, bool)  # article id, by a click (else by the arrow keys)
    searchDone = Signal()  # Return in the search box
    searchApplied = Signal(str)  # the search now filtering the queue ("" for none)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sidePanel")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self._syncing = False
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(PLACEHOLDER)
        self.search.setClearButtonEnabled(True)
        self.search_timer = QTimer(self, singleShot=True, interval=250)
        self.search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _: self.search_timer.start())
        self.search.returnPressed.connect(self._search_return)
        self.status_filter = QComboBox(self)
        self.status_filter.addItem("All", None)
        for status in STATUSES:
            self.status_filter.addItem(status.capitalize(), status)
        self.status_filter.addItem("Flagged", FLAGGED)
        self.status_filter.addItem("Disagreements", DISAGREEMENTS)  # a team file's, most first
        self.status_filter.currentIndexChanged.connect(lambda _: self.apply_filter())
        self.model = ArticleQueueModel(None, self)
        self.model.filtered.connect(self._filtered)
        self.searcher: SearchWorker | None = None
        self._choose_first = False  # Return was pressed: open the first result when it comes
        self.table = table = QTableView(self)
        table.setModel(self.model)
        table.setSelectionBehavior(QTableView.SelectRows)
        table.setSelectionMode(QTableView.SingleSelection)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(26)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(TITLE, header.ResizeMode.Stretch)
        header.resizeSection(ID, 52)
        header.resizeSection(STATUS, 76)
        header.setHighlightSections(False)
        header.setSortIndicatorShown(False)  # shown once sorted otherwise than by # up
        header.sectionClicked.connect(self._sort_by)
        table.selectionModel().currentRowChanged.connect(self._row_changed)
        table.clicked.connect(lambda index: self._choose(index.row(), clicked=True))
        filters = QHBoxLayout()
        filters.setContentsMargins(10, 0, 10, 0)
        filters.setSpacing(6)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.status_filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(filters)
        self.result_note = QLabel(self)  # "1,204 results", or "256+ results, counting…"
        self.result_note.setObjectName("resultNote")
        self.result_note.setTextFormat(Qt.PlainText)
        self.result_note.setContentsMargins(12, 0, 10, 0)
        self.result_note.hide()
        layout.addWidget(self.result_note)
        layout.addWidget(table, 1)
        self.current_id: int | None = None

    def set_project(self, project: Project | None) -> None:
        if self.searcher is not None:
            self.searcher.stop()
            self.searcher.indexing.disconnect(self._indexing)
            self.model.set_searcher(None)
            self.searcher = None
        self.search.setPlaceholderText(PLACEHOLDER)
        # another project: the last one's search would list nothing here, unexplained
        self.search_timer.stop()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.model.search = ""
        self.result_note.hide()
        self._choose_first = False
        self.searchApplied.emit("")
        if project is not None:
            self.searcher = SearchWorker(project.path, self)
            self.searcher.indexing.connect(self._indexing)
            self.model.set_searcher(self.searcher)
        self.model.set_project(project)

    def _sort_by(self, column: int) -> None:
        """A click on # or Status sorts by it (status then #); again: the other way. A click
        on Title keeps the order as it is."""
        header = self.table.horizontalHeader()
        current = ID if self.model.sort_key == "id" else STATUS
        if column not in (ID, STATUS):
            column, descending = current, self.model.descending
        else:
            descending = not self.model.descending if column == current else False
        order = Qt.DescendingOrder if descending else Qt.AscendingOrder
        if (column, descending) != (current, self.model.descending):
            self.model.sort(column, order)
            if self.current_id is not None:
                self.select(self.current_id)
        header.setSortIndicator(column, order)
        header.setSortIndicatorShown((column, descending) != (ID, False))

    def apply_filter(self) -> None:
        self.search_timer.stop()
        self.model.set_filter(self.status_filter.currentData(), self.search.text())
        self.searchApplied.emit(self.model.search)

    def _indexing(self, left: int) -> None:
        self.search.setPlaceholderText(
            f"Indexing {left:,} articles for search…" if left else PLACEHOLDER
        )

    def _show_result_count(self) -> None:
        model = self.model
        if model.status == DISAGREEMENTS:
            self.result_note.setText(self._disagreement_note())
            self.result_note.show()
            return
        if not model.search.strip():
            self.result_note.hide()
            return
        n = len(model.rows)
        self.result_note.setText(f"{n:,}+ results, counting…" if model.searching
                                 else f"{n:,} result" + ("" if n == 1 else "s"))  # fmt: skip
        self.result_note.show()

    def _disagreement_note(self) -> str:
        """What the Disagreements filter lists, reviewed articles included (marked ✓, last),
        so that it counts what Model → Agreement counts."""
        model = self.model
        if model.searching:
            return "Comparing the annotators' versions…"
        n = len(model.rows)
        if not n:
            return "No article has annotators' versions that differ"
        from annotator.core.team.agreement import reviewed_ids

        done = len(reviewed_ids(model.project) & set(model.rows)) if model.project else 0
        left = f"{n - done:,} to review" if n > done else "all reviewed"
        return (f"{n:,} disagreeing: {left}" +
                (f", {done:,} reviewed ({REVIEWED_MARK}, listed last)" if done else ""))

    def _filtered(self) -> None:
        self._show_result_count()
        choose, self._choose_first = self._choose_first, False
        rows = self.model.rows
        if choose and rows and (self.current_id is None or rows.row_of(self.current_id) is None):
            self.articleChosen.emit(rows[0], True)
        elif self.current_id is not None:
            self.select(self.current_id)

    def filtering_status(self) -> bool:
        """True when the list shows one status only, or is sorted by status: a decision
        changes its rows."""
        return self.status_filter.currentData() not in (None, FLAGGED) or \
            self.model.sort_key == "status"

    def filtering_flagged(self) -> bool:
        """True when the list shows the flagged articles only: a flag changes its rows."""
        return self.status_filter.currentData() == FLAGGED

    def reload(self) -> None:
        """Articles changed here or elsewhere: index any new ones, then list the filter again."""
        if self.searcher is not None:
            self.searcher.catch_up()
        self.model.reload()

    def select(self, article_id: int) -> None:
        """Mark the article shown in the window (without re-opening it)."""
        self.current_id = article_id
        row = self.model.row_of(article_id)
        self._syncing = True
        try:
            sel = self.table.selectionModel()
            if row is None:
                sel.clearSelection()
                return
            index = self.model.index(row, TITLE)
            flags = QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows
            sel.setCurrentIndex(index, flags)
            self.table.scrollTo(index)
        finally:
            self._syncing = False

    def neighbour(self, article_id: int, step: int) -> int | None | bool:
        """The article `step` rows away in the queue; False if `article_id` isn't listed."""
        row = self.model.row_of(article_id)
        return False if row is None else self.model.id_at(row + step)

    def set_counts(self, counts: dict) -> None:
        total = counts.get("articles", 0)
        for i in range(self.status_filter.count()):
            status = self.status_filter.itemData(i)
            if status == DISAGREEMENTS:
                continue  # counted when chosen (it is computed from the versions)
            n = counts.get(status, 0) if status else total
            self.status_filter.setItemText(i, f"{(status or 'all').capitalize()} ({n:,})")

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _search_return(self) -> None:
        self._choose_first = True
        self.apply_filter()
        self.searchDone.emit()

    def _row_changed(self, current, _previous) -> None:
        if not self._syncing and current.isValid():
            self._choose(current.row())

    def _choose(self, row: int, clicked: bool = False) -> None:
        aid = self.model.id_at(row)
        if aid is not None and (clicked or aid != self.current_id):
            self.articleChosen.emit(aid, clicked)
