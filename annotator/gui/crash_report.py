"""Unexpected errors while the window runs: logged, and told to the user in one dialog.

`ExceptionHook` replaces `sys.excepthook` while it is installed. PySide routes an
exception raised in a slot or in a Python override of a Qt virtual (paintEvent, redo…)
there too, so everything the window does not expect ends up in `handle`: the traceback
goes to a rotating log in the user's data folder (`logs/annotator.log`) and a short
message with a "Copy details" button is shown, one at a time (errors raised while it is
open are only logged). Hard crashes (a segfault in Qt or spaCy) are written by
`faulthandler` to `logs/crash.log` beside it.
"""

from __future__ import annotations

import faulthandler
import logging
import sys
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from annotator.core import paths

from . import dialogs

LOG_FILE = "annotator.log"
CRASH_FILE = "crash.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
LOGGER = "annotator"  # the package's loggers (annotator.gui.suggest_worker…) write here too


def log_dir() -> Path:
    return paths.data_dir() / "logs"


def summary(exc_type: type[BaseException], exc: BaseException, log_path: Path) -> str:
    from .error_text import reason

    what = reason(exc) if str(exc) else exc_type.__name__
    what = what if len(what) <= 200 else what[:199] + "…"
    return (f"Something unexpected went wrong ({exc_type.__name__}: {what}). Your decisions "
            f"so far are saved. The details are in {log_path}.")  # fmt: skip


class ExceptionHook:
    """`with ExceptionHook(window): app.exec()`; `parent` may be set later."""

    def __init__(self, parent=None):
        self.parent = parent
        self.log_path = log_dir() / LOG_FILE
        self.logger = logging.getLogger(LOGGER)
        self._handler: logging.Handler | None = None
        self._crash_file = None
        self._previous_hook = None
        self._faults_were_enabled = False
        self._showing = False

    def install(self) -> ExceptionHook:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._handler = RotatingFileHandler(
            self.log_path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
        self._handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        self.logger.addHandler(self._handler)
        if self.logger.level == logging.NOTSET or self.logger.level > logging.INFO:
            self.logger.setLevel(logging.INFO)
        self._faults_were_enabled = faulthandler.is_enabled()
        self._crash_file = open(self.log_path.parent / CRASH_FILE, "a", encoding="utf-8")  # noqa: SIM115
        faulthandler.enable(self._crash_file)
        self._previous_hook = sys.excepthook
        sys.excepthook = self.handle
        return self

    def uninstall(self) -> None:
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
            self._previous_hook = None
        if self._crash_file is not None:
            faulthandler.disable()
            if self._faults_were_enabled:
                faulthandler.enable(sys.__stderr__)
            self._crash_file.close()
            self._crash_file = None
        if self._handler is not None:
            self.logger.removeHandler(self._handler)
            self._handler.close()
            self._handler = None

    def __enter__(self) -> ExceptionHook:
        return self.install()

    def __exit__(self, *exc) -> None:
        self.uninstall()

    def handle(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt | SystemExit):
            (self._previous_hook or sys.__excepthook__)(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        self.logger.error("unexpected error\n%s", details.rstrip())
        if self._showing:  # one dialog at a time; the rest are in the log
            return
        self._showing = True
        try:
            dialogs.report_error(self.parent, summary(exc_type, exc, self.log_path), details)
        except Exception:  # the report itself failed: the log has it, don't recurse
            self.logger.exception("could not show the error dialog")
        finally:
            self._showing = False
