"""CoNLL-style IOB2 files (``train.conll``, ``dev.conll``, ``manifest.json``) for NER tools
outside spaCy; also the token loop the Hugging Face writer (:mod:`.hf`) shares.

The articles go through exactly what the spaCy writer does (:mod:`.docbin`): the project
language's tokenizer, the same deduplication and stable train/dev split, the same problem
spans (listed in the report and the manifest, ``strict`` refuses) and warnings. Then each
article is one sequence: one ``TOKEN<TAB>TAG`` line per token (IOB2: ``B-ORG``, ``I-ORG``,
``O``), a blank line between articles. Whitespace tokens are left out (an entity's tags
stay a valid B-/I- run); whitespace inside a token is written as ``_``. IOB2 has no "unknown":
tokens spaCy would mark *missing* (partial articles, problem spans) are written ``O``, and a
warning says how many articles have them.

Links: with ``links=True`` (the project has linked spans) each line has a third column, the
entity the token's span names: ``TOKEN<TAB>TAG<TAB>KB_ID``, the id (or ``NIL``) on every
token of a linked entity, ``_`` on every other token (as CoNLL writes "nothing here"). A
project without links gets the two columns only.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path

from ..wording import plural
from .docbin import (
    PROGRESS_EVERY,
    ExportArticle,
    ExportError,
    ExportReport,
    ProgressCallback,
    _slow_ents,
    _spacy_warnings,
    base_report,
    fail_message,
    get_nlp,
    is_dev,
    long_article_warning,
    tokenize,
    total_of,
)

SPLITS = ("train", "dev")
_SPACE = re.compile(r"\s")


def split_docs(
    articles: Iterable[ExportArticle],
    nlp,
    report: ExportReport,
    dev_split: float,
    seed: int,
    statuses: Collection[str],
    on_progress: ProgressCallback | None = None,
) -> Iterator[tuple[str, ExportArticle, object]]:
    """(split, article, Doc with its entities) for each exported article, as the spaCy
    writer makes them. Fills ``report``'s counts, labels, partial articles, problems,
    duplicates and excluded statuses, and at the end its warnings."""
    make_doc = tokenize(nlp)
    max_length = getattr(nlp, "max_length", 0) or 0
    report.seed, report.dev_split = seed, dev_split
    counts = {s: {"articles": 0, "spans": 0} for s in SPLITS}
    labels: dict[str, dict[str, int]] = {s: {} for s in SPLITS}
    partial = dict.fromkeys(SPLITS, 0)
    linked = dict.fromkeys(SPLITS, 0)
    seen: set[str] = set()
    total, done, statuses = total_of(articles), 0, frozenset(statuses)
    for art in articles:
        done += 1
        if on_progress is not None and done % PROGRESS_EVERY == 0:
            on_progress(done, total)
        if art.status not in statuses:
            report.excluded[art.status] = report.excluded.get(art.status, 0) + 1
            continue
        if art.input_hash in seen:
            report.duplicates_skipped += 1
            continue
        seen.add(art.input_hash)
        split = "dev" if is_dev(art.input_hash, dev_split, seed) else "train"
        if len(art.text) > max_length > 0:
            report.warnings.append(long_article_warning(art, max_length))
        doc = make_doc(art.text)
        complete = art.status == "accepted" and art.annotation != "partial"
        ents, _missing = _slow_ents(art, doc, report.misaligned)
        doc.set_ents(ents, default="outside")
        counts[split]["articles"] += 1
        counts[split]["spans"] += len(ents)
        if not complete:
            partial[split] += 1
        for e in ents:
            labels[split][e.label_] = labels[split].get(e.label_, 0) + 1
            linked[split] += bool(e.kb_id)
        yield split, art, doc
    if on_progress is not None:
        on_progress(done, total)
    report.counts = counts
    report.labels = {k: dict(sorted(v.items())) for k, v in labels.items()}
    report.partial = partial
    report.linked = linked
    _spacy_warnings(report)
    unknown = sum(partial.values())
    if unknown:
        report.warnings.append(
            f"{plural(unknown, 'article is', 'articles are')} known only in part (partial or "
            "not accepted): IOB2 has no 'unknown' tag, so their tokens outside the spans are "
            "written as O"
        )


def iob2(doc) -> list[tuple[str, str]]:
    """(token text, IOB2 tag) for each non-whitespace token of ``doc``."""
    out = []
    for t in doc:
        if t.is_space or not t.text.strip():
            continue
        tag = f"{t.ent_iob_}-{t.ent_type_}" if t.ent_iob_ in ("B", "I") else "O"
        out.append((t.text, tag))
    return out


NO_LINK = "_"  # the third column of a token outside any linked entity


def iob2_links(doc) -> list[tuple[str, str, str | None]]:
    """(token text, IOB2 tag, the entity its span names or None) for each non-whitespace
    token of ``doc``."""
    out = []
    for t in doc:
        if t.is_space or not t.text.strip():
            continue
        inside = t.ent_iob_ in ("B", "I")
        tag = f"{t.ent_iob_}-{t.ent_type_}" if inside else "O"
        out.append((t.text, tag, (t.ent_kb_id_ or None) if inside else None))
    return out


class HashedFile:
    """A file written line by line, its sha256 computed on the way."""

    def __init__(self, path: Path):
        self.path, self.sha = path, hashlib.sha256()
        self.fh = open(path, "wb")  # noqa: SIM115 (closed in close())

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.sha.update(data)
        self.fh.write(data)

    def close(self) -> str:
        if not self.fh.closed:
            self.fh.flush()
            self.fh.close()
        return self.sha.hexdigest()


def finish(report: ExportReport, out_dir: Path, files: Mapping[str, HashedFile], strict: bool,
           t0: float) -> ExportReport:  # fmt: skip
    """Close the files, refuse a strict export with problems, write ``manifest.json``."""
    for name, f in files.items():
        report.checksums[name] = f.close()
    if strict and report.misaligned:
        raise ExportError(fail_message(report.misaligned), report)
    report.files = [str(out_dir / n) for n in [*files, "manifest.json"]]
    report.seconds = round(time.perf_counter() - t0, 3)
    manifest = HashedFile(out_dir / "manifest.json")
    manifest.write(json.dumps(report.to_manifest(), ensure_ascii=False, indent=2) + "\n")
    report.checksums["manifest.json"] = manifest.close()
    return report


def export_conll(
    articles: Iterable[ExportArticle],
    out_dir: Path,
    nlp_or_lang="en",
    dev_split: float = 0.2,
    seed: int = 0,
    strict: bool = False,
    on_progress: ProgressCallback | None = None,
    *,
    statuses: Collection[str] = ("accepted",),
    excluded: Mapping[str, int] | None = None,
    links: bool = False,
) -> ExportReport:
    """Write ``train.conll``, ``dev.conll`` and ``manifest.json`` into the new folder
    ``out_dir`` (see the module docstring; ``links``: the third column)."""
    t0 = time.perf_counter()
    nlp = get_nlp(nlp_or_lang)
    report = base_report("conll", nlp, excluded)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {f"{s}.conll": HashedFile(out_dir / f"{s}.conll") for s in SPLITS}
    try:
        first = dict.fromkeys(SPLITS, True)
        for split, _art, doc in split_docs(articles, nlp, report, dev_split, seed, statuses,
                                           on_progress):  # fmt: skip
            if links:
                rows = [(_SPACE.sub("_", text), tag, _SPACE.sub("_", kb or NO_LINK))
                        for text, tag, kb in iob2_links(doc)]  # fmt: skip
            else:
                rows = [(_SPACE.sub("_", text), tag) for text, tag in iob2(doc)]
            if not rows:
                continue
            lines = "".join("\t".join(row) + "\n" for row in rows)
            files[f"{split}.conll"].write(("" if first[split] else "\n") + lines)
            first[split] = False
    except BaseException:
        for f in files.values():
            f.close()
        raise
    return finish(report, out_dir, files, strict, t0)
