"""The team commands (split, merge, agreement), registered on the CLI's app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from annotator.cli import DbOpt, app, fail, open_project


@app.command("split")
def split_cmd(
    annotators: Annotated[str, typer.Option("--annotators", help="Names, comma-separated: "
                                            "one project file each (alice,bob,carol).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the annotators' files.")],
    db: DbOpt = None,
    overlap: Annotated[float, typer.Option(help="Share of the pending articles every "
                                           "annotator gets, for agreement.")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the deal (same seed, same files).")] = 0,
) -> None:
    """Split the pending articles into one project file per annotator (NAME.annotator.db),
    with an overlap everyone annotates."""
    from annotator.cli import project_path
    from annotator.core.team.split import split_project

    pool = project_path(db)
    if pool is None or not pool.is_file():
        fail(f"{pool}: no such project file")
    report = split_project(pool, annotators.split(","), out, overlap, seed)
    typer.echo(f"split {report.pending:,} pending articles: {report.overlap:,} shared by all",
               err=True)  # fmt: skip
    for name, path in report.files.items():
        typer.echo(f"  {name}: {report.shares[name]:,} articles -> {path}", err=True)


@app.command("merge")
def merge_cmd(
    files: Annotated[list[Path], typer.Argument(help="The annotators' project files.")],
    db: DbOpt = None,
) -> None:
    """Bring annotators' files back into the team file (--db): each one's decisions and
    spans become their version of the article; the files themselves are only read."""
    from annotator.cli import project_path
    from annotator.core.team.merge import merge_files

    team = project_path(db)
    report = merge_files(team, files)
    typer.echo(report.summary(), err=True)


@app.command("agreement")
def agreement_cmd(
    db: DbOpt = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Inter-annotator agreement on the articles several annotators decided: span F1
    (exact), Cohen's kappa per pair and Krippendorff's alpha on accept/reject."""
    from annotator.core.team.agreement import agreement, report_lines

    with open_project(db, must_exist=True) as project:
        result = agreement(project)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    if not result["overlap_articles"]:
        fail("no article has versions from two annotators yet (merge their files first)")
    for line in report_lines(result):
        typer.echo(line)
    worst = result["disagreements"][:10]
    if worst:
        typer.echo("most disagreement: " + ", ".join(
            f"#{d['article_id']} ({d['disagreement']:.2f})" for d in worst))  # fmt: skip

