"""How long retraining takes: `annotator.core.train` on N accepted short texts.

Uses the fashion-brands Prodigy export beside this checkout (../shared/corpora) when it is
there, else synthetic news-like sentences, imported into a fresh project as accepted.
Reports, for each base asked for, the retraining time (the same path `annotator train` and
the window's Train action run: training, then saving and registering the model), the dev F
and the adoption figures, then, separately, the learning curve's time (25/50/75% of the
training articles, after the model is registered); and, as a baseline in the same run, the
time of one bare `nlp.update` pass over the same examples, so the figures can be read on a
busy machine. Prints JSON, a line per base.

    uv run python bench/bench_train.py [--texts 1000] [--base blank,vectors,en_core_web_md]
                                       [--max-minutes M] [--no-curve] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.core.importing import import_paths  # noqa: E402
from annotator.core.project import Project  # noqa: E402
from annotator.core.records import ArticleRecord, Span  # noqa: E402
from annotator.core.train import curve, registry  # noqa: E402
from annotator.core.train.trainer import TrainOptions, train_ner  # noqa: E402

CORPUS = (Path(__file__).resolve().parents[2] / "shared" / "corpora" / "prodigy-fashion-brands"
          / "fashion_brands_training.jsonl")  # fmt: skip


def synthetic(n: int) -> list[ArticleRecord]:
    rng = random.Random(0)
    names, orgs = ["Anna Berg", "Tom Kane", "Mei Lin"], ["Acme Corp", "Globex", "Initech"]
    out = []
    for i in range(n):
        who, org = rng.choice(names), rng.choice(orgs)
        text = f"{who} said {org} would hire more staff, report {i}."
        a = text.index(org)
        out.append(ArticleRecord(text=text, status="accepted",
                                 spans=[Span(0, len(who), "PERSON"),
                                        Span(a, a + len(org), "ORG")]))  # fmt: skip
    return out


def bare_epoch(project) -> tuple[float, float]:
    """One pass of nlp.update over the training examples: the floor of any training.
    (wall seconds, CPU seconds of this process)."""
    import spacy
    from spacy.training import Example

    nlp = spacy.blank(project.language)
    ner = nlp.add_pipe("ner")
    examples = []
    for art, spans in project.iter_articles_with_spans(["accepted"]):
        doc = nlp.make_doc(art.text)
        examples.append(Example.from_dict(doc, {"entities": [(s.start, s.end, s.label)
                                                             for s in spans]}))  # fmt: skip
        for s in spans:
            ner.add_label(s.label)
    optimizer = nlp.initialize(lambda: examples)
    t, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(examples), 32):
        nlp.update(examples[i : i + 32], sgd=optimizer, drop=0.1)
    return time.perf_counter() - t, time.process_time() - cpu


def retrain(project, base: str, max_minutes: float | None, with_curve: bool) -> dict:
    """What `annotator train` does, timed: train, save and register, then the curve."""
    options = TrainOptions(base=base, max_minutes=max_minutes)
    project.set_setting("model", None)  # every base against the same baseline: no model
    t, cpu = time.perf_counter(), time.process_time()
    with curve.snapshot(project) as frozen:
        result = train_ner(frozen, options)
        trained = time.perf_counter() - t
        record = registry.save(project, result, activate=False)
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        result.nlp = None
        out = {
            "base": result.base, "train_articles": result.train_articles,
            "dev_articles": result.dev_articles, "epochs": result.epochs + 1,
            "stopped": result.stopped, "f_by_epoch": [round(f, 3) for _, f in result.curve],
            "train_seconds": round(trained, 1),
            "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "dev_f": result.scores["f"],
            "suggestions_f": result.scores["suggestions"]["f"],
            "adoption": {k: result.scores["adoption"][k]
                         for k in ("with", "without", "difference", "interval", "adopt")},
        }  # fmt: skip
        if with_curve:
            t, cpu = time.perf_counter(), time.process_time()
            points = curve.learning_curve(frozen, project, record.id, options, result.seconds)
            out["curve_seconds"] = round(time.perf_counter() - t, 1)
            out["curve_cpu_seconds"] = round(time.process_time() - cpu, 1)
            out["curve"] = [{k: pt.get(k) for k in ("fraction", "train_articles", "f",
                                                    "suggestions_f", "seconds", "stopped")}
                            for pt in points] + [{"fraction": 1.0, "train_articles":
                                                  result.train_articles, "f": out["dev_f"],
                                                  "suggestions_f": out["suggestions_f"]}]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--texts", type=int, default=1000)
    ap.add_argument("--base", default="blank,vectors,en_core_web_md",
                    help="comma-separated bases, each trained in turn")
    ap.add_argument("--max-minutes", type=float, default=None)
    ap.add_argument("--no-curve", action="store_true")
    ap.add_argument("--keep", type=Path, default=None,
                    help="a new folder to keep the project and its models in (to look at)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if args.keep is None else args.keep
        folder.mkdir(parents=True, exist_ok=True)
        project = Project(folder / "bench.annotator.db")
        if CORPUS.is_file():
            import_paths(project, [CORPUS])
            source = "fashion-brands"
            keep = sorted(project.article_ids())[: args.texts]
            extra = [a for a in project.article_ids() if a not in set(keep)]
            for aid in extra:  # beyond --texts: back to pending (rehearsal text, if any)
                project.set_status(aid, "pending")
        else:
            project.add_records(synthetic(args.texts))
            source = "synthetic"
        project.set_setting("model", None)
        for base in args.base.split(","):
            load = os.getloadavg()[0]
            before = bare_epoch(project)  # the baseline on each side: the machine is shared
            out = retrain(project, base.strip(), args.max_minutes, not args.no_curve)
            after = bare_epoch(project)
            bare, bare_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
            print(json.dumps({
                "source": source, "accepted": project.counts()["accepted"], **out,
                "bare_epoch_seconds": [round(before[0], 2), round(after[0], 2)],
                "bare_epoch_cpu_seconds": [round(before[1], 2), round(after[1], 2)],
                "ratio_to_bare_epoch": round(out["seconds"] / bare, 1),
                "cpu_ratio_to_bare_epoch": round(out["cpu_seconds"] / bare_cpu, 1),
                "curve_ratio_to_training": round(out["curve_seconds"] / out["seconds"], 2)
                if "curve_seconds" in out else None,
                "load_average": [round(load, 1), round(os.getloadavg()[0], 1)],
            }), flush=True)  # fmt: skip
        project.close()


if __name__ == "__main__":
    main()
