"""The self-check's window steps: the real window, driven as a person would drive it.

`window` renders the window on the project the core steps made. Then a second window
(offscreen when there is no display, else on the display) goes through what an annotator
does, each step one line: File → New project… and its label dialog, Open sample articles,
Import (a prepared folder: plain text, Prodigy tasks, 30 accepted tasks to train on), Train
now (the real training process: from source `python -m annotator train`, frozen the
executable itself) and the model it registers, Find, accept/undo/redo and the other
Article and Edit actions, zoom, the flag's note dialog, the help overlay, Labels…,
Preferences…, Export… (a real export, read back), Cancel training, a second training,
Models… with its learning curve, File → Open… on a team file with two annotators'
versions (built through the core: split, annotate, merge), Agreement…, Recent projects,
Quit. The last step fails if a menu action was never run.

Actions are triggered through the window's QActions (`actions_by_name`, or the menus);
file dialogs are replaced by functions returning prepared paths (`dialogs.choose_*`);
modal dialogs are checked (shown, titled, rendered) and closed by `selfcheck_qt.Modals`.
What a step checks is what a person would see, not the dialogs' insides (they change).
Errors raised in slots, threads, logged by the app, or Qt's serious warnings fail the step
(`selfcheck_qt.Problems`).
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.selfcheck import TEXTS, State, check, write_inputs

MIN_PNG_BYTES = 10_000  # a rendered 1280x800 window with text is far larger than this
TRAIN_WAIT_S = 300  # a training process on a busy machine (it takes ~5 s here)
WAIT_S = 60  # the model loading on the worker thread, an import, an export
SEARCH_FOR = "Kipchoge"  # in TEXTS["marathon.txt"], imported by the Import step
FLAG_NOTE = "self-check: look again"

# 30 accepted Prodigy tasks to train on (with the one in tasks.jsonl, 31 articles: 6 of
# them fall in the dev split, spaCy needs 5 to train and 2 to evaluate).
FIRST = ("Anna", "Tom", "Lisa", "Omar", "Mei", "Carl", "Ines", "Raj", "Olga", "Ken")
LAST = ("Berg", "Kane", "Ford", "Haddad", "Lin", "Jung", "Sousa", "Patel", "Ivanova", "Ito")
ORGS = ("Acme Corp", "Globex", "Initech", "Umbrella", "Hooli")
CITIES = ("Paris", "Berlin", "Madrid", "Oslo", "Lima", "Quito")
N_TRAIN_TASKS = 30

# Menu actions no step runs: the submenu's own entries are run through it (Recent projects).
NOT_RUN: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- data (Qt-free)


def train_tasks(n: int = N_TRAIN_TASKS) -> list[dict]:
    tasks = []
    for i in range(n):
        who, org, city = f"{FIRST[i % 10]} {LAST[i * 3 % 10]}", ORGS[i % 5], CITIES[i % 6]
        text = f"{who} joined {org} in {city} last week, story {i}."
        a = len(who) + len(" joined ")
        b = a + len(org) + len(" in ")
        tasks.append({"text": text, "answer": "accept", "spans": [
            {"start": 0, "end": len(who), "label": "PERSON"},
            {"start": a, "end": a + len(org), "label": "ORG"},
            {"start": b, "end": b + len(city), "label": "GPE"}]})  # fmt: skip
    return tasks


def write_import_folder(folder: Path) -> list[Path]:
    """What the Import step imports: the core steps' texts and tasks, and tasks to train on."""
    write_inputs(folder)
    train = folder / "accepted.jsonl"
    train.write_text("".join(json.dumps(t) + "\n" for t in train_tasks()), encoding="utf-8")
    return sorted(folder.iterdir())


def _at(text: str, part: str, label: str):
    from annotator.core.records import Span

    start = text.index(part)
    return Span(start, start + len(part), label, "human")


