"""Export annotated articles as spaCy training data (``.spacy``) or Prodigy-style JSONL.

Pure logic: no database, no Qt. The store feeds an iterable of :class:`ExportArticle`.

Rules kept here (see ``../shared/guide/pitfalls.md``, the spaCy part):

* Articles are tokenized with ``nlp.make_doc`` of the project language, the tokenizer
  ``spacy train`` will use again on ``reference.text``.
* Spans become entities through ``Doc.char_span`` in strict alignment. A span that does not
  fall on token boundaries (or overlaps another one, or is empty or out of range) is never
  dropped silently: it is listed in the report and the manifest, and ``strict=True`` refuses
  to write anything. In non-strict mode the tokens it covers are marked *missing* (unknown)
  instead of *outside*, so the model is not taught that they are not an entity.
* Articles are deduplicated by ``input_hash`` (first one wins) before splitting, and the
  train/dev split is a stable function of the hash (:mod:`annotator.core.split`).
* Files are written to temporary files in the target directory and renamed at the end, so an
  interrupted or refused export never leaves half-written files behind.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from annotator.core.records import Span
from annotator.core.split import is_dev

__all__ = [
    "ANSWERS",
    "ExportArticle",
    "ExportError",
    "ExportReport",
    "Misaligned",
    "derive_input_hash",
    "derive_task_hash",
    "export_jsonl",
    "export_spacy",
    "is_dev",
]

# Article status -> Prodigy "answer". Pending articles get no answer key at all.
ANSWERS = {"accepted": "accept", "rejected": "reject", "skipped": "ignore"}

PROGRESS_EVERY = 256  # articles between two on_progress calls

ProgressCallback = Callable[[int, int | None], Any]  # (articles done, total if known)


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


@dataclass(frozen=True, slots=True)
class Misaligned:
    """A span that could not be exported as-is.

    ``problem`` is one of ``"misaligned"`` (not on token boundaries), ``"overlap"`` (overlaps
    an earlier span of the same article), ``"empty"`` (start >= end), ``"out_of_range"``
    (outside the text) or ``"no_label"``. ``hint`` describes the nearest token-aligned span;
    ``hint_start``/``hint_end`` give its offsets when there is one (the ``expand`` alignment),
    e.g. for a "snap to tokens" fix in the GUI.
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

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ExportReport:
    kind: str  # "spacy" or "jsonl"
    # split ("train"/"dev" for spaCy, "all" for JSONL) -> {"articles": n, "spans": n}
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # split -> label -> number of spans written with that label
    labels: dict[str, dict[str, int]] = field(default_factory=dict)
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

    def to_manifest(self) -> dict:
        problems: dict[str, int] = {}
        for m in self.misaligned:
            problems[m.problem] = problems.get(m.problem, 0) + 1
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
            "duplicates_skipped": self.duplicates_skipped,
            "excluded_by_status": self.excluded,
            "problems": problems,
            "misaligned": [m.to_dict() for m in self.misaligned],
            "warnings": self.warnings,
            "files": [Path(f).name for f in self.files],
        }


class ExportError(Exception):
    """A strict export refused to write: the message lists the problem spans."""

    def __init__(self, message: str, report: ExportReport | None = None):
        super().__init__(message)
        self.report = report

    @property
    def misaligned(self) -> list[Misaligned]:
        return self.report.misaligned if self.report else []


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=8)
def _blank(lang: str):
    import spacy

    return spacy.blank(lang)


def _get_nlp(nlp_or_lang):
    if isinstance(nlp_or_lang, str):
        return _blank(nlp_or_lang)
    if not hasattr(nlp_or_lang, "make_doc"):
        raise TypeError(f"expected a language code or a spaCy Language, got {nlp_or_lang!r}")
    return nlp_or_lang


def _tokenizer_info(nlp) -> dict:
    meta = getattr(nlp, "meta", {}) or {}
    return {
        "lang": nlp.lang,
        "pipeline": f"{meta.get('lang', nlp.lang)}_{meta.get('name', 'pipeline')}",
        "pipeline_version": meta.get("version", ""),
        "how": "nlp.make_doc",
    }


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= (1 << 31) else value


def derive_input_hash(input_hash: str) -> int:
    """A stable signed 32-bit int (Prodigy's ``_input_hash`` shape) from the hex input hash."""
    return _signed32(int(input_hash[:8], 16))


