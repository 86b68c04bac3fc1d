"""Model → Models…: every trained model (its training and dev articles, base, scores, and
the corrections it needed on the dev articles against the model in use before), the
selected one's scores per label and learning curve (dev F when trained on 25, 50, 75 and
100% of its training articles, drawn with pyqtgraph), and "Use this model" (not for a model
whose folder was removed: only the model in use, the best and the newest are kept).

Imported only when the dialog is opened: pyqtgraph and numpy take half a second to import.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
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
from annotator.core.train import curve, registry
from annotator.core.wording import plural

from . import theme as themes

MODEL_COLUMNS = ("Model", "Trained", "Train", "Dev", "Base", "P", "R", "F", "Corrections",
                 "State")  # fmt: skip
LABEL_COLUMNS = ("Label", "P", "R", "F", "Dev spans")
NUMBERS = {"Model", "Train", "Dev", "P", "R", "F", "Corrections", "Dev spans"}  # right-aligned
F_TICKS = [[(v / 5, f"{v / 5:.1f}") for v in range(6)]]
SHARES = (0, 25, 50, 75, 100)  # % of the training articles
SHARE_TICKS = [[(v, f"{v}%") for v in SHARES]]
IN_USE, REMOVED = "● in use", "folder removed"
MINUS = "\u2212"
PRUNED_TIP = (f"Its folder was removed: only the model in use, the best and the "
              f"{registry.KEEP_NEWEST} newest keep theirs. Its scores stay here.")
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


def signed(n: int) -> str:
    return f"{n:+,}".replace("-", MINUS)


def corrections_cell(record) -> tuple[str, str]:
    """("112 vs 140", what decided) from the model's adoption figures."""
    case = record.scores.get("adoption")
    if case is None:
        return "", "Trained before corrections were counted"
    before = ("no model (patterns and decisions)" if (record.baseline or {}).get("none")
              else "the model in use then")  # fmt: skip
    lo, hi = case["interval"]
    used = ("fewer with 95% confidence: used" if case["adopt"] else
            "not fewer with 95% confidence: not used")  # fmt: skip
    return (f"{case['with']:,} vs {case['without']:,}",
            f"Corrections on {plural(case['articles'], 'dev article')}: {case['with']:,} with "
            f"model {record.id}, {case['without']:,} with {before} ({signed(case['difference'])};"
            f" 95% interval {signed(lo)} to {signed(hi)}): {used}")


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
        self.pruned: set[int] = set()  # models whose folders were removed
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
        self.curve_title = QLabel("Learning curve", self)
        self.curve_title.setTextFormat(Qt.PlainText)
        self.curve_note = QLabel(self)
        self.curve_note.setTextFormat(Qt.PlainText)
        self.curve_note.setWordWrap(True)
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
        self.legend = self.plot.addLegend(offset=(-10, -10))
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
        rbox.addWidget(self.curve_note)
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
        self.pruned = {r.id for r in self.records if not Path(r.path).is_dir()}
        for row, r in enumerate(self.records):
            base = r.base if r.base == "blank" else Path(r.base).name or r.base
            fixes, fixes_tip = corrections_cell(r)
            state = IN_USE if r.id in self.in_use else REMOVED if r.id in self.pruned else ""
            cells = (
                _item(str(r.id), True), _item(when(r.created_at)),
                _item(f"{r.train_articles:,}", True, "Accepted articles it was trained on"),
                _item(f"{r.dev_articles:,}", True,
                      "Accepted articles it was evaluated on (never trained on)"),
                _item(base, tip=r.base),
                _item(f"{r.scores.get('p', 0):.3f}", True),
                _item(f"{r.scores.get('r', 0):.3f}", True),
                _item(f"{r.f:.3f}", True),
                _item(fixes, True, fixes_tip),
                _item(state, tip=PRUNED_TIP if r.id in self.pruned else ""),
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
        usable = record is not None and record.id not in self.in_use | self.pruned
        self.use_button.setEnabled(usable)
        self.use_button.setToolTip(
            PRUNED_TIP if record is not None and record.id in self.pruned else
            "Make the selected model the project's suggestion model")  # fmt: skip
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
        self.plot.setLabel("bottom", "% of the training articles (and how many)", color=t.muted)
        self.plot.setLabel("left", "Dev F", color=t.muted)
        self.plot.getAxis("left").setTicks(F_TICKS)
        bottom = self.plot.getAxis("bottom")
        bottom.setTicks(SHARE_TICKS)
        bottom.setHeight(QFontMetrics(self.font()).height() * 3 + 14)  # ticks: "25%", count
        self.legend.setLabelTextColor(QColor(t.muted))
        self._draw_curve(self.selected())

    def curve_points(self, selected: int | None) -> list[dict]:
        """The selected model's curve: its points at 25/50/75% and itself at 100%."""
        record = self._record(selected)
        return curve.points(record) if record is not None else []

    def _draw_curve(self, selected: int | None) -> None:
        t = self._theme
        self.plot.clear()
        record = self._record(selected)
        self.plot.setRange(xRange=(-4, 106), yRange=(-0.02, 1.13), padding=0)
        if record is None:
            self.plot.getAxis("bottom").setTicks(SHARE_TICKS)
            self.curve_title.setText("Learning curve")
            self.curve_note.setText("")
            return
        points = self.curve_points(selected)
        self.curve_title.setText(f"Learning curve: model {record.id}, dev F by share of its "
                                 f"{plural(record.train_articles, 'training article')}")
        xs = [round(p["fraction"] * 100) for p in points]
        self.plot.plot(xs, [p["f"] for p in points], name="the model alone",
                       pen=pg.mkPen(t.accent, width=2), symbol="o", symbolSize=8,
                       symbolBrush=pg.mkBrush(t.accent),
                       symbolPen=pg.mkPen(t.base, width=1.5))  # fmt: skip
        shown = [(x, p["suggestions_f"]) for x, p in zip(xs, points, strict=True)
                 if p.get("suggestions_f") is not None]  # fmt: skip
        if shown:
            self.plot.plot([x for x, _ in shown], [y for _, y in shown],
                           name="suggestions (with patterns and decisions)",
                           pen=pg.mkPen(t.muted, width=1.5, style=Qt.DashLine), symbol="s",
                           symbolSize=6, symbolBrush=pg.mkBrush(t.muted),
                           symbolPen=None)  # fmt: skip
        counts = {x: p["train_articles"] for x, p in zip(xs, points, strict=True)}
        self.plot.getAxis("bottom").setTicks([[
            (x, f"{x}%\n{counts[x]:,}" if x in counts else f"{x}%") for x in SHARES]])
        skipped = [p for p in record.scores.get("curve") or [] if "f" not in p]
        if not curve.has_curve(record):
            note = ("No learning curve for this model (trained with --no-curve, before curves, "
                    "or stopped before its first point): only the model itself, at 100%.")
        elif len(points) < 4:
            note = (f"{len(points) - 1} of 3 shares trained"
                    + (f" ({skipped[0]['fraction']:.0%} and less: too few articles)"
                       if skipped else ": the rest was cancelled") + ".")  # fmt: skip
        else:
            rise = round((points[-1]["f"] - points[-2]["f"]) * 100)
            change = f"F {signed(rise)} points" if rise else "F unchanged"
            note = (f"From 75% to 100% of the training articles: {change}; "
                    + ("more accepted articles should still help." if rise > 0 else
                       "more articles like these may not help much."))  # fmt: skip
        self.curve_note.setText(note)