def team_file(folder: Path) -> tuple[Path, int]:
    """A team file as `annotator split`, two annotators and `annotator merge` make it, all
    through the core: alice and bob each accepted the first two articles, and disagree on
    the first's spans. Returns the file and the articles with two versions."""
    from annotator.core.project import Project
    from annotator.core.records import ArticleRecord
    from annotator.core.team.agreement import agreement
    from annotator.core.team.merge import merge_files
    from annotator.core.team.split import split_project

    texts = [TEXTS[name].split("\n\n", 1)[1] for name in ("bank.txt", "marathon.txt")]
    pool = folder / "team.annotator.db"
    with Project(pool) as p:
        p.ensure_labels(["PERSON", "ORG", "GPE"])
        p.set_setting("model", "none")  # opens at once: no model to load for the review
        p.add_records([ArticleRecord(text=t) for t in texts])
    files = split_project(pool, ["alice", "bob"], folder / "team-split", overlap=1.0).files
    work = {
        "alice": [("European Central Bank", "ORG"), ("Christine Lagarde", "PERSON"),
                  ("Frankfurt", "GPE")],
        "bob": [("Central Bank", "ORG"), ("Christine Lagarde", "PERSON")],
    }  # fmt: skip
    for who, spans in work.items():
        with Project(files[who]) as p:
            p.set_status(1, "accepted", who, confirm=[_at(texts[0], s, lab) for s, lab in spans])
            p.set_status(2, "accepted", who, confirm=[_at(texts[1], "Eliud Kipchoge", "PERSON")])
    merge_files(pool, [files["alice"], files["bob"]])
    with Project(pool) as p:
        overlap = agreement(p)["overlap_articles"]
    check(overlap == 2, f"the team file has {overlap} articles with two versions, not 2")
    return pool, overlap


# --------------------------------------------------------------------------- Qt


def qt_app():
    """The QApplication: on the display when there is one, else offscreen."""
    from PySide6.QtWidgets import QApplication

    from annotator.gui.app import application, display_problem

    if QApplication.instance() is None and display_problem() is not None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return application()


