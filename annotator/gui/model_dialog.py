"""Model → Models…: every trained model, the selected one's scores per label, a learning
curve (dev F against accepted articles, one point per model, drawn with pyqtgraph), and
"Use this model".

Imported only when the dialog is opened: pyqtgraph and numpy take half a second to import.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from annotator.core.project import Project
from annotator.core.train import registry

from . import theme as themes

MODEL_COLUMNS = ("Model", "Trained", "Articles", "Base", "P", "R", "F", "In use")
LABEL_COLUMNS = ("Label", "P", "R", "F", "Dev spans")
NUMBERS = {"Model", "Articles", "P", "R", "F", "Dev spans"}  # right-aligned columns
F_TICKS = [[(v / 5, f"{v / 5:.1f}") for v in range(6)]]
EMPTY = "No trained models yet: Model → Train now (Ctrl+T) trains one on the accepted articles."


def when(created_at: str) -> str:
    try:
        return datetime.fromisoformat(created_at).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return created_at[:16]


def same_model(path: str, setting) -> bool:
    if not isinstance(setting, str) or not setting:
        return False
    if path == setting:
        return True
    try:
        return Path(path).resolve() == Path(setting).resolve()
    except OSError:
        return False


def _item(text: str, number: bool = False, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemIsSelectable | Qt.ItemIsEnabled)
    if number:
        item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
    if tip:
        item.setToolTip(tip)
    return item


def _table(columns: tuple[str, ...], parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, len(columns), parent)
    table.setHorizontalHeaderLabels(columns)
    for col, name in enumerate(columns):
        if name in NUMBERS:
            table.horizontalHeaderItem(col).setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.setSelectionMode(QAbstractItemView.SingleSelection)
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeToContents)
    header.setStretchLastSection(True)
    header.setDefaultAlignment(Qt.AlignLeft | Qt.AlignVCenter)
    return table


class ModelDialog(QDialog):
    modelActivated = Signal(int)  # the user chose this model for suggestions

    def __init__(self, project: Project, parent: QWidget | None = None):
        super().__init__(parent)
        self.project = project
        self.records = []
        self.in_use: set[int] = set()
        self._theme = themes.LIGHT
        self.setWindowTitle(f"Models — {project.path.name}")
        self.models = _table(MODEL_COLUMNS, self)
        self.models.itemSelectionChanged.connect(self._selected)
        self.empty = QLabel(EMPTY, self)
        self.empty.setTextFormat(Qt.PlainText)
        self.empty.setWordWrap(True)
        self.labels = _table(LABEL_COLUMNS, self)
        self.labels.setSelectionMode(QAbstractItemView.NoSelection)
        self.labels.horizontalHeader().setStretchLastSection(False)
        self.labels.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.labels_title = QLabel("Per label", self)
        self.labels_title.setTextFormat(Qt.PlainText)
        self.curve_title = QLabel("Learning curve: dev F against accepted articles", self)
        self.curve_title.setTextFormat(Qt.PlainText)
        for title in (self.labels_title, self.curve_title):
            font = QFont(title.font())
            font.setWeight(QFont.DemiBold)
            title.setFont(font)
        self.plot = pg.PlotWidget(self)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setMinimumSize(320, 220)
        self.use_button = QPushButton("Use this model", self)
        self.use_button.setToolTip("Make the selected model the project's suggestion model")
        self.use_button.clicked.connect(self._use)
        buttons = QDialogButtonBox(QDialogButtonBox.Close, self)
        buttons.rejected.connect(self.close)
        buttons.addButton(self.use_button, QDialogButtonBox.ActionRole)

        left, right = QWidget(self), QWidget(self)
        lbox, rbox = QVBoxLayout(left), QVBoxLayout(right)
        lbox.setContentsMargins(0, 0, 8, 0)
        rbox.setContentsMargins(8, 0, 0, 0)
        lbox.addWidget(self.labels_title)
        lbox.addWidget(self.labels, 1)
        rbox.addWidget(self.curve_title)
        rbox.addWidget(self.plot, 1)
        lower = QSplitter(Qt.Horizontal, self)
        lower.addWidget(left)
        lower.addWidget(right)
        lower.setChildrenCollapsible(False)
        lower.setHandleWidth(1)
        lower.setSizes([380, 520])
        layout = QVBoxLayout(self)
        layout.addWidget(self.models, 2)
        layout.addWidget(self.empty)
        layout.addWidget(lower, 3)
        row = QHBoxLayout()
        row.addWidget(buttons)
        layout.addLayout(row)
        self.resize(920, 640)

    # ---- data -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the models again (a training finished, a model was chosen)."""
        keep = self.selected()
        self.records = registry.all_models(self.project)
        current = self.project.get_setting("model", "auto")
        self.in_use = {r.id for r in self.records if same_model(r.path, current)}
        self.models.setRowCount(len(self.records))
        for row, r in enumerate(self.records):
            base = r.base if r.base == "blank" else Path(r.base).name or r.base
            cells = (
                _item(str(r.id), True), _item(when(r.created_at)),
                _item(f"{r.articles:,}", True,
                      f"{r.train_articles:,} for training, {r.dev_articles:,} for evaluation"),
                _item(base, tip=r.base),
                _item(f"{r.scores.get('p', 0):.3f}", True),
                _item(f"{r.scores.get('r', 0):.3f}", True),
                _item(f"{r.f:.3f}", True),
                _item("● in use" if r.id in self.in_use else ""),
            )  # fmt: skip
            for col, item in enumerate(cells):
                self.models.setItem(row, col, item)
        self.empty.setVisible(not self.records)
        ids = [r.id for r in self.records]
        target = keep if keep in ids else next(iter(self.in_use), ids[-1] if ids else None)
        if target is not None:
            self.models.selectRow(ids.index(target))
        self._selected()

    def selected(self) -> int | None:
        rows = self.models.selectionModel().selectedRows() if self.records else []
        return self.records[rows[0].row()].id if rows else None

    def _record(self, number: int | None):
        return next((r for r in self.records if r.id == number), None)

    def _selected(self) -> None:
        record = self._record(self.selected())
        self.use_button.setEnabled(record is not None and record.id not in self.in_use)
        per_label = record.scores.get("per_label", {}) if record else {}
        self.labels_title.setText(f"Per label: model {record.id}" if record else "Per label")
        self.labels.setRowCount(len(per_label))
        for row, (label, s) in enumerate(per_label.items()):
            cells = (_item(label), *(_item(f"{s[k]:.3f}", True) for k in "prf"),
                     _item(f"{s['tp'] + s['fn']:,}", True))  # fmt: skip
            for col, item in enumerate(cells):
                self.labels.setItem(row, col, item)
        self._draw_curve(record.id if record else None)

    def _use(self) -> None:
        number = self.selected()
        if number is not None:
            self.modelActivated.emit(number)

    # ---- the learning curve -----------------------------------------------------------------
    def set_theme(self, t: themes.Theme) -> None:
        self._theme = t
        self.plot.setBackground(QColor(t.base))
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            axis.setPen(pg.mkPen(t.border))
            axis.setTextPen(pg.mkPen(t.muted))
        self.plot.setLabel("bottom", "Accepted articles", color=t.muted)
        self.plot.setLabel("left", "Dev F", color=t.muted)
        self.plot.getAxis("left").setTicks(F_TICKS)
        self._draw_curve(self.selected())

    def _draw_curve(self, selected: int | None) -> None:
        t = self._theme
        self.plot.clear()
        points = sorted(self.records, key=lambda r: (r.articles, r.id))
        if not points:
            self.plot.setRange(xRange=(0, 100), yRange=(-0.02, 1.13), padding=0)
            return
        xs, ys = [r.articles for r in points], [r.f for r in points]
        self.plot.plot(
            xs,
            ys,
            pen=pg.mkPen(t.accent, width=2),
            symbol="o",
            symbolSize=8,
            symbolBrush=pg.mkBrush(t.accent),
            symbolPen=pg.mkPen(t.base, width=1.5),
        )
        in_use = [r for r in points if r.id in self.in_use]
        if in_use:
            ring = t.status["accepted"]
            self.plot.plot([r.articles for r in in_use], [r.f for r in in_use], pen=None,
                           symbol="o", symbolSize=16, symbolBrush=None,
                           symbolPen=pg.mkPen(ring, width=2.5))  # fmt: skip
        chosen = self._record(selected)
        if chosen is not None:
            self.plot.plot(
                [chosen.articles],
                [chosen.f],
                pen=None,
                symbol="o",
                symbolSize=11,
                symbolBrush=pg.mkBrush(t.text),
                symbolPen=pg.mkPen(t.base, width=1.5),
            )
        for r in points:
            text = pg.TextItem(str(r.id), color=t.muted, anchor=(0.5, 1.4))
            text.setPos(r.articles, r.f)
            self.plot.addItem(text)
        low, high = min(xs), max(xs)
        pad = max(10, (high - low) * 0.08)
        self.plot.setRange(xRange=(max(0, low - pad), high + pad), yRange=(-0.02, 1.13), padding=0)
