"""spaCy training data from articles: a DocBin pair (``train.spacy``, ``dev.spacy``) and
``manifest.json``. No database, no Qt: the caller hands in :class:`ExportArticle` records.

This module also holds what both export formats share, since both are built on spaCy's
tokens: the article record, the span problems (:class:`Misaligned`), the report and
:class:`ExportError`. :mod:`annotator.core.formats.prodigy_tasks` imports them from here.

Rules kept here (see ``../shared/guide/pitfalls.md``, the spaCy part):

* Articles are tokenized with ``nlp.tokenizer`` of the project language, the tokenizer
  ``spacy train`` uses again (``nlp.make_doc`` is the same tokenizer plus the
  ``max_length`` check, which would refuse a whole export for one very long article).
* Spans become entities through ``Doc.char_span`` in strict alignment. A span that is not on
  token boundaries, overlaps another one, is empty, is outside the text or has no label is
  never dropped silently: it is listed in the report and the manifest by kind, and
  ``strict=True`` refuses to write anything. In non-strict mode the tokens it covers are
  marked *missing* (unknown) instead of *outside*, so the model is not taught that they are
  not an entity.
* An article known only in part (``annotation == "partial"``, e.g. Prodigy binary tasks) or
  exported with a status other than accepted has every token outside its spans *missing*.
* Articles are deduplicated by ``input_hash`` (first one wins) before splitting, and the
  train/dev split is a stable function of the hash (:mod:`annotator.core.split`).
* A linked span's entity becomes the entity's ``kb_id_`` (an entity id, or ``NIL`` for "not
  in the knowledge base", as spaCy's entity linker expects); an entity not linked has
  none. The manifest counts the linked entities per split (``linked_entities``).

Files are written to temporary names in ``out_dir`` and renamed at the end, so a refused or
cancelled export writes nothing. A set that appears whole or not at all, and the safety of
the output path, are :func:`annotator.core.export.export_project`'s job: it has the writer
fill a fresh hidden folder and swaps it in.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from annotator.core.records import Span
from annotator.core.split import is_dev
from annotator.core.wording import plural

__all__ = [
    "PROBLEM_KINDS",
    "ExportArticle",
    "ExportError",
    "ExportReport",
    "Misaligned",
    "export_spacy",
    "is_dev",
    "tokenize",
]

PROGRESS_EVERY = 256  # articles between two on_progress calls

ProgressCallback = Callable[[int, int | None], Any]  # (articles done, total if known)

# Misaligned.problem -> what it means, for messages ("3 spans not on token boundaries").
PROBLEM_KINDS = {
    "misaligned": "not on token boundaries",
    "overlap": "overlapping another span",
    "out_of_range": "outside the text",
    "empty": "empty",
    "no_label": "without a label",
}


@dataclass(slots=True)
class ExportArticle:
    id: int
    text: str
    title: str
    meta: dict
    status: str
    input_hash: str  # hex string (records.input_hash)
    spans: list[Span]  # confirmed spans
    prodigy_input_hash: int | None = None
    prodigy_task_hash: int | None = None
    annotation: str = "complete"  # or "partial": only its spans are known
    flagged: bool = False  # flagged for later by an annotator, with a note
    flag_note: str = ""
    annotator_id: str = ""  # a team file's: whose version this is (or "majority")
    versions: list | None = None  # every annotator's version (JSONL export keeps them)


@dataclass(frozen=True, slots=True)
class Misaligned:
    """A span that could not be exported as-is.

    ``problem`` is a key of :data:`PROBLEM_KINDS`: ``"misaligned"`` (not on token
    boundaries), ``"overlap"`` (overlaps an earlier span of the same article), ``"empty"``
    (start >= end), ``"out_of_range"`` (outside the text) or ``"no_label"``. ``hint``
    describes the nearest token-aligned span; ``hint_start``/``hint_end`` give its offsets
    when there is one (the ``expand`` alignment), e.g. for a "snap to tokens" fix in the GUI.
    """

    article_id: int
    input_hash: str
    start: int
    end: int
    label: str
    text: str
    hint: str
    problem: str = "misaligned"
    hint_start: int | None = None
    hint_end: int | None = None

    @property
    def kind(self) -> str:
        """The problem in words: "not on token boundaries", "overlapping another span"..."""
        return PROBLEM_KINDS.get(self.problem, self.problem)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ExportReport:
    kind: str  # "spacy" or "jsonl"
    # split ("train"/"dev" for spaCy, "all" for JSONL) -> {"articles": n, "spans": n}
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # split -> label -> number of spans written with that label
    labels: dict[str, dict[str, int]] = field(default_factory=dict)
    # split -> articles written with unknown (missing) tokens outside their spans
    partial: dict[str, int] = field(default_factory=dict)
    # split -> entities written with a link (kb_id: an entity id or NIL)
    linked: dict[str, int] = field(default_factory=dict)
    misaligned: list[Misaligned] = field(default_factory=list)  # every problem span
    duplicates_skipped: int = 0
    excluded: dict[str, int] = field(default_factory=dict)  # status -> articles not exported
    seed: int | None = None
    dev_split: float | None = None
    tool_version: str = ""
    spacy_version: str = ""
    lang: str = ""
    tokenizer: dict = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # paths written (absolute)
    checksums: dict[str, str] = field(default_factory=dict)  # file name -> sha256 (hex)
    warnings: list[str] = field(default_factory=list)
    created: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no span had a problem."""
        return not self.misaligned

    @property
    def total_articles(self) -> int:
        return sum(c["articles"] for c in self.counts.values())

    @property
    def total_spans(self) -> int:
        return sum(c["spans"] for c in self.counts.values())

    @property
    def problems(self) -> dict[str, int]:
        """Problem spans by kind (:data:`PROBLEM_KINDS` keys), in that order."""
        out: dict[str, int] = {}
        for m in self.misaligned:
            out[m.problem] = out.get(m.problem, 0) + 1
        order = list(PROBLEM_KINDS)
        return dict(sorted(out.items(), key=lambda kv: order.index(kv[0])
                           if kv[0] in order else len(order)))  # fmt: skip

    def to_manifest(self) -> dict:
        return {
            "tool": "annotator",
            "tool_version": self.tool_version,
            "format": self.kind,
            "created": self.created,
            "spacy_version": self.spacy_version,
            "lang": self.lang,
            "tokenizer": self.tokenizer,
            "split": {
                "seed": self.seed,
                "dev_split": self.dev_split,
                "method": "sha256(f'{seed}:{input_hash}')[:8] / 2**64 < dev_split",
            },
            "counts": self.counts,
            "labels": self.labels,
            "partial_articles": self.partial,
            "linked_entities": self.linked,
            "duplicates_skipped": self.duplicates_skipped,
            "excluded_by_status": self.excluded,
            "problems": self.problems,
            "misaligned": [m.to_dict() for m in self.misaligned],
            "warnings": self.warnings,
            "files": [Path(f).name for f in self.files],
            # sha256 of every other file of the set (a file cannot hold its own checksum)
            "checksums": {k: v for k, v in self.checksums.items() if k != "manifest.json"},
        }


