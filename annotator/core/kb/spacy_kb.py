"""The project's knowledge base as a spaCy `InMemoryLookupKB`, for training `entity_linker`.

Every entity goes in, with
- its frequency: how many spans of accepted articles are linked to it, at least 1;
- its vector: the mean of the word vectors of its name and description. Which vectors:
  `vectors="auto"` takes the pipeline's own when it has some, else en_core_web_md's when
  that model is installed (300 dimensions), else a hashing trick (`HASH_DIMS`
  dimensions: each lower-cased word adds ±1 at two hashed positions, then the sum is
  scaled to length 1); `"hash"` forces the hashing trick, any other value names the
  model or folder whose vectors to use.

The aliases are every alias of the knowledge base and every text of an accepted linked
span (spaCy's candidate generator looks a mention's exact text up). An alias linked in
accepted articles gives each of its entities the share of those links that chose it
(entities it names that were never chosen for it: 0); an alias never linked is uniform
over its entities. Links to NIL, or to an entity no longer in the knowledge base, are not
used (counted in the report).

The folder is written beside its destination and renamed into place; an existing folder
is replaced only if it is empty or an earlier knowledge-base export (it holds
`kb_manifest.json`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import ProjectError
from ..store.kb import KnowledgeBase
from ..wording import plural

HASH_DIMS = 64
MANIFEST = "kb_manifest.json"


@dataclass
class SpacyKbReport:
    out: str
    entities: int
    aliases: int
    vector_length: int
    vectors: str  # where the entity vectors came from: "hash", a model name or path
    links_used: int  # links of accepted articles that set priors and frequencies
    links_unknown: int  # links to an entity not in the knowledge base (not used)

    def summary(self) -> str:
        return (f"wrote {self.entities:,} entities and {self.aliases:,} aliases to {self.out} "
                f"(entity vectors: {self.vectors}, {self.vector_length} dimensions; "
                f"{plural(self.links_used, 'accepted link')})")  # fmt: skip


def write_spacy_kb(project, out_dir: str | Path, nlp=None, *, vectors: str = "auto"
                   ) -> SpacyKbReport:  # fmt: skip
    """Build an `InMemoryLookupKB` on `nlp.vocab` (a blank pipeline of the project's
    language when None) and write it to `out_dir` with `kb.to_disk`."""
    import numpy
    import spacy
    from spacy.kb import InMemoryLookupKB

    out = Path(out_dir)
    _check_destination(out)
    kb_store: KnowledgeBase = project.kb
    if kb_store.count()[0] == 0:
        raise ProjectError("the knowledge base is empty: add entities first "
                           "(annotator kb add FILE)")  # fmt: skip
    if nlp is None:
        nlp = spacy.blank(project.language)
    vectorise, source, dims = _vectoriser(nlp, vectors)

    links: dict[str, Counter[str]] = defaultdict(Counter)
    frequency: Counter[str] = Counter()
    known_ids = set()
    for entity in kb_store.iterate():
        known_ids.add(entity.id)
    unknown = used = 0
    for span in kb_store.linked_spans(("accepted",)):
        if span.kb_id not in known_ids:
            unknown += 1
            continue
        used += 1
        links[span.text][span.kb_id] += 1
        frequency[span.kb_id] += 1
    entity_ids, freqs = [], []
    vecs = numpy.zeros((len(known_ids), dims), dtype="float32")  # 120 MB at 100,000 × 300
    for i, entity in enumerate(kb_store.iterate()):
        vecs[i] = vectorise(f"{entity.name} {entity.description}".strip())
        entity_ids.append(entity.id)
        freqs.append(float(max(1, frequency[entity.id])))
    kb = InMemoryLookupKB(nlp.vocab, entity_vector_length=dims)
    kb.set_entities(entity_ids, freqs, vecs[: len(entity_ids)])
    del vecs

    aliases = 0

    def add(alias: str, names: set[str]) -> None:
        nonlocal aliases
        chosen = links.pop(alias, None)
        ents = sorted(names | set(chosen or ()))
        if chosen:
            total = sum(chosen.values())
            probs = [chosen.get(e, 0) / total for e in ents]
        else:
            probs = [1 / len(ents)] * len(ents)
        kb.add_alias(alias=alias, entities=ents, probabilities=probs)
        aliases += 1

    current, names = None, set()
    for alias, entity_id in kb_store.alias_table():
        if alias != current:
            if current is not None:
                add(current, names)
            current, names = alias, set()
        names.add(entity_id)
    if current is not None:
        add(current, names)
    for alias in sorted(links):  # texts linked in articles that are no alias of the KB
        if alias.strip():
            add(alias, set())

    report = SpacyKbReport(str(out), len(entity_ids), aliases, dims, source, used, unknown)
    _write(kb, out, report)
    return report


def _vectoriser(nlp, vectors: str):
    """(text -> vector, where the vectors come from, their length)."""
    if vectors == "hash":
        return _hashed, "hash", HASH_DIMS
    if vectors == "auto" and nlp.vocab.vectors.shape[1] > 0:
        return (_mean_of(nlp), nlp.meta.get("name", "the pipeline's vectors"),
                nlp.vocab.vectors.shape[1])  # fmt: skip
    model = None
    if vectors == "auto":
        from ..suggest.models import NoModelError, resolve_model

        try:
            model = resolve_model("en_core_web_md")
        except NoModelError:
            return _hashed, "hash", HASH_DIMS
    else:
        from ..suggest.models import resolve_model

        model = resolve_model(vectors)
    import spacy

    source_nlp = spacy.load(model, exclude=["tok2vec", "tagger", "parser", "senter", "ner",
                                            "attribute_ruler", "lemmatizer"])  # fmt: skip
    if source_nlp.vocab.vectors.shape[1] == 0:
        raise ProjectError(f"{vectors}: this pipeline has no word vectors")
    return (_mean_of(source_nlp), "en_core_web_md" if vectors == "auto" else vectors,
            source_nlp.vocab.vectors.shape[1])  # fmt: skip


def _mean_of(nlp):
    import numpy

    width = nlp.vocab.vectors.shape[1]

    def vectorise(text: str):
        rows = [t.vector for t in nlp.make_doc(text) if t.has_vector]
        if not rows:  # no word has a vector: the hashing trick, spread over the width
            return _hashed(text, width)
        return numpy.mean(rows, axis=0)

    return vectorise


def _hashed(text: str, dims: int = HASH_DIMS) -> list[float]:
    import mmh3

    vector = [0.0] * dims
    for word in text.lower().split() or [""]:
        for seed in (0, 1):
            h = mmh3.hash(word, seed)
            vector[h % dims] += 1.0 if (h >> 16) & 1 else -1.0
    length = sum(v * v for v in vector) ** 0.5 or 1.0
    return [v / length for v in vector]


def _check_destination(out: Path) -> None:
    if out.is_symlink() and not out.exists():
        raise ProjectError(f"{out}: a link to nothing; choose another --out")
    if out.exists():
        if not out.is_dir():
            raise ProjectError(f"{out}: a file is there; choose a folder for the knowledge base")
        if any(out.iterdir()) and not (out / MANIFEST).is_file():
            raise ProjectError(f"{out}: a folder with other files in it; choose an empty or "
                               "new folder")  # fmt: skip
        if out.resolve() == Path.cwd().resolve():
            raise ProjectError(f"{out}: the folder you are in; choose another --out")


def _write(kb, out: Path, report: SpacyKbReport) -> None:
    """Written beside `out`, renamed into place; an earlier export there is replaced."""
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        kb.to_disk(tmp)
        (tmp / MANIFEST).write_text(json.dumps(asdict(report), indent=2) + "\n",
                                    encoding="utf-8")  # fmt: skip
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
            out.rename(old / "kb")
        try:
            tmp.rename(out)
        except BaseException:
            if old is not None:
                (old / "kb").rename(out)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
