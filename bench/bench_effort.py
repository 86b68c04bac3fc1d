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

Terms from vectors (`--terms 0,50,100,200`): before the replay, with every text imported
(pending), a simulated annotator makes N term decisions per label in a terms session
(annotator.core.terms: the seeds are the label's pattern phrases, no mention being
accepted yet); the oracle accepts a term iff its lower-cased text is that of some gold
span of the label anywhere in the corpus (a person knows whether "Uniqlo" is a brand),
else rejects it. The learning replay then runs with those terms (suggested as pattern
rules), once per budget, and "patterns + terms" (no decisions, no model) too; the gain is
against budget 0 (no terms) of the same run.

With `--terms-at K` the terms session comes after the first K texts are accepted (their
gold mentions are the seeds: a corpus without a patterns file), every budget replaying the
same first K texts.

GOLD is a Prodigy JSONL file, or `news`: the two seed articles' sentences in article order
with the gold of bench/data/seed_gold.json (bench_base.py reads them). `--seed` is the
trainings' seed.

    uv run python bench/bench_effort.py GOLD.jsonl|news [--patterns P.jsonl] [--every 100]
        [--seed 0] [--terms 0,50,100,200] [--terms-at K] [--terms-method top3]
        [--terms-reject-weight 0.5]
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


def gold_terms(gold) -> dict[str, set[str]]:
    """What the oracle knows: each label's gold mentions, lower case, anywhere."""
    from annotator.core.store.terms import term_key

    known: dict[str, set[str]] = {}
    for text, spans in gold:
        for s in spans:
            known.setdefault(s.label, set()).add(term_key(text[s.start : s.end]))
    return known


def decide_terms(project: Project, known: dict[str, set[str]], budget: int,
                 options: dict) -> dict:  # fmt: skip
    """`budget` term decisions per label by the oracle, each stored as the window stores
    it; what was accepted."""
    from annotator.core.terms import make_session

    out = {}
    for label in sorted(known):
        t = time.perf_counter()
        session = make_session(project, label, **options)
        built = time.perf_counter() - t
        accepted, decided = [], 0
        while decided < budget:
            candidate = session.next()
            if candidate is None:
                break
            decision = "accept" if candidate.key in known[label] else "reject"
            project.decide_terms(label, candidate.text, decision, "oracle")
            session.decided(candidate.text, decision)
            decided += 1
            if decision == "accept":
                accepted.append(candidate.text)
        out[label] = {"seeds": session.seed_count, "decided": decided,
                      "accepted": len(accepted), "terms": accepted,
                      "session_seconds": round(built, 1),
                      "seconds": round(time.perf_counter() - t, 1)}  # fmt: skip
    return out


