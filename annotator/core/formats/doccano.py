"""doccano JSONL lines as records.

A doccano line has `label`, `labels` or `entities`, as `[start, end, "LABEL"]` triples or
`{"start_offset", "end_offset", "label"}` objects; old exports have `data` instead of
`text`. doccano has no review status, so these records are imported as *pending* with
their spans as suggestions: the annotator reviews them.
"""

from __future__ import annotations

from typing import Any

from ..records import ArticleRecord
from .items import RecordError
from .json_records import JsonArticle, RawSpan, kind, raw_span, show

KEYS = ("label", "labels", "entities")


def is_doccano(obj: dict, prodigy_keys: frozenset[str]) -> bool:
    """A doccano line: a span key of doccano's and none of Prodigy's."""
    return not (prodigy_keys & obj.keys()) and any(k in obj for k in KEYS)


def record(obj: dict, article: JsonArticle) -> ArticleRecord:
    key = next(k for k in KEYS if k in obj)
    spans = article.spans(_spans(obj[key], key))
    return article.record("pending", suggestions=spans)


def _spans(value: Any, key: str) -> list[RawSpan]:
    if not isinstance(value, list):
        raise RecordError(f"'{key}' must be a list, got {kind(value)}")
    spans = []
    for number, item in enumerate(value, 1):
        if isinstance(item, list) and len(item) == 3:
            spans.append(raw_span(number, *item))
        elif isinstance(item, dict) and {"start_offset", "end_offset", "label"} <= item.keys():
            spans.append(raw_span(number, item["start_offset"], item["end_offset"], item["label"]))
        else:
            raise RecordError(
                f"span {number} in '{key}' must be [start, end, label] or an object with"
                f" start_offset, end_offset and label, got {show(item)}"
            )
    return spans
