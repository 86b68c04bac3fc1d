"""Corrections per text as the model learns: a simulated annotator replays a gold file.

For each text of a gold Prodigy JSONL file, in order, the suggestions are computed by the
same code the window uses (`SuggestionService.compute`: the model's and the patterns'
spans, the project's own decisions, merged); the annotator's corrections against gold are
counted (a wrong suggestion deleted = 1, a wrong label = 1, a wrong boundary = 1, a missing
span added = 1); then the gold spans are accepted through the store, and every N accepted
texts a model is trained (`annotator.core.train`, the path the window's Train action
runs) and used from then on when it beats the one in use.

The same run replays "patterns only" (patterns, no model, no decisions) and counts
"manual" (every gold span added by hand) for the same texts. Prints JSON.

    uv run python bench/bench_effort.py GOLD.jsonl [--patterns P.jsonl] [--every 100]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.core.formats import read_file  # noqa: E402
from annotator.core.project import Project  # noqa: E402
from annotator.core.records import ArticleRecord, Span  # noqa: E402
from annotator.core.suggest.service import SuggestionService  # noqa: E402
from annotator.core.train.scoring import corrections  # noqa: E402


def read_gold(path: Path) -> list[tuple[str, list[Span]]]:
    gold = []
    for item in read_file(path):
        r = item.record
        if r is not None and r.status == "accepted" and r.annotation == "complete":
            gold.append((r.text, [Span(s.start, s.end, s.label, "human") for s in r.spans]))
    return gold


def replay(gold, folder: Path, name: str, *, model, patterns, decisions: bool, every: int,
           max_minutes: float | None) -> dict:  # fmt: skip
    from annotator.core.train import registry
    from annotator.core.train.trainer import TrainOptions, train_ner

    project = Project(folder / f"{name}.annotator.db")
    labels = sorted({s.label for _, spans in gold for s in spans})
    project.ensure_labels(labels)
    project.set_setting("model", model)
    if patterns:
        project.set_setting("patterns", str(patterns))
    if not decisions:
        project.set_setting("propagation_precision", None)
    ids = project.add_records([ArticleRecord(text=t) for t, _ in gold]).ids
    service = SuggestionService.from_project(project)
    service.load(project)
    per_text, trainings = [], []
    t0 = time.perf_counter()
    for n, (aid, (_, spans)) in enumerate(zip(ids, gold, strict=True), 1):
        shown = service.compute(project, aid)
        per_text.append(corrections(shown, spans))
        project.set_status(aid, "accepted", confirm=spans)
        if every and n % every == 0 and n < len(gold):
            t = time.perf_counter()
            result = train_ner(project, TrainOptions(max_minutes=max_minutes))
            record = registry.save(project, result)
            trainings.append({"after": n, "f": record.f, "activated": record.activated,
                              "seconds": round(time.perf_counter() - t, 1)})  # fmt: skip
            if record.activated:
                service = SuggestionService.from_project(project)
                service.load(project)
    project.close()
    return {"per_text": per_text, "trainings": trainings,
            "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip


def blocks(values: list[int], size: int = 100) -> list[float]:
    return [round(sum(values[i : i + size]) / len(values[i : i + size]), 3)
            for i in range(0, len(values), size)]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gold", type=Path)
    ap.add_argument("--patterns", type=Path)
    ap.add_argument("--every", type=int, default=100, help="retrain every N accepted texts")
    ap.add_argument("--limit", type=int, default=0, help="only the first N texts")
    ap.add_argument("--max-minutes", type=float, default=None, help="per training")
    ap.add_argument("--last", type=int, default=500, help="the tail the target is on")
    args = ap.parse_args()
    gold = read_gold(args.gold)
    if args.limit:
        gold = gold[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        learning = replay(gold, folder, "learning", model="auto", patterns=args.patterns,
                          decisions=True, every=args.every, max_minutes=args.max_minutes)
        patterns_only = replay(gold, folder, "patterns", model=None, patterns=args.patterns,
                               decisions=False, every=0, max_minutes=None)
    manual = [len(spans) for _, spans in gold]
    tail = slice(max(0, len(gold) - args.last), None)

    def rate(values):
        part = values[tail]
        return round(sum(part) / len(part), 4) if part else None

    out = {
        "texts": len(gold),
        "every": args.every,
        "learning": {"per_block": blocks(learning["per_text"]),
                     "total": sum(learning["per_text"]), "last": rate(learning["per_text"]),
                     "trainings": learning["trainings"], "seconds": learning["seconds"]},
        "patterns_only": {"per_block": blocks(patterns_only["per_text"]),
                          "total": sum(patterns_only["per_text"]),
                          "last": rate(patterns_only["per_text"])},
        "manual": {"per_block": blocks(manual), "total": sum(manual), "last": rate(manual)},
    }  # fmt: skip
    pl = out["patterns_only"]["last"]
    out["ratio_last_vs_patterns"] = round(out["learning"]["last"] / pl, 3) if pl else None
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
