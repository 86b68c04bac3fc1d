"""Prodigy tasks (one JSON object each) as records, by what kind of task they are.

The kind is the task's `_view_id`:
- `ner_manual`, `spans_manual`, `relations`, `review`, or none (any task with `text`, e.g.
  `tokens` + `spans`): a complete annotation. `answer` accept/reject/ignore ->
  accepted/rejected/skipped with the spans in `record.spans`; no answer -> pending with
  the spans in `record.suggestions`.
- `ner` (binary, from ner.teach): the answer is about the task's span(s) only, so the
  record is a *partial* annotation: accept -> accepted with the span in `spans`; reject ->
  accepted with the span in `rejected`; ignore -> skipped with the span as a suggestion.
  Unanswered -> pending with the span as a suggestion, to be annotated in full.
- `choice` with spans and `options` that each have a string `id`: entity linking (the
  recipes write one task per mention, its span in `spans`, the candidate entities in
  `options`, Prodigy's NIL options as ids starting with "NIL", e.g. `NIL_otherLink`,
  `NIL_ambiguous`; the annotator's choice in `accept`). Like a binary `ner` task it is
  about its mention only, so the record is *partial*, and several tasks on one text merge
  into one article with several linked spans. The link is the chosen option's id (a NIL
  option gives NIL; no option chosen: not linked):
  accept -> accepted, the span linked;
  reject -> accepted, the span in `rejected` (the question itself was wrong: the
  highlighted words are not a mention to link);
  ignore -> skipped, the span a suggestion with the chosen link (if any) suggested;
  unanswered -> pending, likewise.
  The task itself (options, html, its meta, hashes, every other key: all but its text) is
  kept in the article's meta under `CHOICE_TASKS`, so that JSONL export writes the tasks
  back in the same form (prodigy_tasks.py). More than one option accepted is a bad record.
- other `choice` tasks (classification: the answer is about an option, not the spans):
  pending, its spans as suggestions; the answer and the chosen options go to
  `meta["prodigy"]` so that nothing is lost.
- any other view id: treated like `choice` if the task has spans, else a bad record.

Any task's span may carry `kb_id` (the entity it names, as Prodigy and spaCy call it):
kept with the span (`Span.kb_id`).

A task of Prodigy's `review` recipe (`_view_id` "review", or any non-binary task with a
`versions` list: review --auto-accept stores the texts all annotators agreed on as a copy
of the first annotator's task) is a complete annotation by the reviewer, and its versions
are the annotators': a version is credited to every session in its `sessions` (annotators
who agreed share one version).
"""

from __future__ import annotations

import json
from typing import Any

from ..records import CHOICE_TASKS, NIL, ArticleRecord
from .items import RecordError
from .json_records import JsonArticle, RawSpan, check_unicode, is_int, kind, raw_span, show

KEYS = frozenset({"spans", "answer", "tokens", "_input_hash", "_task_hash", "_view_id",
                  "_annotator_id", "_session_id", "versions"})  # fmt: skip
ANSWER_STATUS = {"accept": "accepted", "reject": "rejected", "ignore": "skipped"}
COMPLETE_VIEWS = ("ner_manual", "spans_manual", "relations", "review")
BINARY_VIEW = "ner"
CHOICE_VIEW = "choice"
_KEPT = ("accept", "label", "options")  # what a choice-like task keeps in meta, if present
AUTO_REVIEW = "review --auto-accept"  # the reviewer of texts Prodigy's review accepted itself


def record(obj: dict, article: JsonArticle) -> ArticleRecord:
    """`obj` is a Prodigy task whose text, title and meta `article` holds."""
    view = obj.get("_view_id")
    if view is not None and not isinstance(view, str):
        raise RecordError(f"'_view_id' must be a string, got {kind(view)}")
    raw = _spans(obj.get("spans", []))
    status = _status(obj.get("answer"))
    hashes = _int_or_none(obj.get("_input_hash")), _int_or_none(obj.get("_task_hash"))
    review = view != BINARY_VIEW and is_review(obj)
    if view is None or view in COMPLETE_VIEWS or review:
        spans = article.spans(raw, overlap=status != "accepted")
        if status == "pending":
            return article.record(status, hashes, suggestions=spans)
        versions = _versions(obj, article) if review else []
        # Prodigy's review --auto-accept stores the texts all annotators agreed on itself,
        # as a copy of the first annotator's task (its _view_id and _annotator_id): the
        # review is nobody's then.
        who = annotator_of(obj) if view == "review" or not versions else AUTO_REVIEW
        return article.record(status, hashes, spans=spans, annotator_id=who, versions=versions)
    if view == BINARY_VIEW:
        spans = article.spans(raw, overlap=status != "accepted")
        if status == "pending":
            return article.record(status, hashes, suggestions=spans)
        lists = {"accepted": "spans", "rejected": "rejected", "skipped": "suggestions"}
        status_now = "skipped" if status == "skipped" else "accepted"
        fields = {lists[status]: spans}
        return article.record(status_now, hashes, annotation="partial", **fields)
    if view == CHOICE_VIEW and is_linking(obj, raw):
        return _linking(obj, raw, status, hashes, article)
    if view != CHOICE_VIEW and not raw:
        raise RecordError(
            f"a Prodigy {show(view)} task with no spans is not an entity annotation"
            f" (expected {', '.join(COMPLETE_VIEWS)},"
            f" {BINARY_VIEW} or {CHOICE_VIEW})"
        )
    kept = {"view_id": view, "answer": obj.get("answer"), "accept": []}
    kept.update((key, obj[key]) for key in _KEPT if key in obj)
    meta = dict(article.meta)
    meta["prodigy" if "prodigy" not in meta else "prodigy_task"] = kept
    check_unicode(json.dumps(kept, ensure_ascii=False), "the task's answer or options")
    return article.record("pending", hashes, meta, suggestions=article.spans(raw))


