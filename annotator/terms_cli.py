"""`annotator terms`: a label's word list grown from word vectors (suggest), and its terms
kept by hand (add, reject, list, remove). Registered on the CLI's app."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from annotator.cli import DbOpt, app, fail, open_project

terms_app = typer.Typer(help="Terms from word vectors: words and phrases suggested for a "
                        "label like pattern rules (Model → Terms… in the window).")  # fmt: skip
app.add_typer(terms_app, name="terms")

LabelOpt = Annotated[str, typer.Option("--label", help="The project label the terms are for.")]
TermsArg = Annotated[list[str], typer.Argument(help="Terms (quote a phrase: \"Kate Spade\").")]


def _label(project, label: str) -> None:
    if label not in project.label_names():
        fail(f"no label {label} in this project (labels: {', '.join(project.label_names())})"
             if project.label_names() else f"no label {label}: the project has no labels")


@terms_app.command("suggest")
def suggest_cmd(
    label: LabelOpt,
    db: DbOpt = None,
    seeds: Annotated[str | None, typer.Option("--seeds", help="Seed words, comma-separated "
                     "(besides the label's accepted mentions, terms and patterns).")] = None,
    n: Annotated[int, typer.Option("-n", min=1, help="How many candidates.")] = 20,
    anywhere: Annotated[bool, typer.Option("--anywhere", help="Also words of the vector "
                        "table that no article holds.")] = False,
    vectors: Annotated[str | None, typer.Option("--vectors", help="A spaCy pipeline (name or "
                       "folder) whose vectors to use (default: en_core_web_md).")] = None,
) -> None:
    """Print the best candidate terms for a label: similarity, times in the articles, term."""
    from annotator.core.terms import make_session
    from annotator.core.terms.vectors import load_vectors

    with open_project(db, must_exist=True) as project:
        _label(project, label)
        given = [s.strip() for s in (seeds or "").split(",") if s.strip()]
        session = make_session(project, label, seeds=given, anywhere=anywhere,
                               vectors=load_vectors(vectors))  # fmt: skip
        if not session.seed_count:
            if session.seeds:
                fail(f"none of {label}'s {len(session.seeds)} seeds has a word vector: give "
                     "others with --seeds")  # fmt: skip
            fail(f"no seeds for {label}: give a few with --seeds (or accept some mentions)")
        found = session.top(n)
        for c in found:
            typer.echo(f"{c.score:.3f}\t{c.count}\t{c.text}")
        if not found:
            typer.echo("no candidates: no article holds a word or phrase that is not a seed, "
                       "a pattern or a term already" + ("" if anywhere else
                       " (--anywhere: words of the vector table too)"), err=True)  # fmt: skip


def _decide(db, label: str, terms: list[str], decision: str) -> None:
    with open_project(db, must_exist=True) as project:
        _label(project, label)
        before = project.decide_terms(label, terms, decision)
    changed = sum(1 for b in before if b is None or b.decision != decision)
    typer.echo(f"{label}: {changed} of {len(terms)} terms {decision}ed", err=True)


@terms_app.command("add")
def add_cmd(label: LabelOpt, terms: TermsArg, db: DbOpt = None) -> None:
    """Accept terms for a label: suggested wherever they occur (whole tokens, any case)."""
    _decide(db, label, terms, "accept")


@terms_app.command("reject")
def reject_cmd(label: LabelOpt, terms: TermsArg, db: DbOpt = None) -> None:
    """Reject terms for a label: never proposed for it again."""
    _decide(db, label, terms, "reject")


@terms_app.command("remove")
def remove_cmd(label: LabelOpt, terms: TermsArg, db: DbOpt = None) -> None:
    """Forget terms' decisions (accepted or rejected)."""
    with open_project(db, must_exist=True) as project:
        _label(project, label)
        before = project.remove_terms(label, terms)
    typer.echo(f"{label}: {sum(1 for b in before if b is not None)} of {len(terms)} terms "
               "removed", err=True)  # fmt: skip


@terms_app.command("list")
def list_cmd(
    db: DbOpt = None,
    label: Annotated[str | None, typer.Option("--label", help="Only this label's.")] = None,
    decision: Annotated[str | None, typer.Option("--decision", help="accept or reject.")
                        ] = None,  # fmt: skip
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The terms, in the order they were decided: decision and term (tab-separated)."""
    if decision not in (None, "accept", "reject"):
        fail(f"--decision {decision}: accept or reject")
    with open_project(db, must_exist=True) as project:
        if label is not None:
            _label(project, label)
        terms = project.terms(label, decision)
    if as_json:
        typer.echo(json.dumps([{"label": t.label, "text": t.text, "decision": t.decision,
                                "annotator": t.annotator, "at": t.at} for t in terms],
                              ensure_ascii=False, indent=2))  # fmt: skip
        return
    for t in terms:
        typer.echo(f"{t.decision}\t{t.text}" if label is not None
                   else f"{t.label}\t{t.decision}\t{t.text}")  # fmt: skip
