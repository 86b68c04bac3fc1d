"""Model → Agreement…: a team file's agreement figures and the articles that disagree, as
sortable tables.

Figures (the core's `agreement()`, the numbers `annotator agreement` prints): span F1 overall
and per label, and per pair of annotators the articles both decided, span F1, Cohen's kappa
and the decisions that agree; Krippendorff's alpha over everyone. An undefined figure says
why ("n/a: every decision was accept"). Below, every article whose versions differ (the same
ones the queue's Disagreements filter lists): disagreement, reviewed or not, each
annotator's decision and the start of its text. Click a header to sort; Enter or a double
click opens the article.
"""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
)

from annotator.core.team.agreement import ANSWER_WORD
from annotator.core.wording import plural

SortRole = Qt.UserRole + 2  # numbers sort as numbers, n/a last
ArticleRole = Qt.UserRole + 3


def _figure(value: float | None, undefined: str | None = None) -> str:
    if value is None:
        return f"n/a: {undefined}" if undefined else "n/a"
    return f"{value:.3f}"


def _cell(text: str, sort=None, tip: str | None = None, right: bool = False) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    item.setData(text.casefold() if sort is None else sort, SortRole)
    item.setToolTip(tip or text)
    if right:
        item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
    return item


def _number(value: float | int | None, text: str | None = None) -> QStandardItem:
    shown = text if text is not None else ("n/a" if value is None else f"{value:,}")
    return _cell(shown, float("-inf") if value is None else value, right=True)


def _table(headers: list[str], rows: list[list[QStandardItem]], name: str,
           stretch: int | None = None) -> QTableView:  # fmt: skip
    model = QStandardItemModel(0, len(headers))
    model.setHorizontalHeaderLabels(headers)
    for row in rows:
        model.appendRow(row)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SortRole)
    view = QTableView()
    view.setObjectName(name)
    view.setModel(proxy)
    proxy.setParent(view)
    model.setParent(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(-1, Qt.AscendingOrder)  # as given until a header is clicked
    view.setSelectionBehavior(QAbstractItemView.SelectRows)
    view.setSelectionMode(QAbstractItemView.SingleSelection)
    view.setEditTriggers(QAbstractItemView.NoEditTriggers)
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.Stretch)
    header.setStretchLastSection(stretch is None)
    return view


def _links(agreement: float | None, counts: dict | None) -> QStandardItem:
    """Link agreement: spans both gave and both linked, the share with the same id."""
    if not counts or not (counts.get("both_linked") or counts.get("one_linked")):
        return _cell("")
    text = f"{_figure(agreement)} ({counts['same']:,} of {counts['both_linked']:,})"
    item = _cell(text, float("-inf") if agreement is None else agreement)
    item.setToolTip(f"{counts['same']:,} of the {counts['both_linked']:,} spans both annotators "
                    f"gave and both linked have the same id; {counts['one_linked']:,} more "
                    "linked by one of the two only")  # fmt: skip
    return item


def figures_table(result: dict) -> QTableView:
    """One row for everything, one per label, one per pair of annotators."""
    rows = []
    s = result["spans"]
    rows.append([_cell("all labels, all pairs"), _number(result["span_f1"],
                 _figure(result["span_f1"])), _number(s["same"]), _number(s["first"]),
                 _number(s["second"]), _cell(""), _cell(""),
                 _links(result.get("link_agreement"), result.get("links"))])  # fmt: skip
    for label, c in result["span_f1_per_label"].items():
        rows.append([_cell(label), _number(c["f1"], _figure(c["f1"])), _number(c["same"]),
                     _number(c["first"]), _number(c["second"]), _cell(""), _cell(""),
                     _cell("")])  # fmt: skip
    for pair in result["pairs"]:
        kappa = _figure(pair["cohen_kappa"], pair.get("cohen_kappa_undefined"))
        ps = pair["spans"]
        rows.append([_cell(" / ".join(pair["annotators"])),
                     _number(pair["span_f1"], _figure(pair["span_f1"])), _number(ps["same"]),
                     _number(ps["first"]), _number(ps["second"]),
                     _number(pair["cohen_kappa"], kappa),
                     _cell(f"{pair['decisions_agreeing']:,} of {pair['decisions']:,} "
                           f"({plural(pair['articles'], 'article')} both decided)",
                           pair["decisions_agreeing"]),
                     _links(pair.get("link_agreement"), pair.get("links"))])  # fmt: skip
    headers = ["Label / pair", "Span F1", "Same spans", "Spans, first", "Spans, second",
               "Cohen's kappa", "Decisions agreeing", "Links, same id"]  # fmt: skip
    return _table(headers, rows, "agreementTable")


