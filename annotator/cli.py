"""The `annotator` command line. Thin: every command calls the core."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from annotator import __version__
from annotator.core.records import STATUSES


def _flags_without_metavar() -> None:
    """Typer's rich help shows a type after every option, ``--strict <bool>`` included; a flag
    takes no value, so it shows none (a no-op on typer versions without that column)."""
    from typer.core import TyperOption

    show = getattr(TyperOption, "display_type_rich", None)
    if show is None or getattr(show, "_annotator", False):
        return

    def display_type_rich(self, ctx):
        return None if self.is_flag else show(self, ctx)

    display_type_rich._annotator = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_without_metavar()


class ExportFormat(StrEnum):
    spacy = "spacy"
    jsonl = "jsonl"
    conll = "conll"
    hf = "hf"


class Unreviewed(StrEnum):
    first = "first"
    majority = "majority"


class Theme(StrEnum):
    light = "light"
    dark = "dark"


ENV_DB = "ANNOTATOR_DB"
PROBLEM_LINES = 50  # problem spans listed one by one on stderr; the rest are counted

app = typer.Typer(
    name="annotator",
    help="Label entity spans in news articles and export spaCy training data.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
labels_app = typer.Typer(help="List, add, remove or recolour the project's labels.")
app.add_typer(labels_app, name="labels")

DbOpt = Annotated[
    Path | None,
    typer.Option("--db", help=f"Project file (default: ${ENV_DB}, else the default project "
                 "in your data folder)."),
]
LabelsOpt = Annotated[
    str | None,
    typer.Option("--labels", help="The project's labels, comma-separated (PERSON,ORG,GPE): "
                 "added in this order if missing, before any suggestion could seed the "
                 "model's labels."),
]


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"annotator: error: {message}", err=True)
    raise typer.Exit(code)


def open_project(db: Path | None, must_exist: bool = False, warn: bool = True):
    """The project; its `warning` (read-only here, no WAL) is printed unless `warn` is
    False (the caller says it itself)."""
    from annotator.core.paths import default_project
    from annotator.core.project import Project

    path = project_path(db) or default_project()
    project = Project(path, create=not must_exist)
    if project.warning and warn:
        typer.echo(f"annotator: warning: {project.warning}", err=True)
    return project


def project_path(db: Path | None) -> Path | None:
    """``--db``, else $ANNOTATOR_DB, else None (the default project)."""
    env = os.environ.get(ENV_DB, "").strip()
    return db or (Path(env).expanduser() if env else None)


def label_list(labels: str | None) -> list[str]:
    names = [n.strip() for n in (labels or "").split(",") if n.strip()]
    if labels is not None and not names:
        fail("--labels: name at least one label (PERSON,ORG,GPE)")
    return list(dict.fromkeys(names))


def set_labels(project, names: list[str]) -> list[str]:
    """Add the missing ``names`` (in order); says what it added. Returns the added."""
    added = project.ensure_labels(names) if names else []
    if added:
        typer.echo(f"added labels: {', '.join(added)}", err=True)
    return added


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
    self_check: Annotated[
        bool, typer.Option("--self-check", help="Check that every part of the app works.")
    ] = False,
) -> None:
    if version:
        typer.echo(f"annotator {__version__}")
        raise typer.Exit()
    if self_check:
        from annotator.selfcheck import run_self_check

        raise typer.Exit(run_self_check())
    if ctx.invoked_subcommand is None:
        gui(db=project_path(None), screenshot=None, article=None, theme=None)


@app.command("init")
def init_cmd(
    db: DbOpt = None,
    labels: Annotated[
        str, typer.Option("--labels", help="The labels, comma-separated, in key order "
                          "(PERSON,ORG,GPE: keys 1, 2, 3).")
    ] = ...,  # type: ignore[assignment]
    model: Annotated[
        str | None, typer.Option("--model", help="Suggestion model: package name or path; "
                                 "none: patterns and earlier decisions only.")
    ] = None,
    patterns: Annotated[
        Path | None, typer.Option("--patterns", help="EntityRuler patterns (JSONL).")
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Language code of the tokenizer (default en).")
    ] = None,
) -> None:
    """Create a project with these labels (an existing one gets the missing labels and the
    settings given)."""
    names = label_list(labels)
    if patterns is not None and not patterns.is_file():
        fail(f"{patterns}: no such patterns file")
    if lang is not None:
        import spacy.util

        try:
            spacy.util.get_lang_class(lang)
        except Exception:  # noqa: BLE001 (spaCy raises ImportError or its own error)
            fail(f"--lang {lang!r}: spaCy has no such language")
    path = project_path(db)
    if path is None:
        from annotator.core.paths import default_project

        path = default_project()
    existed = path.exists() and path.stat().st_size > 0
    with open_project(path) as project, project.write():
        had = project.label_names()
        if lang is not None and lang != project.language:
            if project.counts()["articles"]:
                fail(f"--lang {lang}: the project has articles tokenized as "
                     f"{project.language}; start a new project")  # fmt: skip
            project.set_setting("language", lang)
        added = project.ensure_labels(names)
        if model is not None:
            project.set_setting("model", model)
        if patterns is not None:
            project.set_setting("patterns", str(patterns.resolve()))
        keys = {lab.name: lab.key for lab in project.labels()}
        language = project.language
    typer.echo(f"{'updated' if existed else 'created'} {Path(path).resolve()}")
    if added:
        typer.echo("labels added: " + ", ".join(f"{n} (key {keys[n] or '-'})" for n in added))
    there = [n for n in names if n in had]
    if there:
        typer.echo(f"labels already there: {', '.join(there)}")
    if model is not None:
        typer.echo(f"model: {model}")
    if patterns is not None:
        typer.echo(f"patterns: {patterns.resolve()}")
    typer.echo(f"language: {language}")


@app.command("import")
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt, .jsonl, .csv).")],
    db: DbOpt = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Import nothing if any record is bad.")
    ] = False,
    suggest: Annotated[
        bool, typer.Option("--suggest", help="Compute suggestions for the new articles too.")
    ] = False,
    annotator: Annotated[str, typer.Option(help="Who is importing.")] = "",
    labels: LabelsOpt = None,
) -> None:
    """Import articles from files and folders."""
    from annotator.core.importing import import_paths

    names = label_list(labels)
    for p in paths:
        if not p.exists():
            fail(f"{p}: no such file or folder")
    with open_project(db) as project, _progress("Importing") as bar:
        set_labels(project, names)
        report = import_paths(project, paths, strict=strict, annotator=annotator, progress=bar)
    for bad in report.bad:
        typer.echo(f"annotator: {'error' if strict else 'skipped'}: {bad}", err=True)
    for note in report.warnings[:50]:
        typer.echo(f"annotator: warning: {note}", err=True)
    if len(report.warnings) > 50:
        typer.echo(f"annotator: … and {len(report.warnings) - 50} more warnings", err=True)
    if not report.stored:
        fail(f"--strict: {len(report.bad)} bad records, nothing was imported")
    typer.echo(report.summary(), err=True)
    if suggest:
        suggest_cmd(db=db)


@app.command("export")
def export_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Output folder (spacy, conll, hf) or file/folder "
                           "(jsonl).")
    ],
    db: DbOpt = None,
    format: Annotated[
        ExportFormat,
        typer.Option("--format", help="spacy: train.spacy/dev.spacy; jsonl: Prodigy tasks; "
                     "conll: IOB2 train.conll/dev.conll; hf: Hugging Face train.jsonl/dev.jsonl "
                     "with labels.json."),
    ] = ExportFormat.spacy,
    dev_split: Annotated[float, typer.Option(help="Share of articles for the dev set.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the stable train/dev split.")] = 0,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail if any span is off spaCy's token boundaries.")
    ] = False,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Statuses to export (repeatable).")
    ] = None,
    unreviewed: Annotated[
        Unreviewed | None,
        typer.Option("--unreviewed", help="A team file's articles with several versions and "
                     "no review: take the first decided, or the majority (default: leave "
                     "them out)."),
    ] = None,
) -> None:
    """Export accepted work as spaCy DocBins, Prodigy-style JSONL, CoNLL IOB2 or Hugging Face
    JSONL (train/dev, except jsonl).

    Prints articles, spans and spans per label for each split; problems and warnings go to
    stderr. Exits non-zero when nothing was exported or the export was refused."""
    from annotator.core.export import export_project

    format = ExportFormat(format).value
    if not 0.0 <= dev_split < 1.0:
        fail("--dev-split must be at least 0 and less than 1")
    statuses = status or ["accepted"]
    for st in statuses:
        if st not in STATUSES:
            fail(f"--status {st!r}: expected one of {', '.join(STATUSES)}")
    with open_project(db, must_exist=True) as project:
        suggestions = None
        if "pending" in statuses:  # pending articles go out with their current suggestions
            from annotator.core.suggest.service import SuggestionService

            service = SuggestionService.from_project(project)
            service.load(project)
            if service.state != "ready":
                typer.echo(f"annotator: {service.message}", err=True)
            suggestions = lambda art: service.compute(project, art.id)  # noqa: E731
        report = export_project(
            project, out, format=format, dev_split=dev_split, seed=seed, strict=strict,
            statuses=statuses, suggestions=suggestions,
            unreviewed=unreviewed.value if unreviewed else None,
        )  # fmt: skip
    from annotator.core.export import export_target
    from annotator.core.export_report import describe

    said = describe(report, format, export_target(out, format))
    for line in said.counts:
        typer.echo(line)
    for note in said.notes:
        typer.echo(f"annotator: {note}", err=True)
    for line in said.problems[:PROBLEM_LINES]:
        typer.echo(f"annotator: problem: {line}", err=True)
    if len(said.problems) > PROBLEM_LINES:
        typer.echo(f"annotator: … and {len(said.problems) - PROBLEM_LINES} more problem "
                   "spans" + (" (all in manifest.json)" if format != "jsonl" else ""),
                   err=True)  # fmt: skip
    for warning in said.warnings:
        typer.echo(f"annotator: warning: {warning}", err=True)
    for path in said.files:
        typer.echo(f"wrote {path}", err=True)
    if said.train:
        typer.echo(f"train with: {said.train}", err=True)


@app.command("stats")
def stats_cmd(
    db: DbOpt = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Counts of articles by status and of accepted spans by label."""
    with open_project(db, must_exist=True) as project:
        stats = project.stats()
        used = Path(project.path).resolve()
    typer.echo(f"project: {used}", err=as_json)
    if as_json:
        typer.echo(json.dumps(stats, ensure_ascii=False))
        return
    typer.echo(
        f"{stats['articles']} articles: {stats['pending']} pending, {stats['accepted']} accepted, "
        f"{stats['rejected']} rejected, {stats['skipped']} skipped"
    )
    typer.echo(f"{stats['spans']} spans in accepted articles")
    for label, n in stats["labels"].items():
        typer.echo(f"  {label:<20} {n}")


