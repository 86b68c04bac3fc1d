"""Hugging Face token classification data: ``train.jsonl`` and ``dev.jsonl`` (one article a
line: ``{"id", "tokens", "ner_tags"}``), ``labels.json`` (the IOB2 tag names in index order,
``ner_tags`` are indexes into it) and ``manifest.json``.

``datasets.load_dataset("json", data_files={"train": "train.jsonl", "validation":
"dev.jsonl"})`` reads it; ``labels.json`` gives ``ClassLabel(names=...)`` /
``id2label``. Tokens, tags, split and the problem report are the CoNLL writer's
(:mod:`.conll`): the same rules, the same warnings.

Links: with ``links=True`` (the project has linked spans) each row also has ``kb_ids``, one
per token like ``ner_tags``: the entity the token's span names (an id, or ``"NIL"``), null
outside linked entities. A project without links writes the three fields only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path

from .conll import SPLITS, HashedFile, finish, iob2_links, split_docs
from .docbin import ExportArticle, ExportReport, ProgressCallback, base_report, get_nlp

LABELS_FILE = "labels.json"


def tag_names(labels: Sequence[str]) -> list[str]:
    """``O``, then ``B-X``, ``I-X`` for each label in order."""
    return ["O", *(f"{p}-{lab}" for lab in labels for p in ("B", "I"))]


def export_hf(
    articles: Iterable[ExportArticle],
    out_dir: Path,
    nlp_or_lang="en",
    dev_split: float = 0.2,
    seed: int = 0,
    strict: bool = False,
    on_progress: ProgressCallback | None = None,
    *,
    labels: Sequence[str] = (),
    statuses: Collection[str] = ("accepted",),
    excluded: Mapping[str, int] | None = None,
    links: bool = False,
) -> ExportReport:
    """Write the files of the module docstring into the new folder ``out_dir``. ``labels``
    (the project's, in its order) fix the tag indexes; a span label not among them is
    appended. ``links``: each row has ``kb_ids`` too."""
    t0 = time.perf_counter()
    nlp = get_nlp(nlp_or_lang)
    report = base_report("hf", nlp, excluded)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(dict.fromkeys(labels))
    index = {t: i for i, t in enumerate(tag_names(names))}
    files = {f"{s}.jsonl": HashedFile(out_dir / f"{s}.jsonl") for s in SPLITS}
    try:
        for split, art, doc in split_docs(articles, nlp, report, dev_split, seed, statuses,
                                          on_progress):  # fmt: skip
            rows = iob2_links(doc)
            for _text, tag, _kb in rows:
                if tag not in index:
                    names.append(tag[2:])
                    index = {t: i for i, t in enumerate(tag_names(names))}
            record = {"id": str(art.id), "tokens": [t for t, _, _ in rows],
                      "ner_tags": [index[tag] for _, tag, _ in rows]}  # fmt: skip
            if links:
                record["kb_ids"] = [kb for _, _, kb in rows]
            files[f"{split}.jsonl"].write(json.dumps(record, ensure_ascii=False) + "\n")
        files[LABELS_FILE] = HashedFile(out_dir / LABELS_FILE)
        files[LABELS_FILE].write(json.dumps(tag_names(names), ensure_ascii=False, indent=1)
                                 + "\n")  # fmt: skip
    except BaseException:
        for f in files.values():
            f.close()
        raise
    return finish(report, out_dir, files, strict, t0)