class ExportError(Exception):
    """An export that was refused: nothing was written. The message says why (for a strict
    export, it lists the problem spans; for an unsafe output path, what to do)."""

    def __init__(self, message: str, report: ExportReport | None = None):
        super().__init__(message)
        self.report = report

    @property
    def misaligned(self) -> list[Misaligned]:
        return self.report.misaligned if self.report else []


# --------------------------------------------------------------------------- shared helpers


@lru_cache(maxsize=8)
def _blank(lang: str):
    import spacy

    return spacy.blank(lang)


def get_nlp(nlp_or_lang):
    if isinstance(nlp_or_lang, str):
        return _blank(nlp_or_lang)
    if not hasattr(nlp_or_lang, "tokenizer"):
        raise TypeError(f"expected a language code or a spaCy Language, got {nlp_or_lang!r}")
    return nlp_or_lang


def tokenize(nlp):
    """The function that makes an article's Doc: the bare tokenizer (no ``max_length``)."""
    return nlp.tokenizer


def _tokenizer_info(nlp) -> dict:
    meta = getattr(nlp, "meta", {}) or {}
    return {
        "lang": nlp.lang,
        "pipeline": f"{meta.get('lang', nlp.lang)}_{meta.get('name', 'pipeline')}",
        "pipeline_version": meta.get("version", ""),
        "how": "nlp.tokenizer",
    }