@labels_app.command("list")
def labels_list(db: DbOpt = None) -> None:
    """List the labels with their colour and key."""
    with open_project(db, must_exist=True) as project:
        for lab in project.labels():
            typer.echo(f"{lab.name}\t{lab.colour}\t{lab.key or '-'}")


@labels_app.command("add")
def labels_add(
    names: Annotated[list[str], typer.Argument(help="One or more label names.")],
    db: DbOpt = None,
    colour: Annotated[
        str | None, typer.Option("--colour", "--color", help="Colour (one label only).")
    ] = None,
    key: Annotated[str | None, typer.Option("--key", help="Key 1-9 or 0 (one label only).")] = None,
) -> None:
    """Add labels. Each gets a colour no other label has and, among the first ten, a key."""
    if len(names) > 1 and (colour or key):
        fail("--colour and --key go with a single label")
    with open_project(db) as project, project.write():
        for name in names:
            project.add_label(name, colour=colour, key=key)
        labels = {lab.name: lab for lab in project.labels()}
    for name in names:
        lab = labels[name]
        typer.echo(f"added {lab.name} {lab.colour} key {lab.key or '-'}")


@labels_app.command("remove")
def labels_remove(
    names: Annotated[list[str], typer.Argument(help="One or more label names.")],
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Also delete their spans.")] = False,
) -> None:
    """Remove labels (refused while spans use one, unless --force); keys move up."""
    removed = []
    with open_project(db, must_exist=True) as project, project.write():
        for name in names:
            removed.append((name, project.remove_label(name, force=force)))
    for name, n in removed:
        typer.echo(f"removed {name}" + (f" and its {n} spans" if n else ""))