def isolated_settings(folder: Path):
    """The window's settings in the check's folder: the user's recent projects, theme and
    text size are neither read nor changed."""
    from PySide6.QtCore import QSettings

    from annotator.gui.settings import AppSettings

    return AppSettings(QSettings(str(folder / "settings.ini"), QSettings.IniFormat))


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    check(head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def step_window(st: State) -> str:
    """The window on the core steps' project, rendered to a PNG once its suggestions are in
    (what `annotator gui --screenshot` does)."""
    db = st.data.get("db") or st.tmp / "window.annotator.db"  # an empty project will do
    app = qt_app()  # the first Qt import
    problems = problems_hooks(st)
    from annotator.gui.app import take_screenshot
    from annotator.gui.main_window import MainWindow

    png = st.tmp / "w.png"
    window = MainWindow(db, isolated_settings(st.tmp), interactive=False)
    code = take_screenshot(window, png)
    check(code == 0, f"rendering the window returned {code}")
    check(png.is_file(), "no screenshot was written")
    size = png.stat().st_size
    width, height = _png_size(png)
    check(size >= MIN_PNG_BYTES and width >= 400 and height >= 300,
          f"the screenshot looks empty ({width}x{height}, {size} bytes)")  # fmt: skip
    problems.check()
    return f"{width}x{height} PNG, {size // 1024} KB, {app.platformName()}"


@dataclass
class Gui:
    """The window the steps drive, and what they drive it with."""

    window: Any
    problems: Any  # selfcheck_qt.Problems
    modals: Any  # selfcheck_qt.Modals
    folder: Path
    menu: dict[str, Any]  # the menus' actions by text
    run: set[str] = field(default_factory=set)  # texts of the menu actions triggered
    paths: dict[str, Any] = field(default_factory=dict)  # what the file dialogs return
    restore: list[Callable[[], None]] = field(default_factory=list)

    def trigger(self, name: str) -> None:
        """The window's action `name` (keymap/menus name), as a key press or click does."""
        action = self.window.actions_by_name[name]
        check(action.isEnabled(), f"{name}: the action is disabled")
        action.trigger()

    def message(self) -> str:
        return self.window.statusBar().currentMessage()

    def counts(self) -> dict:
        return self.window.project.counts()


def gui_step(settle: bool = True) -> Callable:
    """A step on the open window: it fails with the first error the window met (an
    exception in a slot...) rather than with what that error then prevented. `settle`:
    let the window handle what is waiting before looking (not when the next step is to
    see what comes next)."""

    def wrap(fn: Callable[[State, Gui], str]) -> Callable[[State], str]:
        @functools.wraps(fn)
        def run(st: State) -> str:
            from annotator.selfcheck_qt import pump

            (gui,) = st.need("gui")
            try:
                detail = fn(st, gui)
            except Exception:
                pump(30)
                gui.problems.check()
                raise
            if settle:
                pump(30)
            gui.problems.check()
            return detail

        return run

    return wrap


def problems_hooks(st: State):
    """The Problems hooks (selfcheck_qt), installed once for all window steps and
    removed at the end."""
    from annotator.selfcheck_qt import Problems

    if "problems" not in st.data:
        st.data["problems"] = Problems().install()
        st.cleanups.append(lambda: close_gui(st))
    return st.data["problems"]


def _replace_file_dialogs(gui: Gui) -> None:
    from annotator.gui import dialogs

    def chosen(key: str) -> Callable:
        return lambda *args, **kwargs: gui.paths.get(key)

    replacements = {
        "choose_files": chosen("files"), "choose_new_project": chosen("new"),
        "choose_open_project": chosen("open"), "choose_folder": chosen("folder"),
        "choose_file": chosen("file"), "choose_colour": chosen("colour"),
    }  # fmt: skip
    for name, fn in replacements.items():
        old = getattr(dialogs, name)
        setattr(dialogs, name, fn)
        gui.restore.append(lambda n=name, o=old: setattr(dialogs, n, o))


def step_open_window(st: State) -> str:
    """The window with no project, shown and rendered; the checks' hooks installed."""
    app = qt_app()
    from annotator.gui.main_window import MainWindow
    from annotator.selfcheck_qt import Modals, check_rendered, menu_actions, plain, wait_until

    problems = problems_hooks(st)
    folder = st.tmp / "gui"
    folder.mkdir()
    modals = Modals(problems)
    window = MainWindow(None, isolated_settings(folder), start_worker=True, interactive=True)
    gui = Gui(window, problems, modals, folder, menu_actions(window))
    st.data["opened"] = gui  # closed at the end even if this step fails
    _replace_file_dialogs(gui)
    for text, action in gui.menu.items():
        action.triggered.connect(lambda _=False, t=text: gui.run.add(t))
    window.resize(1200, 780)
    window.show()
    handle = window.windowHandle()
    wait_until(lambda: handle is not None and handle.isExposed(), 10, "the window to show")
    width, height = check_rendered(window, "the window")
    problems.check()
    st.data["gui"] = gui
    names = {plain(a.text()) for a in window.actions_by_name.values()}
    return (f"{app.platformName()}, {width}x{height}, {len(gui.menu)} menu actions, "
            f"{len(names)} named actions")  # fmt: skip


def close_gui(st: State) -> None:
    """At the end, whatever happened: the window closed, the hooks and dialogs restored,
    the suggestion workers given a moment (one still inside spaCy can crash the process
    at exit: then the self-check ends at once, see run_self_check)."""
    gui = st.data.get("opened")
    if gui is not None:
        gui.modals.stop()
        if gui.window.isVisible():
            gui.window.close()
        for undo in reversed(gui.restore):
            undo()
    st.data["problems"].uninstall()
    from annotator.gui.app import EXIT_WAIT_S
    from annotator.gui.suggest_worker import wait_for_workers

    if not wait_for_workers(EXIT_WAIT_S):
        st.data["exit_now"] = True


# --------------------------------------------------------------------------- the File menu


@gui_step(settle=False)
def step_new_project(st: State, gui: Gui) -> str:
    """File → New project…: the project opens; its label dialog is the next step (it shows
    once the window handles events again, so nothing here lets it)."""
    from annotator.selfcheck_qt import accept

    path = gui.folder / "news.annotator.db"
    gui.paths["new"] = path
    gui.modals.expect(accept)  # the label dialog's answer, should it show already
    gui.trigger("new")
    project = gui.window.project
    check(project is not None and project.path.resolve() == path.resolve(),
          f"the window did not open {path.name}")  # fmt: skip
    check(path.name in gui.window.windowTitle(), f"window title: {gui.window.windowTitle()!r}")
    return f"{path.name} created and open"


@gui_step()
def step_new_project_labels(st: State, gui: Gui) -> str:
    from annotator.selfcheck_qt import check_dialog, wait_until

    seen = gui.modals.seen  # answered as the previous step asked
    wait_until(lambda: bool(seen), 30, "the new project's label dialog")
    shown = check_dialog(seen, "", "new project's label dialog")
    project = gui.window.project
    wait_until(lambda: bool(project.label_names()), 10, "the chosen labels")
    labels = project.label_names()
    return f"{shown}, {len(labels)} labels: {', '.join(labels)}"


@gui_step()
def step_samples(st: State, gui: Gui) -> str:
    from annotator.core.paths import samples_dir

    samples = sorted(samples_dir().glob("*.txt"))
    before = gui.counts()["articles"]
    seen = gui.modals.expect()
    gui.menu["Open sample articles"].trigger()
    added = gui.counts()["articles"] - before
    check(not seen, f"a dialog showed: {seen[0]} {seen[0].text}" if seen else "")
    check(added == len(samples), f"{added} articles imported, {len(samples)} sample articles")
    check(gui.window.current_id is not None, "no article is shown")
    return f"{added} sample articles imported, article {gui.window.current_id} shown"


@gui_step()
def step_import(st: State, gui: Gui) -> str:
    files = write_import_folder(gui.folder / "import")
    gui.paths["files"] = files
    before = gui.counts()
    records = len(TEXTS) + sum(
        len(f.read_text(encoding="utf-8").splitlines()) for f in files if f.suffix == ".jsonl")
    seen = gui.modals.expect()
    gui.trigger("import")
    after = gui.counts()
    check(not seen, f"a dialog showed: {seen[0]} {seen[0].text}" if seen else "")
    added = after["articles"] - before["articles"]
    check(added == records, f"{added} articles imported from {len(files)} files, "
          f"expected {records}")  # fmt: skip
    accepted = after["accepted"] - before["accepted"]
    check(accepted == N_TRAIN_TASKS + 1, f"{accepted} accepted articles imported")
    return f"{added} articles from {len(files)} files ({accepted} accepted)"


# --------------------------------------------------------------------------- training


def _train(gui: Gui, timeout: float = TRAIN_WAIT_S) -> tuple[Any, float]:
    """Model → Train now, then wait for the training process; the model it registered."""
    from annotator.core.train import registry
    from annotator.gui.dialogs import TRAIN_BASE_SETTING
    from annotator.selfcheck_qt import wait_until

    project = gui.window.project
    project.set_setting(TRAIN_BASE_SETTING, "blank")  # seconds, not a fine-tuned English model
    before = len(registry.all_models(project))
    cancel = gui.window.actions_by_name["cancel_training"]
    gui.trigger("train")
    check(cancel.isEnabled(), f"no training started: {gui.message()}")
    seconds = wait_until(lambda: not cancel.isEnabled(), timeout, "the training process")
    models = registry.all_models(project)
    check(len(models) == before + 1, f"no model was registered: {gui.message()}")
    return models[-1], seconds


def _trained(record, seconds: float) -> str:
    from annotator.gui.train_process import train_command

    program = Path(train_command("x")[0]).name
    used = "in use" if record.activated else "kept, not used"
    return (f"model {record.id}: F {record.f:.2f} on {record.articles} articles, {used}; "
            f"{program} train in {seconds:.1f} s")


@gui_step()
def step_train(st: State, gui: Gui) -> str:
    return _trained(*_train(gui))


@gui_step()
def step_cancel_training(st: State, gui: Gui) -> str:
    from annotator.core.train import registry
    from annotator.selfcheck_qt import wait_until

    project = gui.window.project
    before = len(registry.all_models(project))
    cancel = gui.window.actions_by_name["cancel_training"]
    gui.trigger("train")
    check(cancel.isEnabled(), f"no training started: {gui.message()}")
    gui.trigger("cancel_training")
    wait_until(lambda: not cancel.isEnabled(), 30, "the training process to end")
    after = len(registry.all_models(project))
    check(after == before, f"a cancelled training registered a model ({before} → {after})")
    return f"cancelled: “{gui.message()}”"


@gui_step()
def step_train_again(st: State, gui: Gui) -> str:
    return _trained(*_train(gui))


@gui_step()
def step_models(st: State, gui: Gui) -> str:
    """Model → Models…: a window (not modal) with the models and the learning curve."""
    from PySide6.QtWidgets import QApplication, QDialog

    from annotator.core.train import registry
    from annotator.selfcheck_qt import check_rendered, wait_until

    models = registry.all_models(gui.window.project)
    check(len(models) >= 2, f"{len(models)} trained models: the curve needs 2")

    def shown() -> list:
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog)
                and w.isVisible() and w.windowTitle().startswith("Models")]  # fmt: skip

    gui.modals.expect()
    gui.trigger("models")
    wait_until(lambda: bool(shown()), 10, "the Models window")
    dialog = shown()[0]
    width, height = check_rendered(dialog, "the Models window")
    import pyqtgraph as pg  # the window has imported it

    plots = dialog.findChildren(pg.PlotWidget)
    check(bool(plots), "the Models window has no plot")
    xs = [item.getData()[0] for plot in plots for item in plot.getPlotItem().listDataItems()]
    points = max((len(x) for x in xs if x is not None), default=0)
    shares = [list(x) for x in xs if x is not None and len(x) == points][:1]
    check(shares == [[25, 50, 75, 100]], f"the selected model's learning curve is at "
          f"{shares[0] if shares else []}% of its training articles, not 25, 50, 75, 100")
    title = dialog.windowTitle()
    dialog.close()
    return f"“{title}” {width}x{height}, learning curve of {points} points"