def token_bounds(doc, start: int, end: int) -> tuple[int, int] | None:
    """First and last (inclusive) token touching [start, end); None for an empty doc.

    Used for spans that are not token-aligned. A span covering no token at all (e.g. a
    single space) gets the nearest token on both ends.
    """
    n = len(doc)
    if n == 0:
        return None
    span = doc.char_span(start, end, alignment_mode="expand") if start < end else None
    if span is not None and len(span) > 0:
        return span.start, span.end - 1
    starts = [t.idx for t in doc]
    i = max(0, bisect.bisect_right(starts, max(start, 0)) - 1)
    return i, i


def span_sort_key(span: Span) -> tuple[int, int]:
    return span.start, span.end


def overlap_problem(art: ExportArticle, doc, sp: Span, kept: Span) -> Misaligned:
    """`sp` overlaps `kept`, a span exported before it."""
    shown = doc.text[kept.start : kept.end]
    return _problem(art, doc, sp, "overlap",
                    f"overlaps {kept.start}-{kept.end} {kept.label} {shown!r}")  # fmt: skip


def _problem(art: ExportArticle, doc, sp: Span, problem: str, hint: str = "") -> Misaligned:
    text = doc.text
    hint_start = hint_end = None
    if problem == "misaligned" and not text[sp.start : sp.end].strip():
        hint = "the span covers only whitespace; remove it"
    elif problem == "misaligned":
        bounds = token_bounds(doc, sp.start, sp.end)
        parts = []
        if bounds is not None:
            a, b = doc[bounds[0]], doc[bounds[1]]
            hint_start, hint_end = a.idx, b.idx + len(b)
            parts.append(f"expand to {hint_start}-{hint_end} {text[hint_start:hint_end]!r}")
        contract = doc.char_span(sp.start, sp.end, alignment_mode="contract")
        if contract is not None and len(contract) > 0:
            c0, c1 = contract.start_char, contract.end_char
            parts.append(f"contract to {c0}-{c1} {text[c0:c1]!r}")
        hint = "; ".join(parts) or "no token-aligned span nearby"
    return Misaligned(
        article_id=art.id,
        input_hash=art.input_hash,
        start=sp.start,
        end=sp.end,
        label=sp.label,
        text=text[max(sp.start, 0) : max(sp.end, 0)],
        hint=hint,
        problem=problem,
        hint_start=hint_start,
        hint_end=hint_end,
    )


def kb_of(span: Span):
    """What ``Doc.char_span`` takes as the entity's ``kb_id``: the link, or 0 (none)."""
    return span.kb_id if span.kb_id is not None else 0


def classify_problem(art: ExportArticle, doc, sp: Span) -> Misaligned:
    """The problem of a span that is not an overlap (``char_span`` gave no tokens)."""
    n = len(doc.text)
    if not sp.label:
        return _problem(art, doc, sp, "no_label", "give the span a label")
    if sp.start < 0 or sp.end > n:
        return _problem(art, doc, sp, "out_of_range", f"text has {n} characters")
    if sp.start >= sp.end:
        return _problem(art, doc, sp, "empty", "remove the span")
    return _problem(art, doc, sp, "misaligned")


def _slow_ents(art: ExportArticle, doc, problems: list[Misaligned]):
    """Entities for an article with at least one problem span; the problems are appended.

    Returns (entities, missing): ``missing`` are the token ranges covered by problem spans
    and by no entity, to be marked as unknown rather than outside.
    """
    ents = []
    bad: list[Span] = []
    last_end = -1  # token end of the last kept entity
    last_span: Span | None = None
    for sp in sorted(art.spans, key=span_sort_key):
        ent = doc.char_span(sp.start, sp.end, sp.label, kb_id=kb_of(sp)) if sp.label else None
        if ent is None or len(ent) == 0:
            problems.append(classify_problem(art, doc, sp))
            bad.append(sp)
        elif ent.start < last_end:
            assert last_span is not None
            problems.append(overlap_problem(art, doc, sp, last_span))
            bad.append(sp)
        else:
            ents.append(ent)
            last_end = ent.end
            last_span = sp
    missing = []
    if bad:
        covered = set()
        for ent in ents:
            covered.update(range(ent.start, ent.end))
        unknown = set()
        for sp in bad:
            bounds = token_bounds(doc, max(sp.start, 0), min(sp.end, len(doc.text)))
            if bounds is not None and sp.start < sp.end:
                unknown.update(range(bounds[0], bounds[1] + 1))
        runs: list[list[int]] = []
        for i in sorted(unknown - covered):
            if runs and runs[-1][1] == i:
                runs[-1][1] = i + 1
            else:
                runs.append([i, i + 1])
        missing = [doc[a:b] for a, b in runs]
    return ents, missing