@labels_app.command("key")
def labels_key(
    label: str,
    key: Annotated[str, typer.Argument(help="1-9 or 0; a label that had it gets a free key.")],
    db: DbOpt = None,
) -> None:
    """Give a label a keyboard shortcut."""
    with open_project(db, must_exist=True) as project:
        changed = project.label_store.set_key(label, key)
    typer.echo(f"{label} has key {key}")
    for name, k in changed.items():
        if name != label:
            typer.echo(f"{name} now has key {k or '-'}")


@labels_app.command("rename")
def labels_rename(old: str, new: str, db: DbOpt = None) -> None:
    """Rename a label, in every span too (the model's label then maps to the new name)."""
    with open_project(db, must_exist=True) as project:
        n = project.rename_label(old, new)
    typer.echo(f"renamed {old} to {new}" + (f" in {n} spans" if n else ""))


@labels_app.command("recolour")
def labels_recolour(
    name: str,
    colour: str,
    db: DbOpt = None,
) -> None:
    """Change a label's colour (e.g. '#aa9cfc')."""
    with open_project(db, must_exist=True) as project:
        lab = project.update_label(name, colour=colour)
    typer.echo(f"{lab.name} is now {lab.colour}")


@app.command("suggest")
def suggest_cmd(
    db: DbOpt = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="spaCy pipeline: package name or path; none: no model."),
    ] = None,
    patterns: Annotated[
        Path | None, typer.Option("--patterns", help="EntityRuler patterns (JSONL).")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes for spaCy (at least 1).")
    ] = 1,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Map a model or pattern label: LOC=GPE (repeatable). Merged into the "
            "project's map; LOC= removes LOC's mapping.",
        ),
    ] = None,
    order: Annotated[
        str | None,
        typer.Option(
            "--order",
            help="Which source wins an overlap: the three sources decision, pattern and model, "
            "comma-separated, first wins (default decision,pattern,model).",
        ),
    ] = None,
    labels: LabelsOpt = None,
) -> None:
    """Compute and cache suggestions for every pending article."""
    from annotator.core.suggest.service import (
        configure_suggester,
        read_only_refusal,
        suggest_pending,
    )

    names = label_list(labels)
    with open_project(db, must_exist=True, warn=False) as project:
        if project.read_only:  # computing what cannot be stored is pointless: one line
            fail(read_only_refusal(project))
        if project.warning:
            typer.echo(f"annotator: warning: {project.warning}", err=True)
        set_labels(project, names)
        suggester = configure_suggester(
            project, model=model, patterns=patterns, label_map=map_, order=order
        )
        if suggester.model_error:
            typer.echo(f"annotator: {suggester.model_error}", err=True)
        if suggester.seeded is not None and suggester.seeded[0]:
            given, others = suggester.seeded
            typer.echo(f"labels of this new project: {', '.join(given)}", err=True)
            if others:
                typer.echo(f"  also offered by the model, not added: {', '.join(others)} "
                           f"(add with `annotator labels add {others[0]} …`, or name them "
                           "with --labels)", err=True)  # fmt: skip
        if suggester.model_note:
            typer.echo(f"annotator: {suggester.model_note}; suggestions come from patterns "
                       "and earlier decisions only", err=True)  # fmt: skip
        labels = set(project.label_names())
        for src, dst in sorted((project.get_setting("label_map", {}) or {}).items()):
            if dst not in labels:
                typer.echo(f"annotator: warning: the label map sends {src} to {dst}, which is "
                           f"not a label of this project (add it: annotator labels add {dst})",
                           err=True)  # fmt: skip
        done = {"n": 0, "of": 0}

        def progress(n: int, of: int) -> None:
            done.update(n=n, of=of)
            bar(n, of)

        try:
            with _progress("Suggesting") as bar:
                n = suggest_pending(project, suggester, workers=workers, progress=progress)
        except KeyboardInterrupt:
            fail(f"stopped: suggestions for {done['n']:,} of {done['of']:,} articles are saved; "
                 "run suggest again to compute the rest", code=130)
        for warning in suggester.warnings:  # one line per skipped pattern, with a count
            typer.echo(f"annotator: warning: {warning}", err=True)
    typer.echo(f"suggestions computed for {n} articles" if n else "suggestions are up to date",
               err=True)  # fmt: skip


