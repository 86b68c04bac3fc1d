"""The project's accepted articles as spaCy Examples, split as export splits them.

An article's set (train or dev) is the same stable function of its text that export uses
(`split.is_dev` with the project's `dev_split` and `split_seed` settings), so a model is
never evaluated on an article it was trained on, however often it is retrained. Complete
annotations mark every other token as outside; partial ones (Prodigy binary answers) mark
them missing. Spans come from the store, which keeps them on token boundaries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..records import Span
from ..split import is_dev

SpanSet = set[tuple[int, int, str]]


@dataclass
class TrainingSet:
    train: list = field(default_factory=list)  # spacy.training.Example
    dev: list = field(default_factory=list)
    dev_gold: list[tuple[str, SpanSet]] = field(default_factory=list)  # complete dev articles
    labels: list[str] = field(default_factory=list)
    train_texts: list[str] = field(default_factory=list)

    @property
    def articles(self) -> int:
        return len(self.train) + len(self.dev)


def example(nlp, text: str, spans: Iterable[Span], complete: bool = True):
    """A spaCy Example whose reference holds `spans` as entities."""
    from spacy.training import Example

    reference = nlp.tokenizer(text)  # the tokenizer alone has no max_length
    ents = [reference.char_span(s.start, s.end, s.label) for s in spans]
    reference.set_ents([e for e in ents if e is not None],
                       default="outside" if complete else "missing")  # fmt: skip
    return Example(nlp.tokenizer(text), reference)


def training_set(project, nlp, dev_split: float | None = None, seed: int | None = None
                 ) -> TrainingSet:  # fmt: skip
    dev_split = project.get_setting("dev_split", 0.2) if dev_split is None else dev_split
    seed = project.get_setting("split_seed", 0) if seed is None else seed
    out = TrainingSet(labels=project.label_names())
    for art, spans in project.iter_articles_with_spans(["accepted"]):
        complete = art.annotation == "complete"
        eg = example(nlp, art.text, spans, complete)
        if is_dev(art.input_hash, dev_split, seed):
            out.dev.append(eg)
            if complete:
                out.dev_gold.append((art.text, {(s.start, s.end, s.label) for s in spans}))
        else:
            out.train.append(eg)
            out.train_texts.append(art.text)
    return out


def rehearsal(nlp, base_spans: Callable[[list[str]], list[list[Span]]], texts: list[str]
              ) -> list:  # fmt: skip
    """Examples that keep a fine-tuned model close to its base where the annotator said
    nothing: the base model's own entities on texts nobody annotated (pending ones). Every
    other token is *missing*, not "outside": the base's silence is no evidence, and for a
    label the base does not know (FASHION_BRAND on en_core_web_md) "outside" would teach
    the model to miss it. A text where the base found none of the project's labels would
    be missing throughout, which teaches nothing and costs a pass: it is left out (for a
    project whose labels are all new to the base, every text is)."""
    return [example(nlp, text, spans, complete=False)
            for text, spans in zip(texts, base_spans(texts), strict=True) if spans]  # fmt: skip


def subset(examples: list, texts: list[str], fraction: float, seed: int
           ) -> tuple[list, list[str]]:  # fmt: skip
    """A share of the training examples (the learning curve), the same for the same seed;
    nested: a smaller share is part of a larger one."""
    import random

    if fraction >= 1:
        return examples, texts
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    kept = sorted(order[: max(1, round(fraction * len(order)))])
    return [examples[i] for i in kept], [texts[i] for i in kept]