def _key(widget, key, modifiers=None) -> None:
    """A key press and release on `widget`, as the keyboard sends them."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for kind in (QEvent.KeyPress, QEvent.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, key, modifiers or Qt.NoModifier))


@gui_step()
def step_terms(st: State, gui: Gui) -> str:
    """Model → Terms…: a label's candidates from the word vectors; `a` accepts one, `x`
    rejects the next, Ctrl+Z twice undoes both (the project is left as it was)."""
    from PySide6.QtCore import Qt

    from annotator.selfcheck_qt import check_rendered, wait_until

    window, project = gui.window, gui.window.project
    gui.modals.expect()
    gui.trigger("terms")
    dialog = window.terms_dialog
    wait_until(lambda: dialog is not None and dialog.isVisible(), 10, "the Terms window")
    if "PERSON" in project.label_names():  # the label the imported tasks accepted most
        dialog.label_box.setCurrentText("PERSON")
        dialog._open()
    wait_until(lambda: not dialog.waiting, WAIT_S, "the first candidate term")
    width, height = check_rendered(dialog, "the Terms window")
    label = dialog.label
    if dialog.candidate is None:
        note = dialog.note.text()
        dialog.close()
        check("no word vectors" in note, f"no candidate term for {label}: {note}")
        return f"{width}x{height}; {note}"
    decided = []
    for key, decision in ((Qt.Key_A, "accept"), (Qt.Key_X, "reject")):
        wait_until(lambda: not dialog.waiting and dialog.candidate is not None, WAIT_S,
                   "a candidate term")  # fmt: skip
        text = dialog.candidate.text
        _key(dialog.card, key)
        term = project.term_store.get(label, text)
        check(term is not None and term.decision == decision,
              f"“{text}” is {term.decision if term else 'not decided'}, not {decision}ed")
        decided.append(f"{decision}ed “{text}”")
    for _ in decided:
        wait_until(lambda: not dialog.waiting, WAIT_S, "the terms to be ranked again")
        _key(dialog.card, Qt.Key_Z, Qt.ControlModifier)
    left = project.terms(label)
    check(not left, f"after undoing both, {label} has terms: {[t.text for t in left]}")
    dialog.close()
    return f"{width}x{height}, {label}: {', '.join(decided)}, both undone"


# --------------------------------------------------------------------------- the article


def _wait_ready(gui: Gui) -> None:
    from annotator.selfcheck_qt import wait_until

    window = gui.window
    wait_until(lambda: window.suggester_state != "loading" and window.is_ready(), WAIT_S,
               "the article's suggestions")  # fmt: skip
    check(window.suggester_state == "ready",
          f"suggestions: {window.suggester_state} ({window.feed.message})")  # fmt: skip


@gui_step()
def step_search(st: State, gui: Gui) -> str:
    """Ctrl+F, a word, Return: the article with it is shown."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from annotator.selfcheck_qt import wait_until

    window = gui.window
    gui.trigger("search")
    box = window.search
    box.setText(SEARCH_FOR)
    for kind in (QEvent.KeyPress, QEvent.KeyRelease):
        QApplication.sendEvent(box, QKeyEvent(kind, Qt.Key_Return, Qt.NoModifier))
    wait_until(lambda: window.article is not None and SEARCH_FOR in window.article.text, 30,
               f"the article with “{SEARCH_FOR}”")  # fmt: skip
    found = window.current_id
    box.setText("")
    for kind in (QEvent.KeyPress, QEvent.KeyRelease):
        QApplication.sendEvent(box, QKeyEvent(kind, Qt.Key_Return, Qt.NoModifier))
    wait_until(lambda: not window.queue_model.searching, 30, "the queue without the search")
    window.focus_article()
    return f"“{SEARCH_FOR}”: article {found} shown"