def fail_message(problems: list[Misaligned], limit: int = 25) -> str:
    by_kind = {}
    for m in problems:
        by_kind[m.kind] = by_kind.get(m.kind, 0) + 1
    kinds = ", ".join(f"{n} {kind}" for kind, n in by_kind.items())
    lines = [f"{plural(len(problems), 'span')} cannot be exported ({kinds}); nothing was "
             "written:"]
    for m in problems[:limit]:
        lines.append(
            f"  article {m.article_id}: {m.start}-{m.end} {m.label} {m.text!r} [{m.kind}] {m.hint}"
        )
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return "\n".join(lines)


def long_article_warning(art: ExportArticle, limit: int) -> str:
    """For an article longer than spaCy's ``max_length``: it is exported (the tokenizer has
    no limit), but ``spacy train`` reads documents with ``nlp.make_doc``, which has one."""
    return (
        f"article {art.id} has {len(art.text):,} characters, more than spaCy's max_length "
        f"({limit:,}): spacy train reads it with nlp.make_doc, which refuses it (E088); "
        "split the article or raise nlp.max_length in your training code"
    )


def tmp_write(directory: Path, name: str, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def _commit(pairs: list[tuple[Path, Path]]) -> None:
    """Rename temp files onto their targets; on failure remove the temp files left."""
    try:
        for tmp, target in pairs:
            os.replace(tmp, target)
    finally:
        for tmp, _ in pairs:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def total_of(articles) -> int | None:
    try:
        return len(articles)
    except TypeError:
        return None


def base_report(kind: str, nlp, excluded: Mapping[str, int] | None = None) -> ExportReport:
    import spacy

    import annotator

    return ExportReport(
        kind=kind,
        tool_version=annotator.__version__,
        spacy_version=spacy.__version__,
        lang=nlp.lang,
        tokenizer=_tokenizer_info(nlp),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        excluded={k: v for k, v in (excluded or {}).items() if v},
    )


def is_partial(art: ExportArticle) -> bool:
    return art.annotation == "partial"


# --------------------------------------------------------------------------- spaCy


def export_spacy(
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
) -> ExportReport:
    """Write ``train.spacy``, ``dev.spacy`` and ``manifest.json`` into ``out_dir``.

    Only articles whose status is in ``statuses`` are exported (default: accepted only; the
    others are counted in ``report.excluded``, which starts from ``excluded`` when the caller
    left articles out before). An accepted article with ``annotation == "complete"`` was
    reviewed in full, so every token outside a span is *outside* (O); partial articles and
    articles of any other exported status have the tokens outside their spans *missing*.

    ``on_progress(done, total)`` is called every few hundred articles (``total`` is None when
    ``articles`` has no length); raising from it cancels the export, writing nothing.
    With ``strict=True`` any problem span raises :class:`ExportError` and nothing is written.
    """
    from .docbin_stream import StreamingDocBin

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)  # also holds the DocBins' scratch files
    nlp = get_nlp(nlp_or_lang)
    make_doc = tokenize(nlp)
    max_length = getattr(nlp, "max_length", 0) or 0
    report = base_report("spacy", nlp, excluded)
    report.seed, report.dev_split = seed, dev_split

    bins = {"train": StreamingDocBin(out_dir), "dev": StreamingDocBin(out_dir)}  # flat memory
    try:
        return _fill_and_write(articles, bins, out_dir, nlp, make_doc, max_length, report,
                               dev_split, seed, strict, on_progress, statuses, t0)  # fmt: skip
    finally:
        for b in bins.values():
            b.close()