@app.command("gui")
def gui(
    db: DbOpt = None,
    screenshot: Annotated[
        Path | None,
        typer.Option("--screenshot", help="Render the window offscreen to a PNG and exit."),
    ] = None,
    article: Annotated[int | None, typer.Option("--article", help="Article id to show.")] = None,
    theme: Annotated[Theme | None, typer.Option("--theme", help="The window's colours.")] = None,
) -> None:
    """Open the desktop app."""
    theme = Theme(theme).value if theme is not None else None
    db = project_path(db)
    try:
        from annotator.gui.app import run_gui
    except ImportError as exc:  # the window is not built yet, or Qt is missing
        fail(f"the desktop window is not available ({exc}); use the command line: annotator --help")
        return
    raise typer.Exit(run_gui(db=db, screenshot=screenshot, article=article, theme=theme))


@app.command("train")
def train_cmd(
    db: DbOpt = None,
    base: Annotated[
        str, typer.Option("--base", help="auto (en_core_web_md fine-tuned), blank, vectors, "
                          "or a spaCy pipeline's package name or folder to fine-tune.")
    ] = "auto",
    max_time: Annotated[
        float | None, typer.Option("--max-time", min=0.1, help="Stop training after MIN minutes.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also copy the trained model to this new folder.")
    ] = None,
    activate: Annotated[
        bool | None,
        typer.Option("--activate/--no-activate", show_default=False,
                     help="Make it the suggestion model whatever its score (default: only "
                     "if it beats the current model on the dev articles)."),
    ] = None,
    curve: Annotated[
        bool, typer.Option("--curve/--no-curve", help="After the model is registered, train on "
                           "25, 50 and 75% of the training articles (the learning curve).")
    ] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Progress and the result as JSON lines on stdout.")
    ] = False,
) -> None:
    """Train a NER model on the accepted articles and evaluate it on the dev split; then its
    learning curve."""
    import shutil

    from annotator.core.train import curve as curves
    from annotator.core.train import registry, retrain
    from annotator.core.train.trainer import TrainOptions, train_ner

    if out is not None and out.exists() and any(out.iterdir()):
        fail(f"{out}: exists and is not empty; name a new folder")

    def progress(info: dict) -> None:
        if as_json:
            print(json.dumps(info), flush=True)
        else:
            typer.echo(f"epoch {info['epoch']:>2} of at most {info['max_epochs']}  dev F "
                       f"{info['f']:.3f}  {info['seconds']:.0f} s, at most {info['left']:.0f} s "
                       "left", err=True)  # fmt: skip

    def started(k: int, n: int, fraction: float) -> None:
        if as_json:
            print(json.dumps({"curve_start": {"point": k, "points": n, "fraction": fraction}}),
                  flush=True)  # fmt: skip
        else:
            typer.echo(f"learning curve {k} of {n}: training on {fraction:.0%} of the training "
                       "articles…", err=True)  # fmt: skip

    def point_done(item: dict) -> None:
        if as_json:
            print(json.dumps({"curve": item}), flush=True)
        else:
            typer.echo(curves.describe(item))

    options = TrainOptions(base=base, max_minutes=max_time)
    with open_project(db, must_exist=True) as project, curves.snapshot(project) as frozen:
        seen = retrain.last_event(frozen)  # what "accepted since this training" counts from
        result = train_ner(frozen, options, progress)
        result.scores[retrain.EVENTS_SEEN] = seen
        record = registry.save(project, result, activate=activate)
        result.nlp = None  # saved: the curve's trainings need the memory
        if out is not None:
            shutil.copytree(record.path, out, dirs_exist_ok=True)
        _train_report(record, result, out, as_json)
        if curve:
            curves.learning_curve(frozen, project, record.id, options, result.seconds,
                                  started=started, done=point_done)  # fmt: skip
    if as_json:
        print(json.dumps({"curve_done": {"model": record.id}}), flush=True)