def _status(gui: Gui, aid: int) -> str:
    return gui.window.project.article(aid).status


@gui_step()
def step_accept_undo_redo(st: State, gui: Gui) -> str:
    from annotator.selfcheck_qt import wait_until

    _wait_ready(gui)
    window = gui.window
    aid, shown = window.current_id, len(window.shown)
    check(_status(gui, aid) == "pending", f"article {aid} is {_status(gui, aid)}, not pending")
    gui.trigger("accept")
    wait_until(lambda: _status(gui, aid) == "accepted", 10, f"article {aid} accepted")
    spans = len(window.project.spans(aid))
    check(spans == shown, f"{spans} spans stored, {shown} were shown")
    gui.trigger("undo")
    wait_until(lambda: _status(gui, aid) == "pending", 10, f"article {aid} pending again (undo)")
    gui.trigger("redo")
    wait_until(lambda: _status(gui, aid) == "accepted", 10, f"article {aid} accepted (redo)")
    return f"article {aid} accepted with {spans} spans, undone, redone"


@gui_step()
def step_decide_and_move(st: State, gui: Gui) -> str:
    """Reject and skip (each undone), previous, next, next pending."""
    from annotator.selfcheck_qt import wait_until

    _wait_ready(gui)
    window = gui.window
    aid = window.current_id
    for action, status in (("reject", "rejected"), ("skip", "skipped")):
        gui.trigger(action)
        wait_until(lambda s=status: _status(gui, aid) == s, 10, f"article {aid} {status}")
        gui.trigger("undo")
        wait_until(lambda: _status(gui, aid) == "pending", 10, f"article {aid} pending (undo)")
    visited = []
    for action in ("previous", "next", "next_pending"):
        gui.trigger(action)
        visited.append(window.current_id)
    check(None not in visited, f"no article shown after previous/next/next pending: {visited}")
    check(_status(gui, window.current_id) == "pending",
          f"next pending showed a {_status(gui, window.current_id)} article")  # fmt: skip
    return f"article {aid} rejected, skipped (both undone); moved to {visited}"