def _fill_and_write(articles, bins, out_dir, nlp, make_doc, max_length, report, dev_split,
                    seed, strict, on_progress, statuses, t0) -> ExportReport:  # fmt: skip
    counts = {"train": {"articles": 0, "spans": 0}, "dev": {"articles": 0, "spans": 0}}
    labels: dict[str, dict[str, int]] = {"train": {}, "dev": {}}
    partial = {"train": 0, "dev": 0}
    linked = {"train": 0, "dev": 0}
    problems = report.misaligned
    excluded_now = report.excluded
    seen: set[str] = set()
    duplicates = 0
    total = total_of(articles)
    done = 0
    statuses = frozenset(statuses)

    for art in articles:
        done += 1
        if on_progress is not None and done % PROGRESS_EVERY == 0:
            on_progress(done, total)
        status = art.status
        if status not in statuses:
            excluded_now[status] = excluded_now.get(status, 0) + 1
            continue
        h = art.input_hash
        if h in seen:
            duplicates += 1
            continue
        seen.add(h)
        split = "dev" if is_dev(h, dev_split, seed) else "train"
        text = art.text
        if len(text) > max_length > 0:
            report.warnings.append(long_article_warning(art, max_length))
        doc = make_doc(text)
        complete = status == "accepted" and art.annotation != "partial"
        default = "outside" if complete else "missing"
        char_span = doc.char_span
        spans = art.spans
        ents = [char_span(s.start, s.end, s.label, kb_id=kb_of(s)) for s in spans]
        try:
            # Raises on None (misaligned or empty span) and on overlaps (E1010).
            doc.set_ents(ents, default=default)
            for s in spans:
                if not s.label:  # set_ents silently ignores unlabelled spans
                    raise ValueError("no label")
        except (ValueError, AttributeError):  # AttributeError: None among the spans
            ents, missing = _slow_ents(art, doc, problems)
            doc.set_ents(ents, missing=missing if complete else None, default=default)
        bins[split].add(doc)
        c = counts[split]
        c["articles"] += 1
        c["spans"] += len(ents)
        if not complete:
            partial[split] += 1
        lab = labels[split]
        for e in ents:
            name = e.label_
            lab[name] = lab.get(name, 0) + 1
            if e.kb_id:
                linked[split] += 1

    if on_progress is not None:
        on_progress(done, total)
    report.counts = counts
    report.labels = {k: dict(sorted(v.items())) for k, v in labels.items()}
    report.partial = partial
    report.linked = linked
    report.duplicates_skipped = duplicates
    _spacy_warnings(report)

    if strict and problems:
        raise ExportError(fail_message(problems), report)

    out_dir.mkdir(parents=True, exist_ok=True)
    targets = {
        "train": out_dir / "train.spacy",
        "dev": out_dir / "dev.spacy",
        "manifest": out_dir / "manifest.json",
    }
    report.files = [str(p) for p in targets.values()]
    pairs: list[tuple[Path, Path]] = []
    try:
        for split in ("train", "dev"):
            name = targets[split].name
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
            os.close(fd)
            pairs.append((Path(tmp), targets[split]))
            report.checksums[name] = bins[split].write(Path(tmp))
            with contextlib.suppress(OSError):
                os.chmod(tmp, 0o644)
        report.seconds = round(time.perf_counter() - t0, 3)
        manifest = json.dumps(report.to_manifest(), ensure_ascii=False, indent=2) + "\n"
        data = manifest.encode("utf-8")
        report.checksums["manifest.json"] = hashlib.sha256(data).hexdigest()
        pairs.append((tmp_write(out_dir, "manifest.json", data), targets["manifest"]))
    except BaseException:
        for tmp, _ in pairs:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        raise
    _commit(pairs)
    return report


def _spacy_warnings(report: ExportReport) -> None:
    w = report.warnings
    if report.misaligned:
        kinds = ", ".join(f"{n} {PROBLEM_KINDS.get(k, k)}" for k, n in report.problems.items())
        w.append(
            f"{plural(len(report.misaligned), 'span')} could not be exported as entities "
            f"({kinds}; see 'misaligned'); their tokens are marked as missing"
        )
    if report.counts["train"]["articles"] == 0:
        w.append("the training set is empty")
    if report.counts["dev"]["articles"] == 0:
        w.append("the dev set is empty: spacy train needs at least one dev example")
    if report.total_spans == 0:
        w.append("no entity spans were exported")
