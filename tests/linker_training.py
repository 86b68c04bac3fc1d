"""spaCy's `entity_linker` trained for a few steps on linked examples with a knowledge base
the project wrote (`annotator kb export-spacy`), as spaCy's own
test_overfitting_IO_gold_entities does; then what it predicts for texts where an entity
ruler finds the mentions."""

from __future__ import annotations

from pathlib import Path


def train_linker_and_predict(nlp, examples, kb_folder: Path, patterns: list[dict],
                             texts: list[str]) -> list[list[str]]:  # fmt: skip
    """Each text's entities' kb ids after training; fails if the loss does not fall."""
    from spacy.kb import InMemoryLookupKB

    from annotator.core.kb.spacy_kb import HASH_DIMS

    def load_kb(vocab):
        kb = InMemoryLookupKB(vocab, entity_vector_length=HASH_DIMS)
        kb.from_disk(kb_folder)
        return kb

    linker = nlp.add_pipe("entity_linker", last=True, config={"use_gold_ents": True})
    linker.set_kb(load_kb)
    optimizer = nlp.initialize(get_examples=lambda: examples)
    assert linker.model.get_dim("nO") == HASH_DIMS
    for _ in range(60):
        losses: dict[str, float] = {}
        nlp.update(examples, sgd=optimizer, losses=losses)
    assert losses["entity_linker"] < 0.01
    nlp.add_pipe("sentencizer", first=True)
    nlp.add_pipe("entity_ruler", before="entity_linker").add_patterns(patterns)
    return [[e.kb_id_ for e in nlp(text).ents] for text in texts]