SPAN_ACTIONS = ("next_span", "previous_span", "next_span", "end_right", "end_left",
                "start_left", "start_right", "delete", "clear")  # fmt: skip


@gui_step()
def step_span_actions(st: State, gui: Gui) -> str:
    """The Edit menu's span actions on the current article's spans, then undone."""
    _wait_ready(gui)
    window = gui.window
    stack = window.undo_stack
    start, spans = stack.index(), len(window.shown)
    for action in SPAN_ACTIONS:
        gui.trigger(action)
    edits = stack.index() - start
    for _ in range(edits):
        gui.trigger("undo")
    check(stack.index() == start, f"undo stack at {stack.index()}, was {start}")
    return f"{len(SPAN_ACTIONS)} span actions on {spans} spans: {edits} edits, undone"


@gui_step()
def step_zoom(st: State, gui: Gui) -> str:
    view = gui.window.view
    normal = view.point_size()
    gui.trigger("zoom_in")
    larger = view.point_size()
    gui.trigger("zoom_out")
    gui.trigger("zoom_out")
    smaller = view.point_size()
    gui.trigger("zoom_reset")
    reset = view.point_size()
    check(smaller < normal < larger and reset == normal,
          f"text size {normal} → in {larger} → out {smaller} → reset {reset}")  # fmt: skip
    return f"text size {normal:g} → {larger:g} → {smaller:g} → {reset:g} pt"


