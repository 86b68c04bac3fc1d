"""How long retraining takes: `annotator.core.train` on N accepted short texts.

Uses the fashion-brands Prodigy export beside this checkout (../shared/corpora) when it is
there, else synthetic news-like sentences, imported into a fresh project as accepted.
Reports the training time (the same path `annotator train` and the window's Train action
run), the dev F, and, as a baseline in the same run, the time of one bare `nlp.update`
pass over the same examples, so the figure can be read on a busy machine. Prints JSON.

    uv run python bench/bench_train.py [--texts 1000] [--base auto] [--max-minutes M]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.core.importing import import_paths  # noqa: E402
from annotator.core.project import Project  # noqa: E402
from annotator.core.records import ArticleRecord, Span  # noqa: E402
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


def bare_epoch(project) -> float:
    """One pass of nlp.update over the training examples: the floor of any training."""
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
    t = time.perf_counter()
    for i in range(0, len(examples), 32):
        nlp.update(examples[i : i + 32], sgd=optimizer, drop=0.1)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--texts", type=int, default=1000)
    ap.add_argument("--base", default="auto")
    ap.add_argument("--max-minutes", type=float, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Project(Path(tmp) / "bench.annotator.db")
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
        bare = bare_epoch(project)
        t = time.perf_counter()
        result = train_ner(project, TrainOptions(base=args.base, max_minutes=args.max_minutes))
        seconds = time.perf_counter() - t
        print(json.dumps({
            "source": source, "accepted": project.counts()["accepted"],
            "train_articles": result.train_articles, "dev_articles": result.dev_articles,
            "base": result.base, "epochs": result.epochs + 1, "stopped": result.stopped,
            "seconds": round(seconds, 1), "dev_f": result.scores["f"],
            "bare_epoch_seconds": round(bare, 2),
            "ratio_to_bare_epoch": round(seconds / bare, 1),
        }, indent=2))  # fmt: skip
        project.close()


if __name__ == "__main__":
    main()