def _train_report(record, result, out: Path | None, as_json: bool) -> None:
    """What `annotator train` says about the model it registered (before its curve)."""
    from annotator.core.train.adoption import describe

    before = record.baseline or {}
    case = record.scores.get("adoption")
    if as_json:
        print(json.dumps({"model": record.id, "path": record.path, "f": record.f,
                          "baseline_f": None if before.get("none") else before.get("f"),
                          "baseline_none": bool(before.get("none")), "base": record.base,
                          "train_articles": record.train_articles,
                          "dev_articles": record.dev_articles, "adoption": case,
                          "activated": record.activated, "scores": record.scores,
                          "stopped": result.stopped, "seconds": result.seconds}),
              flush=True)  # fmt: skip
        return
    typer.echo(f"model {record.id}: {result.train_articles} training and {result.dev_articles} "
               f"dev articles, base {record.base}, {result.seconds:.0f} s ({result.stopped})")
    typer.echo(f"{'label':<20} {'P':>6} {'R':>6} {'F':>6}")
    for label, s in record.scores["per_label"].items():
        typer.echo(f"{label:<20} {s['p']:>6.3f} {s['r']:>6.3f} {s['f']:>6.3f}")
    s = record.scores
    typer.echo(f"{'overall':<20} {s['p']:>6.3f} {s['r']:>6.3f} {s['f']:>6.3f}")
    in_use = "no model (patterns and decisions)" if before.get("none") else "the model in use"
    if not before.get("none"):
        typer.echo(f"the model in use before, alone: F {before.get('f', 0):.3f}")
    mine, theirs = record.scores.get("suggestions"), before.get("suggestions")
    if mine and theirs:
        typer.echo(f"suggestions on the dev articles (with patterns and decisions): F "
                   f"{mine['f']:.3f} with it, {theirs['f']:.3f} with {in_use}")
    if case is not None:
        typer.echo(describe(case, in_use))
    typer.echo(f"saved in {record.path}" + (f", copied to {out}" if out else ""))
    typer.echo("now the project's suggestion model" if record.activated else
               f"not used for suggestions; `annotator models activate {record.id}` to use "
               "it anyway")
    sys.stdout.flush()