def disagreements_table(rows: list[dict]) -> QTableView:
    out = []
    for d in rows:
        decisions = ", ".join(f"{who}: {ANSWER_WORD.get(st, st)}"
                              for who, st in d["decisions"].items())  # fmt: skip
        reviewed = f"✓ {d['reviewed_by']}" if d["reviewed_by"] else "to review"
        text = d["text"]
        first = _number(d["article_id"], f"#{d['article_id']}")
        first.setData(d["article_id"], ArticleRole)
        out.append([first, _number(d["disagreement"], f"{d['disagreement']:.2f}"),
                    _cell(reviewed, ("1 " if d["reviewed_by"] else "0 ") + reviewed.casefold()),
                    _cell(decisions), _cell(text, tip=(d["title"] + "\n" if d["title"] and
                                                       not text.startswith(d["title"])
                                                       else "") + text)])  # fmt: skip
    view = _table(["#", "Disagreement", "Review", "Decisions", "Text"], out, "disagreements",
                  stretch=4)
    return view


class AgreementDialog(QDialog):
    def __init__(self, parent, result: dict, rows: list[dict]):
        super().__init__(parent)
        self.setWindowTitle("Agreement")
        self.articleChosen = lambda aid: None
        n = result["overlap_articles"]
        alpha = _figure(result["krippendorff_alpha"], result.get("krippendorff_alpha_undefined"))
        summary = QLabel(
            f"{plural(n, 'article')} decided by more than one of "
            f"{', '.join(result['annotators'])}. Span F1 counts exact start, end and label on "
            f"the articles both accepted. Krippendorff's alpha (accept/reject, everyone): "
            f"{alpha} on {plural(result['decisions_rated'], 'article')}.", self)  # fmt: skip
        summary.setObjectName("agreementFigures")
        summary.setWordWrap(True)
        summary.setTextFormat(Qt.PlainText)
        summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.figures = figures_table(result)
        self.figures.setParent(self)
        self.table = disagreements_table(rows)
        self.table.setParent(self)
        self.table.activated.connect(self._open)
        self.table.doubleClicked.connect(self._open)
        done = sum(1 for d in rows if d["reviewed_by"])
        heading = QLabel(
            f"{plural(len(rows), 'article')} whose versions differ ({done:,} reviewed, "
            f"{len(rows) - done:,} to review; the queue's Disagreements filter lists the "
            "same). Open one with Enter or a double click; click a header to sort.", self)
        heading.setObjectName("disagreementsHeading")
        heading.setWordWrap(True)
        heading.setTextFormat(Qt.PlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.figures)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        rows_shown = min(self.figures.model().rowCount(), 8)
        self.figures.setFixedHeight(self.figures.horizontalHeader().height() + 4 +
                                    rows_shown * self.figures.verticalHeader().defaultSectionSize())
        self.resize(860, 600)

    def article_ids(self) -> list[int]:
        """The articles in the table, in the order shown."""
        model = self.table.model()
        return [model.index(r, 0).data(ArticleRole) for r in range(model.rowCount())]

    def _open(self, index) -> None:
        aid = index.sibling(index.row(), 0).data(ArticleRole)
        if aid is not None:
            self.articleChosen(aid)
