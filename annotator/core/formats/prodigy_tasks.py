"""Prodigy tasks (JSONL, one task per article) and Prodigy's task hashes. No database, no Qt.

Hashes (see docs/decisions.md, "Prodigy hashes"). Prodigy's ``set_hashes`` derives
``_input_hash`` from a task's input keys and ``_task_hash`` from the input hash plus its task
keys, with MurmurHash3 (32-bit, signed, seed 0) over this serialisation::

    _input_hash = mmh3("text=" + json(task["text"]))
    _task_hash  = mmh3(str(_input_hash) + "spans=" + json(task["spans"]))   # "label", "options"
                                                                             # too when present
    where json(v) = json.dumps(v, sort_keys=True, separators=(",", ":"))    # ensure_ascii

Checked against a real Prodigy export (../shared/corpora/prodigy-fashion-brands, 1,235 tasks):
every ``_input_hash`` is reproduced, and every ``_task_hash`` for the way those were made (no
task key present when Prodigy hashed them, so the whole task but ``_task_hash`` is serialised
instead: :func:`task_hash` does the same). Tasks that had spans when Prodigy hashed them were
not available to check: the ``spans=`` form follows the same pattern but is not verified.

An article imported from Prodigy keeps its ``_input_hash``, and its ``_task_hash`` while its
spans are unchanged (the store forgets the imported task hash when they change); every other
hash is derived here from the task as written.

Links: a linked span is written with ``kb_id`` (an entity id, or NIL). An article imported
from Prodigy's entity-linking ``choice`` tasks (one per mention, kept in its meta under
``CHOICE_TASKS``) is written back as those tasks, each as it came (options, html, meta,
hashes and every other key) with its ``accept`` saying the span's link now, while its spans
are still those the tasks accepted, it is still a partial annotation and its status is
still the one the answers gave (links may change: Prodigy's task hash does not cover
``accept``). NIL is written as the NIL option the task chose (else its first NIL option).
Otherwise (spans added, removed or moved, the article accepted whole in the window) it is
written as one task like any other, its spans carrying ``kb_id``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import mmh3

from annotator.core.formats.docbin import (
    PROBLEM_KINDS,
    PROGRESS_EVERY,
    ExportArticle,
    ExportError,
    ExportReport,
    Misaligned,
    ProgressCallback,
    base_report,
    classify_problem,
    fail_message,
    get_nlp,
    long_article_warning,
    overlap_problem,
    span_sort_key,
    token_bounds,
    tokenize,
    total_of,
)
from annotator.core.records import CHOICE_TASKS, NIL, Span
from annotator.core.wording import plural

__all__ = [
    "ANSWERS",
    "INPUT_KEYS",
    "TASK_KEYS",
    "VIEW_COMPLETE",
    "VIEW_PARTIAL",
    "export_jsonl",
    "input_hash",
    "set_hashes",
    "task_hash",
]

# Article status -> Prodigy "answer". Pending articles get no answer key at all.
ANSWERS = {"accepted": "accept", "rejected": "reject", "skipped": "ignore"}

# The keys Prodigy's set_hashes documents (its input keys also include "image", "html" and
# "input", which an article never has).
INPUT_KEYS = ("text",)
TASK_KEYS = ("spans", "label", "options")

# A complete article is a manual NER task: every token outside its spans is "not an entity",
# which is what Prodigy's ner_manual (ner.manual, ner.correct) answers mean. A partial article
# (imported from binary ner.teach-style tasks) only says something about its own spans; in
# Prodigy that is the binary "ner" view, whose examples training treats as incomplete: the
# other tokens stay unknown, and a "reject" is about the spans shown, not the whole text.
VIEW_COMPLETE = "ner_manual"
VIEW_PARTIAL = "ner"


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _keys_part(task: Mapping[str, Any], keys: Iterable[str]) -> str:
    return "".join(f"{key}={_json(task[key])}" for key in keys if key in task)


def input_hash(task: Mapping[str, Any]) -> int:
    """Prodigy's ``_input_hash`` of a task with a ``"text"``."""
    part = _keys_part(task, INPUT_KEYS)
    if not part:
        raise ValueError("a task needs a 'text' to be hashed")
    return mmh3.hash(part)