models_app = typer.Typer(help="List the project's trained models, or make one its suggestion "
                         "model.")
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list(
    db: DbOpt = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Each trained model: when, from how many articles, its dev scores, the corrections it
    needed against the model in use before, its learning curve, in use or not."""
    from annotator.core.train import curve, registry

    with open_project(db, must_exist=True) as project:
        records = registry.all_models(project)
        current = project.get_setting("model", "auto")
    if as_json:
        typer.echo(json.dumps([{**r.__dict__, "in_use": r.path == current,
                                "folder": Path(r.path).is_dir()} for r in records]))
        return
    if not records:
        typer.echo("no trained models yet: `annotator train` trains one")
    for r in records:
        mark = "*" if r.path == current else " "
        case = r.scores.get("adoption")
        saved = f"  corrections {case['with']:,} vs {case['without']:,}" if case else ""
        where = r.path if Path(r.path).is_dir() else "(folder removed: not kept)"
        typer.echo(f"{mark} model {r.id}  {r.created_at[:16]}  {r.train_articles:,} train / "
                   f"{r.dev_articles:,} dev articles  F {r.f:.3f}{saved}  base {r.base}  {where}")
        if curve.has_curve(r):
            shares = ", ".join(f"{p['fraction']:.0%} {p['f']:.2f}" for p in curve.points(r))
            typer.echo(f"    learning curve (dev F): {shares}")


@models_app.command("activate")
def models_activate(number: int, db: DbOpt = None) -> None:
    """Make trained model NUMBER the project's suggestion model."""
    from annotator.core.train import registry

    with open_project(db, must_exist=True) as project:
        record = registry.activate(project, number)
    typer.echo(f"model {record.id} is now the suggestion model ({record.path})")


class _progress:
    """A rich progress bar on stderr, driven by (done, total) callbacks."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

        console = Console(stderr=True)
        self.progress = Progress(
            f"[bold]{self.what}", BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
            console=console, transient=True, disable=not console.is_terminal,
        )  # fmt: skip
        self.progress.__enter__()
        self.task = self.progress.add_task(self.what, total=None)
        return self

    def __call__(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=total or None)

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that are the user's to fix: printed as one line (`_plain`), never a
    traceback."""
    import sqlite3

    from annotator.core.export import ExportError
    from annotator.core.project import ProjectError
    from annotator.core.suggest import ModelError, PatternsError

    # sqlite3.OperationalError: the file is locked for too long, read-only, or the disk full.
    return (ProjectError, ExportError, ModelError, PatternsError, OSError,
            sqlite3.OperationalError)  # fmt: skip


def main() -> None:
    try:
        app(prog_name="annotator")
    except KeyboardInterrupt:
        typer.echo("annotator: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if not isinstance(exc, _user_errors()):
            raise
        typer.echo(f"annotator: error: {_plain(exc)}", err=True)
        sys.exit(1)


def _plain(exc: BaseException) -> str:
    """A user's error as one line: an OSError in plain words (never "[Errno 28]"),
    SQLite's own text translated."""
    import sqlite3

    from annotator.core.os_errors import describe

    if isinstance(exc, sqlite3.Error):
        from annotator.core.store.connection import translate

        return str(translate(exc, Path("the project file")))
    return describe(exc)


# the commands of kb, split, merge, agreement and terms
from annotator import kb_cli, team_cli, terms_cli  # noqa: E402, F401
