"""`annotator --self-check`: prove that every part of the app works, here and in the frozen app.

Each step prints one line, `ok   <step> (<detail>, <ms> ms)` or `FAIL <step>: <reason>`,
and the checks go on where that makes sense (a step whose input failed says so). The last
line is `self-check passed (N steps)` or `self-check FAILED (k of N steps)`; the return
value is the exit code (0 only if every step passed).

What it proves, beyond the unit tests: that the installed or bundled app has everything it
needs at run time — the spaCy model and its package metadata (`spacy.load` by name checks
`importlib.metadata`), spaCy's registries and language data, SQLite, the bundled resources,
Qt with a platform plugin that can render the window, and every module any dialog or menu
action imports when a person opens it (a build that leaves one out fails here, not in an
annotator's hands: Model → Models… once failed in the bundle with "No module named
'PySide6.QtOpenGL'"). The window steps (selfcheck_gui.py) run the real window on the display,
or offscreen when there is none, and go through every menu action and dialog that needs no
person: a training process included (a few seconds). Nothing is downloaded; everything is
written to a temporary folder that is removed at the end.

The module stays Qt-free until the window steps, which import the GUI lazily.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SENTENCE = "Angela Merkel visited Paris with officials from the United Nations."

# Built-in articles: plain text files, and JSONL with one accepted Prodigy task (two spans)
# and one doccano record (pending, its span becomes a suggestion).
TEXTS = {
    "harbour.txt": (
        "New ferry terminal opens in Sydney\n\n"
        "The Premier of New South Wales opened the new ferry terminal in Sydney on Monday. "
        "Transport for NSW said the Australian Government paid half of the cost."
    ),
    "bank.txt": (
        "Central bank holds rates\n\n"
        "The European Central Bank kept interest rates unchanged on Thursday, and Christine "
        "Lagarde told reporters in Frankfurt that inflation in Germany and France was easing."
    ),
    "marathon.txt": (
        "Record run in Berlin\n\n"
        "Eliud Kipchoge of Kenya won the Berlin Marathon on Sunday, the organisers said, "
        "ahead of runners from Ethiopia and Japan."
    ),
}
JSONL_TASKS = [
    {
        "text": "Microsoft opened a new office in Dublin last week.",
        "spans": [
            {"start": 0, "end": 9, "label": "ORG"},
            {"start": 33, "end": 39, "label": "GPE"},
        ],
        "answer": "accept",
    },
    {
        "text": "Jacinda Ardern met students at the University of Auckland in New Zealand.",
        "label": [[0, 14, "PERSON"]],
    },
]
N_ARTICLES = len(TEXTS) + len(JSONL_TASKS)
MIN_PNG_BYTES = 10_000  # a rendered 1280x800 window with text is far larger than this


class StepFailed(Exception):
    """A check did not hold: the message is the one-line reason."""


class NotRun(StepFailed):
    """A step could not run because a step it needs failed."""


@dataclass
class State:
    tmp: Path
    out: Callable[[str], None]
    results: list[tuple[str, bool]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)  # run at the end

    def need(self, *keys: str) -> list[Any]:
        missing = [k for k in keys if k not in self.data]
        if missing:
            raise NotRun(f"not run: needs {', '.join(missing)} from an earlier step")
        return [self.data[k] for k in keys]

    def step(self, name: str, fn: Callable[[State], str]) -> None:
        t0 = time.perf_counter()
        try:
            detail = fn(self)
        except StepFailed as exc:
            self._fail(name, str(exc))
        except Exception as exc:  # anything else is a failure of this step, not of the check
            where = traceback.extract_tb(exc.__traceback__)[-1]
            self._fail(
                name,
                f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})",
            )
        else:
            ms = (time.perf_counter() - t0) * 1000
            self.out(f"ok   {name} ({detail}, {ms:.0f} ms)")
            self.results.append((name, True))

    def _fail(self, name: str, reason: str) -> None:
        reason = " ".join(reason.split()) or "failed"
        self.out(f"FAIL {name}: {reason}")
        self.results.append((name, False))


def check(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


# --------------------------------------------------------------------------- steps


def step_python(st: State) -> str:
    frozen = getattr(sys, "frozen", False)
    how = f"frozen app in {Path(sys.executable).parent}" if frozen else "from source"
    return f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, {how}"


def step_model(st: State) -> str:
    import spacy

    from annotator.core.suggest import load_ner, model_info, resolve_model

    name = resolve_model(None)
    check(name is not None, "no spaCy model is installed (or its package metadata is missing)")
    info = model_info(name)
    nlp = load_ner(name)
    doc = nlp(SENTENCE)
    ents = [(e.text, e.label_) for e in doc.ents]
    check(bool(ents), f"{name} found no entity in {SENTENCE!r}")
    st.data["model"] = name
    shown = ", ".join(f"{t}/{lab}" for t, lab in ents)
    return f"spaCy {spacy.__version__}, {info.name} {info.version}: {shown}"


def write_inputs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TEXTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    jsonl = folder / "tasks.jsonl"
    jsonl.write_text(
        "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in JSONL_TASKS), encoding="utf-8"
    )
    return [folder]


def step_import(st: State) -> str:
    from annotator.core.importing import import_paths
    from annotator.core.project import Project

    paths = write_inputs(st.tmp / "input")
    db = st.tmp / "check.annotator.db"
    with Project(db) as project:
        report = import_paths(project, paths)
        stats = project.stats()
    check(not report.bad, f"bad records: {'; '.join(map(str, report.bad[:3]))}")
    check(report.imported == N_ARTICLES, f"imported {report.imported} of {N_ARTICLES} articles")
    check(stats["accepted"] == 1 and stats["spans"] == 2,
          f"expected 1 accepted article with 2 spans, got {stats}")  # fmt: skip
    st.data["db"] = db
    return f"{report.imported} articles from {report.files} files, {stats['spans']} spans"


def step_suggest(st: State) -> str:
    from annotator.core.project import Project
    from annotator.core.suggest.service import configure_suggester, suggest_pending

    (db,) = st.need("db")
    with Project(db) as project:
        suggester = configure_suggester(project)
        check(suggester.model_error is None, f"model: {suggester.model_error}")
        n = suggest_pending(project, suggester)
        pending = project.article_ids("pending")
        found = sum(
            len(project.cached_suggestions(aid, suggester.fingerprint) or []) for aid in pending
        )
    check(n == len(pending) == N_ARTICLES - 1, f"suggested {n} of {len(pending)} pending articles")
    check(found > 0, "the model suggested nothing for the built-in articles")
    st.data["suggested"] = True
    return f"{found} suggestions for {n} articles"


def step_accept(st: State) -> str:
    from annotator.core.annotation import accept_edit, shown_spans
    from annotator.core.project import Project
    from annotator.core.suggest.service import SuggestionService

    db, _ = st.need("db", "suggested")
    with Project(db) as project:
        service = SuggestionService.from_project(project)  # what the window does first
        for aid in project.article_ids("pending"):
            suggestions = service.cached(project, aid)
            check(suggestions is not None, f"article {aid}: suggestions are not cached")
            shown = shown_spans(project, aid, suggestions)
            if shown:
                break
        else:
            raise StepFailed("no pending article shows a suggestion")
        edit = accept_edit(aid, shown)
        edit.apply(project)
        art = project.article(aid)
        stored = project.spans(aid)
        check(art.status == "accepted", f"article {aid} is {art.status} after accepting")
        check(len(stored) == len(shown), f"{len(stored)} spans stored, {len(shown)} were shown")
        edit.revert(project)  # undo and redo, as the window's undo stack does
        check(project.article(aid).status == "pending" and not project.spans(aid),
              "undoing the accept did not restore the article")  # fmt: skip
        edit.apply(project)
        stats = project.stats()
    check(stats["accepted"] == 2, f"expected 2 accepted articles, got {stats['accepted']}")
    st.data["accepted"] = stats
    labels = ", ".join(f"{s.label}" for s in stored)
    return f"article {aid} accepted with {len(stored)} spans ({labels}), undo and redo"


def step_export_spacy(st: State) -> str:
    import spacy
    from spacy.tokens import DocBin

    from annotator.core.export import export_project
    from annotator.core.project import Project

    db, stats = st.need("db", "accepted")
    out = st.tmp / "spacy"
    with Project(db) as project:
        report = export_project(project, out, format="spacy", dev_split=0.5)
    nlp = spacy.blank("en")
    docs = ents = 0
    for split in ("train", "dev"):
        path = out / f"{split}.spacy"
        check(path.is_file(), f"{path.name} was not written")
        read = list(DocBin().from_disk(path).get_docs(nlp.vocab))
        want = report.counts.get(split, {"articles": 0, "spans": 0})
        n_ents = sum(len(d.ents) for d in read)
        check(len(read) == want["articles"] and n_ents == want["spans"],
              f"{split}.spacy holds {len(read)} docs/{n_ents} entities, "
              f"the report says {want['articles']}/{want['spans']}")  # fmt: skip
        docs += len(read)
        ents += n_ents
    want = f"{stats['accepted']}/{stats['spans']}"
    check(docs == stats["accepted"] and ents == stats["spans"],
          f"exported {docs} docs/{ents} entities of {want}")  # fmt: skip
    check(not report.misaligned, f"{len(report.misaligned)} misaligned spans")
    return f"{docs} docs, {ents} entities read back from train/dev.spacy"


def step_export_jsonl(st: State) -> str:
    from annotator.core.export import export_project
    from annotator.core.importing import import_paths
    from annotator.core.project import Project
    from annotator.core.records import STATUSES

    db, _ = st.need("db", "accepted")
    out = st.tmp / "export" / "annotations.jsonl"
    with Project(db) as project:
        report = export_project(project, out, format="jsonl", statuses=STATUSES)
        before = project.stats()
    check(out.is_file(), f"{out.name} was not written")
    with Project(st.tmp / "reimport.annotator.db") as again:
        back = import_paths(again, [out])
        after = again.stats()
    check(not back.bad, f"re-import: bad records: {'; '.join(map(str, back.bad[:3]))}")
    check(after == before, f"stats differ after the round trip: {before} != {after}")
    return (
        f"{report.counts['all']['articles']} tasks, re-imported with equal stats "
        f"({after['accepted']} accepted, {after['spans']} spans)"
    )


def step_resources(st: State) -> str:
    from annotator.core.paths import resources_dir, samples_dir

    samples = sorted(samples_dir().glob("*.txt"))
    check(bool(samples), f"no sample articles in {samples_dir()}")
    return f"{len(samples)} sample articles in {resources_dir()}"


STEPS: list[tuple[str, Callable[[State], str]]] = [
    ("python", step_python),
    ("model", step_model),
    ("import", step_import),
    ("suggest", step_suggest),
    ("accept", step_accept),
    ("export-spacy", step_export_spacy),
    ("export-jsonl", step_export_jsonl),
    ("resources", step_resources),
]


def _window_step(name: str) -> Callable[[State], str]:
    """A step of selfcheck_gui, which (with Qt) is imported only when the step runs."""

    def run(st: State) -> str:
        from annotator import selfcheck_gui

        return getattr(selfcheck_gui, name)(st)

    run.__name__ = name
    return run


# The window steps, in order (selfcheck_gui.py says what each does).
WINDOW_STEPS = [
    ("window", "step_window"),  # the core steps' project rendered to a PNG
    ("gui: window", "step_open_window"),
    ("action: New project", "step_new_project"),
    ("dialog: New project's labels", "step_new_project_labels"),
    ("action: Open sample articles", "step_samples"),
    ("action: Import", "step_import"),
    ("action: Train now", "step_train"),
    ("action: Find", "step_search"),
    ("action: accept, undo, redo", "step_accept_undo_redo"),
    ("action: reject, skip, move", "step_decide_and_move"),
    ("action: span keys", "step_span_actions"),
    ("action: zoom", "step_zoom"),
    ("dialog: Flag", "step_flag"),
    ("overlay: help", "step_help"),
    ("dialog: Labels", "step_labels"),
    ("dialog: Preferences", "step_preferences"),
    ("dialog: Export", "step_export"),
    ("action: Cancel training", "step_cancel_training"),
    ("action: Train now again", "step_train_again"),
    ("dialog: Models", "step_models"),
    ("dialog: Terms", "step_terms"),
    ("action: Open project", "step_open_team"),
    ("dialog: Agreement", "step_agreement"),
    ("menu: Recent projects", "step_recent"),
    ("action: Quit", "step_quit"),
    ("menus: every action run", "step_every_action"),
]
STEPS += [(name, _window_step(fn)) for name, fn in WINDOW_STEPS]


def run_self_check(out: Callable[[str], None] | None = None) -> int:
    """Run every step, print one line each and a summary; 0 if all passed, else 1."""

    def say(line: str) -> None:
        if out is not None:
            out(line)
        else:
            print(line, flush=True)

    with tempfile.TemporaryDirectory(
        prefix="annotator-selfcheck-", ignore_cleanup_errors=True
    ) as tmp:
        st = State(Path(tmp), say)
        try:
            for name, fn in STEPS:
                st.step(name, fn)
        finally:
            for cleanup in reversed(st.cleanups):
                cleanup()
    failed = sum(1 for _, ok in st.results if not ok)
    if failed:
        say(f"self-check FAILED ({failed} of {len(st.results)} steps)")
    else:
        say(f"self-check passed ({len(st.results)} steps)")
    code = 1 if failed else 0
    if st.data.get("exit_now"):  # a suggestion worker is still inside spaCy: see gui/app.leave
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


# --------------------------------------------------------------------------- start-up time

STARTUP_PROBE_ENV = "ANNOTATOR_STARTUP_PROBE"


def install_startup_probe(t0: float) -> None:
    """Measure the start to a usable window: when the window's event loop first runs (the
    window shown, its first events handled), print to stderr
    `startup: window usable after <ms> ms` (time since `t0`, a `time.perf_counter()` taken
    when the entry script started) and end the process at once with exit code 0 (no
    teardown: the suggestion model may still be loading on its thread).

    The entry script calls this when ANNOTATOR_STARTUP_PROBE is set (packaging/launch.py).
    What comes before the entry script (the executable loading Python) is not in the figure:
    time the whole process from outside for that.
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    original = QApplication.exec  # static in PySide6: called without the instance

    def exec_and_report(*_args):
        app = QApplication.instance()

        def report() -> None:
            ms = (time.perf_counter() - t0) * 1000
            shown = [w for w in app.topLevelWidgets() if w.isVisible() and w.isWindow()]
            titles = ", ".join(repr(w.windowTitle()) for w in shown) or "none"
            print(f"startup: window usable after {ms:.0f} ms (visible: {titles})",
                  file=sys.stderr, flush=True)  # fmt: skip
            sys.stdout.flush()
            os._exit(0 if shown else 1)

        QTimer.singleShot(0, report)
        return original()

    QApplication.exec = exec_and_report
