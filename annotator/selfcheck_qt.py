"""What the self-check's window steps (selfcheck_gui.py) drive the window with, the way a
person would, and how they notice what went wrong.

- `Problems`: errors nobody would see otherwise. PySide6 never lets an exception raised in
  a slot reach the code that emitted the signal (it goes to `sys.excepthook`), a worker
  thread's goes to `threading.excepthook`, the window logs some to the `annotator` logger,
  and Qt reports its own (a plugin that cannot load...) to its message handler. While
  installed, all of them are collected here, and the step that was running fails.
- `Modals`: answers the modal dialogs that show while an action runs (an action's
  `trigger()` returns only when its dialogs are closed): each is checked (shown, with a
  title, rendered to a pixmap that is not blank) and closed with the step's answer.
- `wait_until`, `rendered`, `menu_actions`: the rest of a person's patience, eyes and mouse.

Imports Qt: only the self-check's window steps import this module.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QProgressDialog, QWidget

from annotator.selfcheck import StepFailed

POLL_MS = 25
MODAL_LIMIT_S = 60.0  # a dialog still open after this long is closed, and the step fails
# Qt warnings that say something is missing or broken in the build (the rest is noise on
# some platform or other, e.g. "This plugin does not support raise()" offscreen).
SERIOUS = ("Cannot load library", "Could not load", "Could not find", "Cannot find",
           "Failed to load", "cannot open shared object", "QPainter::begin",
           "QObject::connect", "No such signal", "No such slot")  # fmt: skip
LOGGER = "annotator"


def _machinery(filename: str) -> bool:
    """Frames of the import system (an import failing shows where it was asked for)."""
    parts = Path(filename).parts
    return filename.startswith("<frozen") or "importlib" in parts or \
        Path(filename).name.startswith("pyimod")  # fmt: skip


def where(tb) -> str:
    """`file:line` of the innermost frame (outside the import system), and of the app's
    innermost frame when that is another (an import failing inside a library)."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return ""
    last = next((f for f in reversed(frames) if not _machinery(f.filename)), frames[-1])
    text = f"{Path(last.filename).name}:{last.lineno}"
    ours = next((f for f in reversed(frames) if "annotator" in Path(f.filename).parts), None)
    if ours is not None and ours is not last:
        text += f", from {Path(ours.filename).name}:{ours.lineno}"
    return f" (at {text})"


def describe(exc_type, exc, tb) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc_type.__name__}: {message}{where(tb)}" if message else \
        f"{exc_type.__name__}{where(tb)}"  # fmt: skip


class _LogErrors(logging.Handler):
    def __init__(self, found: list[str]):
        super().__init__(logging.ERROR)
        self.found = found

    def emit(self, record: logging.LogRecord) -> None:
        text = f"logged by {record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[0] is not None:
            text += f": {describe(*record.exc_info)}"
        self.found.append(text)


class Problems:
    """Errors raised in slots and threads, errors logged by the app, and Qt's serious
    warnings, while installed. `take()` returns them and starts afresh."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.qt_messages: list[str] = []  # every Qt message, for the record
        self._previous: tuple | None = None
        self._handler = _LogErrors(self.found)

    def install(self) -> Problems:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_hook
        self._qt_previous = qInstallMessageHandler(self._qt_message)
        logging.getLogger(LOGGER).addHandler(self._handler)
        return self

    def uninstall(self) -> None:
        if self._previous is None:
            return
        sys.excepthook, threading.excepthook = self._previous
        self._previous = None
        qInstallMessageHandler(self._qt_previous)
        logging.getLogger(LOGGER).removeHandler(self._handler)

    def _excepthook(self, exc_type, exc, tb) -> None:
        self.found.append(describe(exc_type, exc, tb))

    def _thread_hook(self, args) -> None:
        name = args.thread.name if args.thread is not None else "a thread"
        error = describe(args.exc_type, args.exc_value, args.exc_traceback)
        self.found.append(f"in {name}: {error}")

    def _qt_message(self, mode, context, message: str) -> None:
        self.qt_messages.append(message)
        serious = mode in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) or (
            mode == QtMsgType.QtWarningMsg and any(s in message for s in SERIOUS))
        if serious:
            self.found.append(f"Qt: {' '.join(message.split())}")

    def take(self) -> list[str]:
        found, self.found[:] = list(self.found), []
        return found

    def check(self) -> None:
        """Fail the step with the first problem (and how many more there were)."""
        found = self.take()
        if found:
            more = f" (and {len(found) - 1} more: {found[1]})" if len(found) > 1 else ""
            raise StepFailed(found[0] + more)


def pump(ms: int = 0) -> None:
    """Let the window handle what is waiting (for about `ms` milliseconds)."""
    app = QApplication.instance()
    deadline = time.monotonic() + ms / 1000
    while True:
        app.processEvents(QEventLoop.AllEvents, 20)
        if time.monotonic() >= deadline:
            return
        time.sleep(0.005)


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Handle events until `condition()` holds; seconds it took. Fails the step after
    `timeout_s` saying what it waited for."""
    t0 = time.monotonic()
    while not condition():
        if time.monotonic() - t0 > timeout_s:
            raise StepFailed(f"waited {timeout_s:g} s for {what}")
        pump(20)
    return time.monotonic() - t0