def derive_task_hash(input_hash: str, spans: Iterable[Span]) -> int:
    """A stable signed 32-bit ``_task_hash`` from the input hash and the sorted spans."""
    key = (
        input_hash
        + "|"
        + ";".join(
            f"{s.start}:{s.end}:{s.label}"
            for s in sorted(spans, key=lambda s: (s.start, s.end, s.label))
        )
    )
    return _signed32(int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big"))


def _token_bounds(doc, start: int, end: int) -> tuple[int, int] | None:
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


def _sort_key(span: Span) -> tuple[int, int]:
    return span.start, span.end


def _overlap(art: ExportArticle, doc, sp: Span, kept: Span) -> Misaligned:
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
        bounds = _token_bounds(doc, sp.start, sp.end)
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


def _classify(art: ExportArticle, doc, sp: Span) -> Misaligned:
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
    for sp in sorted(art.spans, key=_sort_key):
        ent = doc.char_span(sp.start, sp.end, sp.label) if sp.label else None
        if ent is None or len(ent) == 0:
            problems.append(_classify(art, doc, sp))
            bad.append(sp)
        elif ent.start < last_end:
            assert last_span is not None
            problems.append(_overlap(art, doc, sp, last_span))
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
            bounds = _token_bounds(doc, max(sp.start, 0), min(sp.end, len(doc.text)))
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


def _fail_message(problems: list[Misaligned], limit: int = 25) -> str:
    lines = [f"{len(problems)} span(s) cannot be exported; nothing was written:"]
    for m in problems[:limit]:
        lines.append(
            f"  article {m.article_id}: {m.start}-{m.end} {m.label} {m.text!r} "
            f"[{m.problem}] {m.hint}"
        )
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return "\n".join(lines)


def _tmp_write(directory: Path, name: str, data: bytes) -> Path:
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


def _total(articles) -> int | None:
    try:
        return len(articles)
    except TypeError:
        return None


def _base_report(kind: str, nlp) -> ExportReport:
    import spacy

    import annotator

    return ExportReport(
        kind=kind,
        tool_version=annotator.__version__,
        spacy_version=spacy.__version__,
        lang=nlp.lang,
        tokenizer=_tokenizer_info(nlp),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


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
) -> ExportReport:
    """Write ``train.spacy``, ``dev.spacy`` and ``manifest.json`` into ``out_dir``.

    Only articles whose status is in ``statuses`` are exported (default: accepted only; the
    others are counted in ``report.excluded``). Accepted articles were reviewed in full, so
    every token outside a span is *outside* (O); articles of any other exported status are
    treated as partly reviewed (tokens outside spans are *missing*).

    ``on_progress(done, total)`` is called every few hundred articles (``total`` is None when
    ``articles`` has no length); raising from it cancels the export, writing nothing.
    With ``strict=True`` any problem span raises :class:`ExportError` and nothing is written.
    """
    from spacy.tokens import DocBin

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    nlp = _get_nlp(nlp_or_lang)
    make_doc = nlp.make_doc
    report = _base_report("spacy", nlp)
    report.seed, report.dev_split = seed, dev_split

    bins = {"train": DocBin(store_user_data=False), "dev": DocBin(store_user_data=False)}
    counts = {"train": {"articles": 0, "spans": 0}, "dev": {"articles": 0, "spans": 0}}
    labels: dict[str, dict[str, int]] = {"train": {}, "dev": {}}
    problems = report.misaligned
    excluded = report.excluded
    seen: set[str] = set()
    duplicates = 0
    total = _total(articles)
    done = 0
    statuses = frozenset(statuses)

    for art in articles:
        done += 1
        if on_progress is not None and done % PROGRESS_EVERY == 0:
            on_progress(done, total)
        status = art.status
        if status not in statuses:
            excluded[status] = excluded.get(status, 0) + 1
            continue
        h = art.input_hash
        if h in seen:
            duplicates += 1
            continue
        seen.add(h)
        split = "dev" if is_dev(h, dev_split, seed) else "train"
        doc = make_doc(art.text)
        default = "outside" if status == "accepted" else "missing"
        char_span = doc.char_span
        spans = art.spans
        ents = [char_span(s.start, s.end, s.label) for s in spans]
        try:
            # Raises on None (misaligned or empty span) and on overlaps (E1010).
            doc.set_ents(ents, default=default)
            for s in spans:
                if not s.label:  # set_ents silently ignores unlabelled spans
                    raise ValueError("no label")
        except (ValueError, AttributeError):  # AttributeError: None among the spans
            ents, missing = _slow_ents(art, doc, problems)
            doc.set_ents(ents, missing=missing if default == "outside" else None, default=default)
        bins[split].add(doc)
        c = counts[split]
        c["articles"] += 1
        c["spans"] += len(ents)
        lab = labels[split]
        for e in ents:
            name = e.label_
            lab[name] = lab.get(name, 0) + 1

    if on_progress is not None:
        on_progress(done, total)
    report.counts = counts
    report.labels = {k: dict(sorted(v.items())) for k, v in labels.items()}
    report.duplicates_skipped = duplicates
    _spacy_warnings(report)

    if strict and problems:
        raise ExportError(_fail_message(problems), report)

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
            data = bins[split].to_bytes()
            pairs.append((_tmp_write(out_dir, targets[split].name, data), targets[split]))
        report.seconds = round(time.perf_counter() - t0, 3)
        manifest = json.dumps(report.to_manifest(), ensure_ascii=False, indent=2) + "\n"
        pairs.append(
            (_tmp_write(out_dir, "manifest.json", manifest.encode("utf-8")), targets["manifest"])
        )
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
        w.append(
            f"{len(report.misaligned)} span(s) could not be exported as entities "
            "(see 'misaligned'); their tokens are marked as missing"
        )
    if report.counts["train"]["articles"] == 0:
        w.append("the training set is empty")
    if report.counts["dev"]["articles"] == 0:
        w.append("the dev set is empty: spacy train needs at least one dev example")
    if report.total_spans == 0:
        w.append("no entity spans were exported")


# --------------------------------------------------------------------------- JSONL


def _jsonl_task(art: ExportArticle, doc, problems: list[Misaligned]) -> tuple[dict, int]:
    tokens = [
        {
            "text": t.text,
            "start": t.idx,
            "end": t.idx + len(t),
            "id": t.i,
            "ws": bool(t.whitespace_),
        }
        for t in doc
    ]
    spans_out = []
    last: Span | None = None  # last well-formed span kept (spans are sorted by start)
    for sp in sorted(art.spans, key=_sort_key):
        ent = doc.char_span(sp.start, sp.end) if sp.start < sp.end else None
        if ent is not None and len(ent) > 0 and sp.label:
            ts, te = ent.start, ent.end - 1
            if last is not None and sp.start < last.end:
                problems.append(_overlap(art, doc, sp, last))
            else:
                last = sp
        else:
            problems.append(_classify(art, doc, sp))
            bounds = _token_bounds(doc, max(sp.start, 0), min(sp.end, len(doc.text)))
            ts, te = bounds if bounds is not None else (0, 0)
        d = {
            "start": sp.start,
            "end": sp.end,
            "token_start": ts,
            "token_end": te,
            "label": sp.label,
        }
        if sp.source:
            d["source"] = sp.source
        spans_out.append(d)
    meta = dict(art.meta or {})
    if art.title and "title" not in meta:
        meta["title"] = art.title
    task: dict[str, Any] = {
        "text": art.text,
        "meta": meta,
        "_input_hash": art.prodigy_input_hash
        if art.prodigy_input_hash is not None
        else derive_input_hash(art.input_hash),
        "_task_hash": art.prodigy_task_hash
        if art.prodigy_task_hash is not None
        else derive_task_hash(art.input_hash, art.spans),
        "tokens": tokens,
        "spans": spans_out,
        "_view_id": "ner_manual",
    }
    answer = ANSWERS.get(art.status)
    if answer is not None:
        task["answer"] = answer
    return task, len(spans_out)


def export_jsonl(
    articles: Iterable[ExportArticle],
    out_path: Path,
    nlp_or_lang="en",
    *,
    statuses: Collection[str] | None = None,
    on_progress: ProgressCallback | None = None,
) -> ExportReport:
    """Write one Prodigy ``ner_manual`` task per article to the file ``out_path``.

    All statuses are written by default (``statuses`` restricts them); pending articles have
    no ``answer`` key. Problem spans are still written (character offsets kept, token bounds
    from the ``expand`` alignment) and listed in ``report.misaligned``. Articles with an
    ``input_hash`` already written are skipped (``report.duplicates_skipped``).
    """
    t0 = time.perf_counter()
    out_path = Path(out_path)
    nlp = _get_nlp(nlp_or_lang)
    make_doc = nlp.make_doc
    report = _base_report("jsonl", nlp)
    allowed = frozenset(statuses) if statuses is not None else None
    seen: set[str] = set()
    n_articles = n_spans = 0
    labels: dict[str, int] = {}
    total = _total(articles)
    done = 0
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            for art in articles:
                done += 1
                if on_progress is not None and done % PROGRESS_EVERY == 0:
                    on_progress(done, total)
                if allowed is not None and art.status not in allowed:
                    report.excluded[art.status] = report.excluded.get(art.status, 0) + 1
                    continue
                if art.input_hash in seen:
                    report.duplicates_skipped += 1
                    continue
                seen.add(art.input_hash)
                task, n = _jsonl_task(art, make_doc(art.text), report.misaligned)
                fh.write(json.dumps(task, ensure_ascii=False, separators=(",", ":")))
                fh.write("\n")
                n_articles += 1
                n_spans += n
                for sp in art.spans:
                    labels[sp.label] = labels.get(sp.label, 0) + 1
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o644)
        if on_progress is not None:
            on_progress(done, total)
        os.replace(tmp, out_path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    report.counts = {"all": {"articles": n_articles, "spans": n_spans}}
    report.labels = {"all": dict(sorted(labels.items()))}
    report.files = [str(out_path)]
    if report.misaligned:
        report.warnings.append(
            f"{len(report.misaligned)} span(s) are not token-aligned or overlap (see 'misaligned')"
        )
    report.seconds = round(time.perf_counter() - t0, 3)
    return report
