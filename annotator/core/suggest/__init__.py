"""Suggestions: spans pre-highlighted for the annotator (Qt-free; only `service` touches
the project file).

- :mod:`.models`    find and load a spaCy pipeline, NER only
- :mod:`.patterns`  pattern rules (EntityRuler JSONL), matched by spaCy's EntityRuler
- :mod:`.propagate` the project's own accepted mentions, found again in other articles
- :mod:`.merge`     one non-overlapping list from several sources; label map and set
- :mod:`.align`     snapping to the export tokenizer's token boundaries
- :mod:`.pieces`    long texts in pieces (spaCy's max_length), tokenized like the whole
- :mod:`.engine`    :class:`Suggester` (model + patterns, cacheable) and :func:`finalize`
- :mod:`.service`   a project's Suggester from its settings, `suggest_pending`, and the
                    window's SuggestionService
"""

from .align import align_spans, snap_to_tokens
from .engine import ENGINE_VERSION, Suggester, finalize, no_model_chosen, use_fork
from .merge import DEFAULT_ORDER, apply_label_map, group_by_source, merge, relabel
from .models import (
    DEFAULT_MODELS,
    ModelError,
    ModelInfo,
    NoModelError,
    load_ner,
    model_info,
    resolve_model,
)
from .patterns import (
    REGEX_BUDGET,
    PatternMatcher,
    PatternsError,
    load_patterns,
    patterns_fingerprint,
)
from .pieces import PIECE_CHARS, make_doc, split_text
from .propagate import DecisionIndex

__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_ORDER",
    "ENGINE_VERSION",
    "DecisionIndex",
    "ModelError",
    "ModelInfo",
    "NoModelError",
    "PIECE_CHARS",
    "PatternMatcher",
    "PatternsError",
    "REGEX_BUDGET",
    "Suggester",
    "align_spans",
    "apply_label_map",
    "finalize",
    "group_by_source",
    "load_ner",
    "load_patterns",
    "make_doc",
    "merge",
    "model_info",
    "no_model_chosen",
    "patterns_fingerprint",
    "relabel",
    "resolve_model",
    "snap_to_tokens",
    "split_text",
    "use_fork",
]