@dataclass(frozen=True)
class Seen:
    """A modal dialog as it showed."""

    kind: str  # its class
    title: str
    text: str  # a message box's text ("" for other dialogs)
    width: int
    height: int
    colours: int  # distinct colours in its picture (a blank one has 1)

    def __str__(self) -> str:
        return f"{self.kind} “{self.title}” {self.width}x{self.height}"


def rendered(widget: QWidget) -> tuple[int, int, int]:
    """Render the widget as on screen (`grab()`): width, height, distinct colours sampled
    on a grid (text on a background gives many; a widget that drew nothing gives 1)."""
    pix = widget.grab()
    if pix.isNull():
        return 0, 0, 0
    image = pix.toImage()
    w, h = image.width(), image.height()
    step_x, step_y = max(1, w // 48), max(1, h // 48)
    colours = {image.pixel(x, y) for x in range(0, w, step_x) for y in range(0, h, step_y)}
    return w, h, len(colours)


def check_rendered(widget: QWidget, what: str, min_colours: int = 3) -> tuple[int, int]:
    w, h, colours = rendered(widget)
    if w < 50 or h < 30 or colours < min_colours:
        raise StepFailed(f"{what} did not render ({w}x{h}, {colours} colours)")
    return w, h


Answer = Callable[[QWidget], None]


def accept(dialog: QWidget) -> None:
    dialog.accept() if isinstance(dialog, QDialog) else dialog.close()


def reject(dialog: QWidget) -> None:
    dialog.reject() if isinstance(dialog, QDialog) else dialog.close()


class Modals:
    """While a step runs: every modal dialog that shows is checked and recorded in `seen`,
    then answered with the next of `answers` (then `reject`). Progress dialogs are left to
    the work they show, unless still open after MODAL_LIMIT_S (then cancelled)."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.answers: list[Answer] = []
        self.seen: list[Seen] = []
        self._answered: dict[int, tuple[QWidget, float]] = {}
        self._progress: dict[int, float] = {}  # progress dialogs: when first seen
        self._first_seen: dict[int, float] = {}
        self.timer = QTimer()
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def expect(self, *answers: Answer) -> list[Seen]:
        """Start afresh for a step; the returned list fills as dialogs show."""
        self.answers = list(answers)
        self.seen = []
        return self.seen

    def stop(self) -> None:
        self.timer.stop()

    def _poll(self) -> None:
        try:
            self._handle(QApplication.activeModalWidget())
        except Exception as exc:  # noqa: BLE001 (a failure of the check: the step says so)
            error = describe(type(exc), exc, exc.__traceback__)
            self.problems.found.append(f"answering a dialog: {error}")

    def _handle(self, widget: QWidget | None) -> None:
        if widget is None or not widget.isVisible():
            return
        now = time.monotonic()
        if isinstance(widget, QProgressDialog):
            first = self._progress.setdefault(id(widget), now)
            if now - first > MODAL_LIMIT_S:
                self.problems.found.append(f"“{widget.labelText()}” still in progress after "
                                           f"{MODAL_LIMIT_S:g} s: cancelled")  # fmt: skip
                widget.cancel()
            return
        answered = self._answered.get(id(widget))
        if answered is not None and answered[0] is widget:
            if now - answered[1] > 2.0:  # the answer did not close it
                self.problems.found.append(f"{type(widget).__name__} “{widget.windowTitle()}” "
                                           "did not close when answered")  # fmt: skip
                widget.hide()
            return
        if now - self._first_seen.setdefault(id(widget), now) < 0.05:
            return  # just shown: let it lay out and paint once
        self._first_seen.pop(id(widget), None)
        w, h, colours = rendered(widget)
        text = widget.text() if isinstance(widget, QMessageBox) else ""
        self.seen.append(Seen(type(widget).__name__, widget.windowTitle(), text, w, h, colours))
        self._answered[id(widget)] = (widget, now)
        (self.answers.pop(0) if self.answers else reject)(widget)


def menu_actions(window) -> dict[str, QAction]:
    """Every action of the window's menus by its text (no '&', no '…'), submenus' own
    actions included; separators and the submenus themselves left out."""
    found: dict[str, QAction] = {}

    def walk(menu) -> None:
        for action in menu.actions():
            if action.isSeparator():
                continue
            if action.menu() is not None:
                walk(action.menu())
            else:
                found[plain(action.text())] = action

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu())
    return found


def plain(text: str) -> str:
    return text.replace("&", "").replace("…", "").strip()


def check_dialog(seen: list[Seen], title: str, what: str, message_box: bool = False) -> Seen:
    """The first dialog that showed: one whose title starts with `title`, a message box
    or not as asked, rendered."""
    if not seen:
        raise StepFailed(f"no {what} showed")
    first = seen[0]
    if not first.title.startswith(title):
        said = f": {first.text}" if first.text else ""
        raise StepFailed(f"expected the {what}, got {first}{said}")
    if message_box != (first.kind == "QMessageBox"):
        said = f": {first.text}" if first.text else ""
        raise StepFailed(f"expected the {what}, got {first}{said}")
    if first.width < 50 or first.height < 30 or first.colours < 3:
        raise StepFailed(f"the {what} did not render ({first.width}x{first.height}, "
                         f"{first.colours} colours)")  # fmt: skip
    return first