def replay(gold, folder: Path, name: str, *, model, patterns, decisions: bool, every: int,
           max_minutes: float | None, terms: int = 0, known: dict | None = None,
           term_options: dict | None = None, terms_at: int = 0, seed: int = 0
           ) -> dict:  # fmt: skip
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
    chosen = None
    if terms and not terms_at:
        chosen = decide_terms(project, known or {}, terms, term_options or {})
    service = SuggestionService.from_project(project)
    service.load(project)
    per_text, trainings = [], []
    t0 = time.perf_counter()
    for n, (aid, (_, spans)) in enumerate(zip(ids, gold, strict=True), 1):
        shown = service.compute(project, aid)
        per_text.append(corrections(shown, spans))
        project.set_status(aid, "accepted", confirm=spans)
        if terms and n == terms_at:  # seeds: the mentions accepted so far
            chosen = decide_terms(project, known or {}, terms, term_options or {})
            service = SuggestionService.from_project(project)
            service.load(project)
        if every and n % every == 0 and n < len(gold):
            t = time.perf_counter()
            result = train_ner(project, TrainOptions(max_minutes=max_minutes, seed=seed))
            record = registry.save(project, result)
            trainings.append({"after": n, "f": record.f, "activated": record.activated,
                              "seconds": round(time.perf_counter() - t, 1)})  # fmt: skip
            if record.activated:
                service = SuggestionService.from_project(project)
                service.load(project)
    project.close()
    return {"per_text": per_text, "trainings": trainings, "terms": chosen,
            "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip


def blocks(values: list[int], size: int = 100) -> list[float]:
    return [round(sum(values[i : i + size]) / len(values[i : i + size]), 3)
            for i in range(0, len(values), size)]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gold", type=Path, help="a Prodigy JSONL file, or news")
    ap.add_argument("--patterns", type=Path)
    ap.add_argument("--every", type=int, default=100, help="retrain every N accepted texts")
    ap.add_argument("--limit", type=int, default=0, help="only the first N texts")
    ap.add_argument("--max-minutes", type=float, default=None, help="per training")
    ap.add_argument("--last", type=int, default=500, help="the tail the target is on")
    ap.add_argument("--seed", type=int, default=0, help="the trainings' seed")
    ap.add_argument("--terms-at", type=int, default=0,
                    help="the terms session after the first N texts (seeds: their mentions)")
    ap.add_argument("--terms", default="", help="term budgets per label, e.g. 0,50,100,200")
    ap.add_argument("--terms-method", default="top3", help="top3, max or centroid")
    ap.add_argument("--terms-reject-weight", type=float, default=None)
    ap.add_argument("--terms-anywhere", action="store_true",
                    help="also words of the vector table that are not in the articles")
    ap.add_argument("--no-patterns-terms", action="store_true",
                    help="skip the patterns + terms replays")
    args = ap.parse_args()
    if str(args.gold) == "news":
        from bench_base import news_gold

        gold = [(t, [Span(s.start, s.end, s.label, "human") for s in spans])
                for t, spans in news_gold()[0]]  # fmt: skip
    else:
        gold = read_gold(args.gold)
    if args.limit:
        gold = gold[: args.limit]
    budgets = [int(b) for b in args.terms.split(",") if b.strip()]
    options: dict = {"method": args.terms_method, "anywhere": args.terms_anywhere}
    if args.terms_reject_weight is not None:
        options["reject_weight"] = args.terms_reject_weight
    known = gold_terms(gold)
    tail = slice(max(0, len(gold) - args.last), None)

    def rate(values):
        part = values[tail]
        return round(sum(part) / len(part), 4) if part else None

    def summary(run: dict) -> dict:
        out = {"per_block": blocks(run["per_text"]), "total": sum(run["per_text"]),
               "last": rate(run["per_text"]), "seconds": run["seconds"]}  # fmt: skip
        if run["trainings"]:
            out["trainings"] = run["trainings"]
        if run.get("terms"):
            out["terms"] = run["terms"]
        return out

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = {}
        for budget in budgets or [0]:
            runs[budget] = replay(gold, folder, f"learning-{budget}", model="auto",
                                  patterns=args.patterns, decisions=True, every=args.every,
                                  max_minutes=args.max_minutes, terms=budget, known=known,
                                  term_options=options, terms_at=args.terms_at,
                                  seed=args.seed)  # fmt: skip
        patterns_only = replay(gold, folder, "patterns", model=None, patterns=args.patterns,
                               decisions=False, every=0, max_minutes=None)
        with_terms = {} if args.no_patterns_terms else {
            b: replay(gold, folder, f"patterns-terms-{b}", model=None, patterns=args.patterns,
                      decisions=False, every=0, max_minutes=None, terms=b, known=known,
                      term_options=options, terms_at=args.terms_at)
            for b in budgets if b}  # fmt: skip
    manual = [len(spans) for _, spans in gold]
    out: dict = {
        "texts": len(gold),
        "every": args.every,
        "seed": args.seed,
        "learning": summary(runs[budgets[0] if budgets else 0]),
        "patterns_only": summary(patterns_only),
        "manual": {"per_block": blocks(manual), "total": sum(manual), "last": rate(manual)},
    }  # fmt: skip
    pl = out["patterns_only"]["last"]
    out["ratio_last_vs_patterns"] = round(out["learning"]["last"] / pl, 3) if pl else None
    if budgets:
        del out["learning"], out["ratio_last_vs_patterns"]
        base = rate(runs[0]["per_text"]) if 0 in runs else None
        out["terms"] = {"options": options, "budgets": {}}
        for b in budgets:
            s = summary(runs[b])
            row: dict = {"learning": s,
                         "ratio_last_vs_patterns": round(s["last"] / pl, 3) if pl else None}
            if base is not None:
                row["gain_last"] = round(base - s["last"], 4)
            if b in with_terms:
                row["patterns_and_terms"] = summary(with_terms[b])
            out["terms"]["budgets"][b] = row
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
