"""Start the desktop app: `annotator gui [--db DB] [--screenshot PNG] [--article N]`."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

SCREENSHOT_SIZE = (1280, 800)
SCREENSHOT_WAIT_MS = 20000  # at most this long for the model before the picture is taken
EXIT_WAIT_S = 3.0  # at most this long for stopped suggestion workers, once the window is closed


def display_problem(
    env: Mapping[str, str] | None = None, platform: str | None = None
) -> str | None:
    """One line saying why no window can open here, or None when it can.

    Qt aborts the process when it can't reach a display; say so politely instead."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"):
        return None
    return (
        "annotator: no display is available (DISPLAY and WAYLAND_DISPLAY are not set): "
        "use the command line (annotator --help) or render the window to a picture with "
        "annotator gui --screenshot window.png"
    )


def application():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "annotator"])
    app.setApplicationName("Annotator")
    app.setOrganizationName("Annotator")
    app.setApplicationDisplayName("Annotator")
    return app


def run_gui(db: Path | None = None, screenshot: Path | None = None, article: int | None = None,
            theme: str | None = None) -> int:  # fmt: skip
    """Open the window (returns the exit code), or render it to `screenshot` and exit."""
    if screenshot is not None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    else:
        problem = display_problem()
        if problem:
            print(problem, file=sys.stderr)
            return 2
    app = application()
    from annotator.core.paths import default_project
    from annotator.core.project import Project, ProjectError

    from .main_window import MainWindow
    from .settings import AppSettings

    settings = AppSettings(read_only=screenshot is not None)
    if theme in ("light", "dark"):
        settings.set_theme(theme)
    last = settings.last_project()
    path = Path(db) if db else (last if last and last.is_file() else default_project())
    try:  # a bad file is reported here, as one line, not in a dialog nobody can click
        Project(path).close()
    except ProjectError as exc:
        print(f"annotator: error: {exc}", file=sys.stderr)
        return 1
    if screenshot is not None:
        code = take_screenshot(MainWindow(path, settings, article=article, interactive=False),
                               Path(screenshot))
        return leave(code)
    from annotator.selfcheck import STARTUP_PROBE_ENV

    from .crash_report import ExceptionHook

    probing = bool(os.environ.get(STARTUP_PROBE_ENV))  # a start-up measurement: never ask
    with ExceptionHook() as hook:  # unexpected errors: logged, and one dialog
        window = MainWindow(path, settings, article=article, interactive=not probing)
        hook.parent = window
        window.show()
        window.focus_article()
        code = app.exec()
    return leave(code)


def leave(code: int, wait_s: float = EXIT_WAIT_S) -> int:
    """The window is closed: give stopped suggestion workers a moment to end. One still
    inside spaCy (a model load cannot be interrupted) would otherwise run on while Python
    and Qt tear down, which can crash the process at exit; everything is already saved
    (every change commits when made), so then the process ends at once instead."""
    from .suggest_worker import wait_for_workers

    if not wait_for_workers(wait_s):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def take_screenshot(window, out: Path, wait_ms: int = SCREENSHOT_WAIT_MS) -> int:
    """Show the window offscreen, wait until the article has its suggestions, save a PNG."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    window.resize(*SCREENSHOT_SIZE)
    window.show()
    window.focus_article()

    def settled() -> bool:  # suggestions drawn and the model's state known
        return window.is_ready() and window.suggester_state != "loading"

    if not settled():
        loop = QEventLoop()
        poll = QTimer(interval=50)
        poll.timeout.connect(lambda: settled() and loop.quit())
        poll.start()
        QTimer.singleShot(wait_ms, loop.quit)
        loop.exec()
        poll.stop()
    for _ in range(3):
        QApplication.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(out), "PNG")
    window.close()
    if not ok:
        print(f"annotator: error: could not write {out}", file=sys.stderr)
        return 1
    print(f"wrote {out}", file=sys.stderr)
    return 0
