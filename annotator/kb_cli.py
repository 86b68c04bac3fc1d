"""The knowledge-base commands (`annotator kb ...`), registered on the CLI's app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from annotator.cli import DbOpt, _progress, app, fail, open_project
from annotator.core.wording import plural

kb_app = typer.Typer(help="The project's knowledge base for entity linking: add entities from "
                     "CSV or JSONL files, list, show, remove, look a mention up, export for "
                     "spaCy's entity_linker.")  # fmt: skip
app.add_typer(kb_app, name="kb")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@kb_app.command("add")
def kb_add(
    files: Annotated[list[Path], typer.Argument(help="CSV (id,name,description[,alias...], "
                                                "with or without a header) or JSONL "
                                                "({\"id\", \"name\", \"description\", "
                                                "\"aliases\", \"label\"}) files.")],
    db: DbOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Add nothing if any line is bad.")
                      ] = False,
    annotator: Annotated[str, typer.Option(help="Who is adding.")] = "",
) -> None:
    """Add entities and their aliases (an entity's name is one of them). An id already
    there is updated (name, description, label and aliases replaced), never duplicated. A
    bad line is reported with its file and line and skipped (an id given twice in a file:
    the first is kept); --strict adds nothing if any line is bad. Each file is added in
    one transaction."""
    from annotator.core.kb.loading import add_kb_files

    for f in files:
        if not f.exists():
            fail(f"{f}: no such file")
    with open_project(db) as project, _progress("Adding") as bar:
        report = add_kb_files(project, files, strict=strict, annotator=annotator,
                              progress=bar)  # fmt: skip
    for bad in report.bad:
        typer.echo(f"annotator: {'error' if strict else 'skipped'}: {bad}", err=True)
    for note in report.label_notes():
        typer.echo(f"annotator: warning: {note}", err=True)
    if not report.stored:
        fail(f"--strict: {plural(len(report.bad), 'bad line')}, nothing was added")
    typer.echo(report.summary())


@kb_app.command("list")
def kb_list(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most N entities.")] = 50,
    after: Annotated[str | None, typer.Option("--after", help="Start after this id (the "
                                              "next page).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The entities in id order, with their aliases."""
    with open_project(db, must_exist=True) as project:
        entities, aliases = project.kb.count()
        page = project.kb.page(limit, after)
    if as_json:
        typer.echo(json.dumps({"entities": entities, "aliases": aliases,
                               "page": [_entity_json(e) for e in page]}, ensure_ascii=False))
        return
    typer.echo(f"{entities:,} entities, {aliases:,} aliases", err=True)
    for e in page:
        label = f"  [{e.label}]" if e.label else ""
        others = [a for a in e.aliases if a != e.name]
        also = f"  also: {', '.join(others[:5])}{' …' if len(others) > 5 else ''}" if others else ""
        typer.echo(f"{e.id}  {e.name}{label}  {_short(e.description)}{also}")
    if len(page) == limit:
        typer.echo(f"next page: --after {page[-1].id}", err=True)


@kb_app.command("show")
def kb_show(entity_id: str, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """One entity: its name, description, label, aliases and how many spans are linked
    to it."""
    with open_project(db, must_exist=True) as project:
        entity = project.kb.get(entity_id)
        if entity is None:
            fail(f"no entity {entity_id} in the knowledge base")
        linked = project.kb.linked_count(entity_id)
    if as_json:
        typer.echo(json.dumps({**_entity_json(entity), "linked_spans": linked},
                              ensure_ascii=False))  # fmt: skip
        return
    typer.echo(f"{entity.id}  {entity.name}" + (f"  [{entity.label}]" if entity.label else ""))
    if entity.description:
        typer.echo(entity.description)
    typer.echo(f"aliases: {', '.join(entity.aliases)}")
    typer.echo(f"linked spans: {linked:,}")
    if entity.source:
        typer.echo(f"from: {entity.source}")


@kb_app.command("articles")
def kb_articles(
    entity_id: str,
    db: DbOpt = None,
    linked_only: Annotated[bool, typer.Option("--linked-only", help="Only articles with a span "
                                              "linked to it (not those naming it).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The articles that mention an entity, whatever the surface form: those with a span
    linked to it, and those whose text holds one of its names as whole words (as the
    window's search `kb:ID`)."""
    with open_project(db, must_exist=True) as project:
        if project.kb.get(entity_id) is None:
            fail(f"no entity {entity_id} in the knowledge base")
        ids = project.article_ids_mentioning(entity_id, aliases=not linked_only)
        rows = project.queue_rows(ids)
    if as_json:
        typer.echo(json.dumps([{"id": r[0], "title": r[1], "status": r[2]} for r in rows],
                              ensure_ascii=False))  # fmt: skip
        return
    for aid, title, status, first, _reviewer in rows:
        typer.echo(f"{aid:>7}  {status:<9} {_short(title.strip() or ' '.join(first.split()))}")
    typer.echo(f"{len(rows):,} articles", err=True)


@kb_app.command("remove")
def kb_remove(
    ids: Annotated[list[str], typer.Argument(help="Entity ids.")],
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Remove them even if spans are linked "
                                        "to them: those spans are unlinked.")] = False,
) -> None:
    """Remove entities and their aliases; refused while spans are linked to one (unless
    --force)."""
    with open_project(db, must_exist=True) as project:
        unlinked = project.kb.remove(ids, force=force)
    done = f"removed {plural(len(set(ids)), 'entity', 'entities')}"
    typer.echo(done + (f", unlinked {plural(unlinked, 'span')}" if unlinked else ""))


@kb_app.command("lookup")
def kb_lookup(
    mention: str,
    db: DbOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most N candidates.")] = 9,
    as_json: JsonOpt = False,
) -> None:
    """The candidate entities for a mention, best first: how often each was chosen for it
    in this project, then exact, case/accent-folded and transliteration (fuzzy) matches."""
    from annotator.core.kb.lookup import candidates

    with open_project(db, must_exist=True) as project:
        found = candidates(project, mention, limit)
    if as_json:
        typer.echo(json.dumps([c.as_dict() for c in found], ensure_ascii=False))
        return
    if not found:
        typer.echo(f"no candidates for {mention!r}", err=True)
        return
    for i, c in enumerate(found, 1):
        label = f" [{c.label}]" if c.label else ""
        chosen = f", chosen {c.chosen:,}×" if c.chosen else ""
        how = c.match if c.match in ("exact", "linked") else f"{c.match} {c.score:.2f}"
        typer.echo(f"{i}. {c.entity_id}  {c.name}{label}  {_short(c.description)}  "
                   f"({how}: {c.alias}{chosen})")


@kb_app.command("export-spacy")
def kb_export_spacy(
    out: Annotated[Path, typer.Option("--out", help="Folder for the knowledge base (new, "
                                      "empty, or an earlier export).")],
    db: DbOpt = None,
    vectors: Annotated[str, typer.Option("--vectors", help="Entity vectors: auto (en_core_web_md "
                                         "when installed, else hash), hash, or a pipeline's "
                                         "name or folder.")] = "auto",
) -> None:
    """Write a spaCy InMemoryLookupKB (kb.to_disk) for training entity_linker: every
    entity, aliases with prior probabilities from the links in accepted articles."""
    from annotator.core.kb.spacy_kb import write_spacy_kb

    with open_project(db, must_exist=True) as project:
        report = write_spacy_kb(project, out, vectors=vectors)
    typer.echo(report.summary())
    typer.echo(f"load it with InMemoryLookupKB(nlp.vocab, entity_vector_length="
               f"{report.vector_length}).from_disk({str(out)!r})", err=True)


def _entity_json(e) -> dict:
    return {"id": e.id, "name": e.name, "description": e.description, "label": e.label,
            "aliases": list(e.aliases), "source": e.source, "added_at": e.added_at}


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