def task_hash(task: Mapping[str, Any], input_hash: int) -> int:
    """Prodigy's ``_task_hash``: the input hash and the task keys present (``spans``,
    ``label``, ``options``); with none of them, the whole task but its ``_task_hash``."""
    part = _keys_part(task, TASK_KEYS)
    if not part:
        part = _json({k: v for k, v in task.items() if k != "_task_hash"})
    return mmh3.hash(str(input_hash) + part)


def set_hashes(task: dict, *, overwrite: bool = False) -> dict:
    """Add ``_input_hash`` and ``_task_hash`` to ``task`` (in place) where missing."""
    if overwrite or "_input_hash" not in task:
        task["_input_hash"] = input_hash(task)
    if overwrite or "_task_hash" not in task:
        task["_task_hash"] = task_hash(task, task["_input_hash"])
    return task


# --------------------------------------------------------------------------- tasks

_STATUS_OF_ANSWER = {"accept": "accepted", "reject": "accepted", "ignore": "skipped"}


def choice_tasks(art: ExportArticle) -> list[dict] | None:
    """The entity-linking tasks an article was imported from, with its links now; None when
    it is no longer what they say (see the module docstring)."""
    kept = (art.meta or {}).get(CHOICE_TASKS)
    if not isinstance(kept, list) or not kept or art.annotation != "partial":
        return None
    if not all(isinstance(t, dict) and isinstance(t.get("spans"), list) for t in kept):
        return None
    answers = [t.get("answer") for t in kept]
    status = next((_STATUS_OF_ANSWER[a] for a in ("accept", "reject", "ignore") if a in answers),
                  "pending")  # fmt: skip
    if art.status != status:
        return None
    try:
        accepted = {(d["start"], d["end"], d["label"].strip()) for t in kept
                    if t.get("answer") == "accept" for d in t["spans"]}  # fmt: skip
    except (KeyError, TypeError, AttributeError):
        return None
    links = {(s.start, s.end, s.label): s.kb_id for s in art.spans}
    if set(links) != accepted:
        return None
    out = []
    for t in kept:
        task = {"text": art.text, **t}
        if t.get("answer") == "accept":
            first = t["spans"][0]
            task["accept"] = _accept(t, links[first["start"], first["end"],
                                              first["label"].strip()])  # fmt: skip
            if any("kb_id" in d for d in t["spans"]):
                task["spans"] = [{**d, "kb_id": links[d["start"], d["end"], d["label"].strip()]}
                                 if "kb_id" in d else d for d in t["spans"]]  # fmt: skip
        out.append(task)
    return out


def _accept(task: dict, kb_id: str | None) -> list[str]:
    """The `accept` of an entity-linking task whose span is linked to `kb_id`."""
    if kb_id is None:
        return []
    if kb_id != NIL:
        return [kb_id]
    was = task.get("accept")
    if isinstance(was, list) and len(was) == 1 and str(was[0]).startswith("NIL"):
        return list(was)  # the NIL option chosen (NIL_otherLink, NIL_ambiguous...)
    nil = [o["id"] for o in task.get("options", []) if isinstance(o, dict)
           and isinstance(o.get("id"), str) and o["id"].startswith("NIL")]  # fmt: skip
    return nil[:1] or [NIL]



def _task(art: ExportArticle, doc, problems: list[Misaligned]) -> tuple[dict, list[dict]]:
    tokens = [
        {"text": t.text, "start": t.idx, "end": t.idx + len(t), "id": t.i,
         "ws": bool(t.whitespace_)}
        for t in doc
    ]  # fmt: skip
    spans_out = []
    last: Span | None = None  # last well-formed span kept (spans are sorted by start)
    for sp in sorted(art.spans, key=span_sort_key):
        ent = doc.char_span(sp.start, sp.end) if sp.start < sp.end else None
        if ent is not None and len(ent) > 0 and sp.label:
            ts, te = ent.start, ent.end - 1
            if last is not None and sp.start < last.end:
                problems.append(overlap_problem(art, doc, sp, last))
            else:
                last = sp
        else:
            problems.append(classify_problem(art, doc, sp))
            bounds = token_bounds(doc, max(sp.start, 0), min(sp.end, len(doc.text)))
            ts, te = bounds if bounds is not None else (0, 0)
        d = {"start": sp.start, "end": sp.end, "token_start": ts, "token_end": te,
             "label": sp.label}  # fmt: skip
        if sp.source:
            d["source"] = sp.source
        if sp.kb_id is not None:
            d["kb_id"] = sp.kb_id
        spans_out.append(d)
    meta = {k: v for k, v in (art.meta or {}).items() if k != CHOICE_TASKS}
    if art.title and "title" not in meta:
        meta["title"] = art.title
    if art.prodigy_input_hash is not None:
        ih = art.prodigy_input_hash
    else:
        ih = input_hash({"text": art.text})
    if art.prodigy_task_hash is not None:
        th = art.prodigy_task_hash
    else:
        th = task_hash({"spans": spans_out}, ih)
    task: dict[str, Any] = {
        "text": art.text,
        "meta": meta,
        "_input_hash": ih,
        "_task_hash": th,
        "tokens": tokens,
        "spans": spans_out,
        "_view_id": VIEW_PARTIAL if art.annotation == "partial" else VIEW_COMPLETE,
    }
    answer = ANSWERS.get(art.status)
    if answer is not None:
        task["answer"] = answer
    if art.annotator_id:  # a team file's version, as Prodigy's review output carries them
        task["_annotator_id"] = art.annotator_id
    if art.versions:
        task["versions"] = art.versions
    if art.flagged:  # as Prodigy writes a flagged task; the note is ours
        task["flagged"] = True
        if art.flag_note:
            task["flag_note"] = art.flag_note
    return task, spans_out


