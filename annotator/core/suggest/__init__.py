"""Suggestions: spans pre-highlighted for the annotator (Qt-free, database-free).

- :mod:`.models`    find and load a spaCy pipeline, NER only
- :mod:`.patterns`  pattern rules (EntityRuler JSONL), matched by spaCy's EntityRuler
- :mod:`.propagate` the project's own accepted mentions, found again in other articles
- :mod:`.merge`     one non-overlapping list from several sources; label map and set
- :mod:`.align`     snapping to the export tokenizer's token boundaries
- :mod:`.engine`    :class:`Suggester` (model + patterns, cacheable) and :func:`finalize`
"""

from .align import align_spans, snap_to_tokens
from .engine import ENGINE_VERSION, Suggester, finalize
from .merge import DEFAULT_ORDER, apply_label_map, group_by_source, merge
from .models import (
    DEFAULT_MODELS,
    ModelError,
    ModelInfo,
    NoModelError,
    load_ner,
    model_info,
    resolve_model,
)
from .patterns import PatternMatcher, PatternsError, load_patterns, patterns_fingerprint
from .propagate import DecisionIndex

__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_ORDER",
    "ENGINE_VERSION",
    "DecisionIndex",
    "ModelError",
    "ModelInfo",
    "NoModelError",
    "PatternMatcher",
    "PatternsError",
    "Suggester",
    "align_spans",
    "apply_label_map",
    "finalize",
    "group_by_source",
    "load_ner",
    "load_patterns",
    "merge",
    "model_info",
    "patterns_fingerprint",
    "resolve_model",
    "snap_to_tokens",
]
