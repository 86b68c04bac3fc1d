"""`annotator train --json` in a separate process, its JSON lines turned into signals.

The window never trains in its own process: spaCy's training keeps a core and the GIL busy
for minutes. It runs the command line's train command through QProcess (from source
`python -m annotator`; frozen, the executable is the command line too), at a lower priority
so that the window stays fast, and reads one JSON object per line: progress lines
(`step`, `epoch`, `max_epochs`, `f`, `seconds`, `left`), the result line once the model is
registered (`model`, `f`, `adoption`, `activated`...), then the learning curve's lines
(`curve_start`, `curve`) until the process ends. Killing the process before the result
registers nothing (the core writes a model and records it in one transaction); killing it
during the curve keeps the model and the points done.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal

log = logging.getLogger(__name__)

NICE = 10  # the training process's niceness (POSIX): background work
ERROR_PREFIX = "annotator: error: "


def train_command(db: Path | str, base: str | None = None) -> tuple[str, list[str]]:
    """The program and arguments that train the project `db` and print JSON lines."""
    args = ["train", "--db", str(db), "--json"]
    if base:
        args += ["--base", str(base)]
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable)
        # Windows: annotator.exe is windowed (no stdout); annotator-cli.exe is the console one.
        cli = exe.with_name(f"{exe.stem}-cli{exe.suffix}")
        return str(cli if cli.is_file() else exe), args
    return sys.executable, ["-m", "annotator", *args]


def error_sentence(stderr_lines, code: int) -> str:
    """One sentence from the last line the process wrote to stderr."""
    last = next((line.strip() for line in reversed(stderr_lines) if line.strip()), "")
    if not last:
        return f"the training process ended with exit code {code}."
    last = last.removeprefix(ERROR_PREFIX)
    last = last if len(last) <= 300 else last[:299] + "…"
    return last if last.endswith((".", "!", "?", "…")) else last + "."


class TrainProcess(QObject):
    """One training run. Exactly one of `done`, `failed`, `cancelled` is emitted, then
    `finished`. `done` comes as soon as the model is registered: the process goes on with
    the learning curve (`curve` signals) until `finished`, and a cancel then only stops
    the curve."""

    progress = Signal(dict)
    curve = Signal(dict)  # {"curve_start": {...}} or {"curve": point}
    done = Signal(dict)  # the result line
    failed = Signal(str)  # why, one sentence
    cancelled = Signal()
    finished = Signal()

    def __init__(self, db: Path | str, base: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.result: dict | None = None
        self.last_progress: dict | None = None
        self._cancelled = False
        self._over = False
        self._err: deque[str] = deque(maxlen=20)
        self._err_partial = b""
        self.process = QProcess(self)
        program, args = train_command(db, base)
        self.process.setProgram(program)
        self.process.setArguments(args)
        self.process.readyReadStandardOutput.connect(self._read_stdout)
        self.process.readyReadStandardError.connect(self._read_stderr)
        self.process.started.connect(self._lower_priority)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)

    def start(self) -> None:
        self.process.start()

    @property
    def running(self) -> bool:
        return not self._over

    def cancel(self) -> None:
        """Kill the process; `cancelled` follows when it is gone (at once, in practice)."""
        if not self._over:
            self._cancelled = True
            self.process.kill()

    def stop_now(self) -> None:
        """Kill and reap the process, emitting nothing more (the window is going away)."""
        if self._over:
            return
        self._over = True
        self.process.finished.disconnect(self._finished)
        self.process.errorOccurred.disconnect(self._error)
        self.process.kill()
        self.process.waitForFinished(3000)

    # ---- the process ------------------------------------------------------------------------
    def _lower_priority(self) -> None:
        if hasattr(os, "setpriority"):
            try:
                os.setpriority(os.PRIO_PROCESS, self.process.processId(), NICE)
            except OSError:  # gone already, or not allowed: it runs at normal priority
                pass

    def _read_stdout(self) -> None:
        while self.process.canReadLine():
            self._line(bytes(self.process.readLine().data()))

    def _line(self, raw: bytes) -> None:
        try:
            item = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            return  # not ours (a library printing to stdout)
        if not isinstance(item, dict):
            return
        if "model" in item and self.result is None:
            self.result = item
            self.done.emit(item)
        elif "curve" in item or "curve_start" in item:
            self.curve.emit(item)
        elif "epoch" in item:
            self.last_progress = item
            self.progress.emit(item)

    def _read_stderr(self) -> None:
        data = self._err_partial + bytes(self.process.readAllStandardError().data())
        *lines, self._err_partial = data.split(b"\n")
        self._err.extend(line.decode("utf-8", "replace") for line in lines)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.FailedToStart and not self._over:
            self._over = True
            self.failed.emit(f"the training process could not start "
                             f"({self.process.errorString()}).")  # fmt: skip
            self.finished.emit()

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        if self._over:
            return
        self._over = True
        self._read_stdout()
        rest = bytes(self.process.readAllStandardOutput().data())
        if rest.strip():
            self._line(rest)  # a last line without its newline
        self._read_stderr()
        if self._err_partial:
            self._err.append(self._err_partial.decode("utf-8", "replace"))
        if self.result is not None:  # done already; the curve ended, or was cut short
            if code != 0 and not self._cancelled:
                log.warning("the learning curve failed: %s", error_sentence(self._err, code))
        elif self._cancelled:
            self.cancelled.emit()
        elif status == QProcess.CrashExit:
            self.failed.emit(
                "the training process crashed"
                + (f": {error_sentence(self._err, code)}" if self._err else ".")
            )
        elif code != 0:
            self.failed.emit(error_sentence(self._err, code))
        else:
            self.failed.emit("the training process ended without a result.")
        self.finished.emit()