def _note(text: str) -> Callable:
    """Type `text` in the dialog's line edit and accept it."""

    def answer(dialog) -> None:
        from PySide6.QtWidgets import QLineEdit

        from annotator.selfcheck_qt import accept

        field_ = dialog.findChild(QLineEdit)
        if field_ is not None:
            field_.setText(text)
        accept(dialog)

    return answer


@gui_step()
def step_flag(st: State, gui: Gui) -> str:
    from annotator.selfcheck_qt import check_dialog

    window = gui.window
    aid = window.current_id
    check(aid is not None and not window.project.article(aid).flagged, "no unflagged article shown")
    seen = gui.modals.expect(_note(FLAG_NOTE))
    gui.trigger("flag")
    shown = check_dialog(seen, "", "flag note dialog")
    art = window.project.article(aid)
    check(art.flagged and art.flag_note == FLAG_NOTE,
          f"article {aid}: flagged {art.flagged}, note {art.flag_note!r}")  # fmt: skip
    gui.trigger("flag")  # again: the flag is cleared, without a dialog
    check(not window.project.article(aid).flagged, f"article {aid} still flagged")
    check(len(seen) == 1, f"a dialog showed when clearing the flag: {seen[-1]}")
    return f"{shown}: article {aid} flagged with a note, then cleared"


@gui_step()
def step_help(st: State, gui: Gui) -> str:
    from PySide6.QtWidgets import QWidget

    from annotator.selfcheck_qt import check_rendered, pump

    window = gui.window
    gui.trigger("help")
    pump(30)
    overlay = window.findChild(QWidget, "helpOverlay") or getattr(window, "help", None)
    check(overlay is not None and overlay.isVisible(), "the help overlay did not show")
    width, height = check_rendered(overlay, "the help overlay")
    gui.trigger("help")
    pump(30)
    check(not overlay.isVisible(), "the help overlay did not close")
    return f"{width}x{height}, shown and closed"


# --------------------------------------------------------------------------- dialogs


@gui_step()
def step_labels(st: State, gui: Gui) -> str:
    from annotator.selfcheck_qt import check_dialog, reject

    seen = gui.modals.expect(reject)
    gui.trigger("labels")
    shown = check_dialog(seen, "Labels", "Labels dialog")
    return f"{shown}"


@gui_step()
def step_preferences(st: State, gui: Gui) -> str:
    from annotator.selfcheck_qt import accept, check_dialog

    seen = gui.modals.expect(accept)  # OK: the choices are saved (unchanged)
    gui.trigger("preferences")
    shown = check_dialog(seen, "Preferences", "Preferences dialog")
    return f"{shown}, saved"