def is_linking(obj: dict, raw: list[RawSpan]) -> bool:
    """A `choice` task of entity linking: spans, and options that each have a string id."""
    options = obj.get("options")
    return bool(raw) and isinstance(options, list) and bool(options) and all(
        isinstance(o, dict) and isinstance(o.get("id"), str) for o in options)


def link_of(option_id: str | None) -> str | None:
    """The link an option chosen gives: NIL for Prodigy's NIL options (NIL_otherLink...)."""
    if option_id is None:
        return None
    return NIL if option_id.startswith("NIL") else option_id


def _linking(obj: dict, raw: list[RawSpan], status: str, hashes, article: JsonArticle
             ) -> ArticleRecord:  # fmt: skip
    """An entity-linking `choice` task (see the module docstring)."""
    accept = obj.get("accept", [])
    if not isinstance(accept, list) or not all(isinstance(a, str) for a in accept):
        raise RecordError(f"'accept' must be a list of option ids, got {show(accept)}")
    if len(accept) > 1:
        raise RecordError(f"an entity-linking task links its mention to one entity, this one "
                          f"accepts {len(accept)} options ({show(accept)})")
    link = link_of(accept[0]) if accept else None
    if link is not None and link != NIL:
        check_unicode(link, "'accept'")
    linked = [RawSpan(s.number, s.start, s.end, s.label, link if accept else s.kb_id)
              for s in raw]  # fmt: skip
    spans = article.spans(linked)
    kept = {k: v for k, v in obj.items() if k != "text"}
    check_unicode(json.dumps(kept, ensure_ascii=False), "the task")
    meta = {**article.meta, CHOICE_TASKS: [kept]}
    if status == "accepted":
        return article.record("accepted", hashes, meta, spans=spans, annotation="partial")
    if status == "rejected":
        return article.record("accepted", hashes, meta, rejected=spans, annotation="partial")
    return article.record(status, hashes, meta, suggestions=spans, annotation="partial")


def is_review(obj: dict) -> bool:
    """A task of Prodigy's review recipe: `_view_id` "review" (reviewed in the app), or a
    `versions` list of the annotators' answers (also what review --auto-accept stores for
    the texts all annotators agreed on: those keep the first annotator's `_view_id`, and
    their `view_id` names the interface of the versions)."""
    if obj.get("_view_id") == "review" or obj.get("view_id") == "review":
        return True
    versions = obj.get("versions")
    return isinstance(versions, list) and any(
        isinstance(v, dict) and ("sessions" in v or "answer" in v) for v in versions)


def annotator_of(obj: dict) -> str:
    """Who decided a task: Prodigy's `_annotator_id`, else `_session_id` ("" if neither)."""
    for key in ("_annotator_id", "_session_id"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _versions(obj: dict, article: JsonArticle) -> list:
    """A review task's `versions`: each annotator's answer and spans."""
    value = obj.get("versions", [])
    if not isinstance(value, list):
        raise RecordError(f"'versions' must be a list, got {kind(value)}")
    out = []
    for number, version in enumerate(value, 1):
        if not isinstance(version, dict):
            raise RecordError(f"version {number} must be an object, got {kind(version)}")
        sessions = version.get("sessions")
        sessions = [n for n in sessions if isinstance(n, str)] if isinstance(sessions, list) else []
        # everyone who gave this answer: its annotator, and the sessions it merges
        names = dict.fromkeys(n for n in (annotator_of(version), *sessions) if n)
        status = _status(version.get("answer"))
        if not names or status == "pending":
            continue  # nobody to credit, or no decision: nothing to compare
        spans = article.spans(_spans(version.get("spans", [])), overlap=status != "accepted")
        out += [(name, status, spans) for name in names]
    return out


def _int_or_none(value: Any) -> int | None:
    return value if is_int(value) else None


def _status(answer: Any) -> str:
    if answer is None:
        return "pending"
    if isinstance(answer, str) and answer in ANSWER_STATUS:
        return ANSWER_STATUS[answer]
    raise RecordError(f"unknown answer {show(answer)} (expected accept, reject or ignore)")


def _spans(value: Any) -> list[RawSpan]:
    if not isinstance(value, list):
        raise RecordError(f"'spans' must be a list, got {kind(value)}")
    spans = []
    for number, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise RecordError(f"span {number} must be an object, got {kind(item)}")
        missing = [k for k in ("start", "end", "label") if k not in item]
        if missing:
            raise RecordError(f"span {number} has no {' or '.join(repr(k) for k in missing)}")
        spans.append(raw_span(number, item["start"], item["end"], item["label"],
                              item.get("kb_id")))  # fmt: skip
    return spans
