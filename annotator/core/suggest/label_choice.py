"""Which labels a new project starts with.

A project with no labels yet is offered the labels its suggestions could give: the model's
(read from its meta, never loading it) and the patterns file's, after the label map, each
with spaCy's description. The common news labels and every pattern label are preselected,
so `en_core_web_sm` no longer brings all 18 OntoNotes labels into a project that wants four.
The window shows these as checkboxes; the CLI takes the preselected ones and says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import LabelNameError
from ..store.labels import checked_name
from .models import ModelError, model_info, resolve_model
from .patterns import PatternsError, read_patterns

# Preselected when the model has them (the rest are offered, unticked).
DEFAULT_CHOICE = ("PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT")


@dataclass(frozen=True, slots=True)
class LabelChoice:
    name: str
    description: str  # spacy.explain's, or where the label comes from
    source: str  # "model", "patterns" or "model, patterns"
    chosen: bool  # preselected


def describe(name: str) -> str:
    """spaCy's description of a label ("" for labels of one's own, without its warning)."""
    import warnings

    import spacy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spacy.explain(name) or ""


def label_choices(model_labels: Iterable[str], pattern_labels: Iterable[str],
                  label_map: Mapping[str, str] | None = None) -> list[LabelChoice]:  # fmt: skip
    """The labels to offer, preselected first (in DEFAULT_CHOICE order, then the patterns'),
    then the model's other labels in its own order. When nothing would be preselected (a
    model trained on labels of its own), every label is."""
    from .service import PREFERRED_LABELS

    mapping = dict(label_map or {})
    sources: dict[str, list[str]] = {}
    for source, labels in (("model", model_labels), ("patterns", pattern_labels)):
        for raw in labels:
            name = mapping.get(raw, raw)
            try:
                name = checked_name(name)
            except LabelNameError:
                continue  # the store would refuse it: nothing to offer
            kinds = sources.setdefault(name, [])
            if source not in kinds:
                kinds.append(source)
    chosen = {n for n, kinds in sources.items() if n in DEFAULT_CHOICE or "patterns" in kinds}
    if not chosen:
        chosen = set(sources)

    def rank(name: str) -> tuple:
        common = PREFERRED_LABELS.index(name) if name in PREFERRED_LABELS else len(PREFERRED_LABELS)
        return (name not in chosen, common, name)

    out = []
    for name in sorted(sources, key=rank):
        kinds = sources[name]
        text = describe(name) or ("from the patterns file" if kinds == ["patterns"] else "")
        out.append(LabelChoice(name, text, ", ".join(kinds), name in chosen))
    return out


def project_label_choices(model: str | None, patterns: str | Path | None,
                          label_map: Mapping[str, str] | None = None
                          ) -> tuple[list[LabelChoice], str]:  # fmt: skip
    """The choices for a project's settings, and the model's name ("" without one). Cheap:
    the model's labels come from its meta.json; a model or patterns file that cannot be
    read offers nothing (the suggester says why when it loads)."""
    from .engine import AUTO, no_model_chosen

    model_labels: tuple[str, ...] = ()
    name = ""
    if not no_model_chosen(model):
        try:
            chosen = None if str(model).strip().lower() == AUTO else str(model).strip()
            resolved = resolve_model(chosen)
            if resolved is not None:
                info = model_info(resolved)
                model_labels, name = info.labels, info.name
        except ModelError:
            pass
    pattern_labels: list[str] = []
    if patterns and Path(patterns).is_file():
        try:
            pattern_labels = [p["label"] for p in read_patterns(patterns)]
        except (PatternsError, OSError, KeyError, TypeError):
            pass
    return label_choices(model_labels, pattern_labels, label_map), name