@gui_step()
def step_export(st: State, gui: Gui) -> str:
    """File → Export… with its defaults (spaCy), into a folder set beforehand as the last
    export folder; the files are read back."""
    from spacy.tokens import DocBin

    from annotator.selfcheck_qt import accept, check_dialog

    out = gui.folder / "export"
    project = gui.window.project
    project.set_setting("export_dir", str(out))  # the dialog offers the last folder
    accepted = gui.counts()["accepted"]
    seen = gui.modals.expect(accept, accept)
    gui.trigger("export")
    shown = check_dialog(seen, "Export", "Export dialog")
    check(len(seen) >= 2, "no report after the export")
    files = sorted(out.glob("*.spacy"))
    check(bool(files), f"nothing was exported to {out} (the report: {seen[1]} {seen[1].text})")
    docs = sum(len(DocBin().from_disk(f)) for f in files)
    check(docs == accepted, f"{docs} docs in {', '.join(f.name for f in files)}, "
          f"{accepted} accepted articles")  # fmt: skip
    return (f"{shown}; {docs} docs in "
            f"{', '.join(f.name for f in files)}; report “{seen[1].title}”")


@gui_step()
def step_open_team(st: State, gui: Gui) -> str:
    """File → Open… on a team file with two annotators' versions."""
    from annotator.selfcheck_qt import wait_until

    path, overlap = team_file(gui.folder)
    gui.paths["open"] = path
    seen = gui.modals.expect()
    gui.trigger("open")
    wait_until(lambda: gui.window.project is not None and gui.window.project.path.name ==
               path.name, 10, f"{path.name} to open")  # fmt: skip
    check(not seen, f"a dialog showed: {seen[0]} {seen[0].text}" if seen else "")
    return f"{path.name}: {overlap} articles with alice's and bob's versions"


@gui_step()
def step_agreement(st: State, gui: Gui) -> str:
    from annotator.selfcheck_qt import check_dialog, reject

    seen = gui.modals.expect(reject)
    gui.trigger("agreement")
    shown = check_dialog(seen, "Agreement", "Agreement dialog")
    return f"{shown}"


@gui_step()
def step_recent(st: State, gui: Gui) -> str:
    """File → Recent projects: the list shows, and its first project opens again."""
    from PySide6.QtCore import QPoint

    from annotator.selfcheck_qt import plain, wait_until

    menu = next((a.menu() for a in gui.window.menuBar().actions()[0].menu().actions()
                 if a.menu() is not None), None)  # fmt: skip
    check(menu is not None, "the File menu has no submenu")
    menu.popup(QPoint(0, 0))
    wait_until(menu.isVisible, 5, "the Recent projects menu")
    entries = {plain(a.text()): a for a in menu.actions() if a.isEnabled()}
    menu.hide()
    news = str((gui.folder / "news.annotator.db").resolve())
    check(news in entries, f"{news} is not among the recent projects: {sorted(entries)}")
    entries[news].trigger()
    wait_until(lambda: gui.window.project is not None and gui.window.project.path.name ==
               "news.annotator.db", 10, "news.annotator.db to open again")  # fmt: skip
    return f"{len(entries)} recent projects; news.annotator.db open again"


QUIT_WAIT_S = 60.0  # a model's load in progress at Quit, on a busy machine


@gui_step()
def step_quit(st: State, gui: Gui) -> str:
    from annotator.gui.app import EXIT_WAIT_S
    from annotator.gui.suggest_worker import wait_for_workers
    from annotator.selfcheck_qt import wait_until

    gui.trigger("quit")
    wait_until(lambda: not gui.window.isVisible(), 10, "the window to close")
    t0 = time.monotonic()
    # A model still loading (on its own thread: it cannot be interrupted) ends by itself;
    # the app itself leaves at once then (app.leave). Here it gets time to end, so that a
    # worker that never stops is what fails, not a machine that is slow to load a model.
    wait_s = max(EXIT_WAIT_S, QUIT_WAIT_S)
    ended = wait_for_workers(wait_s)
    check(ended, f"suggestion workers still running {wait_s:g} s after the window closed")
    return f"window closed, suggestion workers ended in {time.monotonic() - t0:.1f} s"


def step_every_action(st: State) -> str:
    """Every action of the menus was run by a step (a new one needs a step too)."""
    (gui,) = st.need("gui")
    missing = sorted(set(gui.menu) - gui.run - NOT_RUN)
    check(not missing, f"never run: {', '.join(missing)}")
    return f"all {len(gui.menu)} menu actions run"