def export_jsonl(
    articles: Iterable[ExportArticle],
    out_path: Path,
    nlp_or_lang="en",
    *,
    statuses: Collection[str] | None = None,
    strict: bool = False,
    on_progress: ProgressCallback | None = None,
    excluded: Mapping[str, int] | None = None,
) -> ExportReport:
    """Write one Prodigy task per article to the file ``out_path``.

    All statuses are written by default (``statuses`` restricts them; the others are counted
    in ``report.excluded``, which starts from ``excluded``); pending articles have no
    ``answer`` key. Problem spans are still written (character offsets kept, token bounds from
    the ``expand`` alignment) and listed in ``report.misaligned``; with ``strict=True`` any
    problem raises :class:`ExportError` and nothing is written. Articles with an
    ``input_hash`` already written are skipped (``report.duplicates_skipped``).

    The file is written under a temporary name in the same folder and renamed at the end.
    """
    t0 = time.perf_counter()
    out_path = Path(out_path)
    nlp = get_nlp(nlp_or_lang)
    make_doc = tokenize(nlp)
    max_length = getattr(nlp, "max_length", 0) or 0
    report = base_report("jsonl", nlp, excluded)
    allowed = frozenset(statuses) if statuses is not None else None
    seen: set[str] = set()
    n_articles = n_spans = n_partial = n_linked = 0
    labels: dict[str, int] = {}
    total = total_of(articles)
    done = 0
    digest = hashlib.sha256()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
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
                if len(art.text) > max_length > 0:
                    report.warnings.append(long_article_warning(art, max_length))
                tasks = choice_tasks(art)
                if tasks is None:
                    task, spans = _task(art, make_doc(art.text), report.misaligned)
                    tasks = [task]
                else:
                    spans = [{"label": s.label, **({"kb_id": s.kb_id} if s.kb_id else {})}
                             for s in art.spans]  # fmt: skip
                for task in tasks:
                    line = (json.dumps(task, ensure_ascii=False, separators=(",", ":"))
                            + "\n").encode()  # fmt: skip
                    fh.write(line)
                    digest.update(line)
                n_articles += 1
                n_spans += len(spans)
                n_partial += art.annotation == "partial"
                for sp in spans:
                    labels[sp["label"]] = labels.get(sp["label"], 0) + 1
                    n_linked += "kb_id" in sp
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o644)
        if on_progress is not None:
            on_progress(done, total)
        report.counts = {"all": {"articles": n_articles, "spans": n_spans}}
        report.labels = {"all": dict(sorted(labels.items()))}
        report.partial = {"all": n_partial}
        report.linked = {"all": n_linked}
        if report.misaligned:
            kinds = ", ".join(f"{n} {PROBLEM_KINDS.get(k, k)}" for k, n in report.problems.items())
            report.warnings.append(
                f"{plural(len(report.misaligned), 'span has', 'spans have')} a problem "
                f"({kinds}; see 'misaligned'); they are written as they are"
            )
        if strict and report.misaligned:
            raise ExportError(fail_message(report.misaligned), report)
        os.replace(tmp, out_path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    report.files = [str(out_path)]
    report.checksums = {out_path.name: digest.hexdigest()}
    report.seconds = round(time.perf_counter() - t0, 3)
    return report
