"""Inter-annotator agreement on the articles more than one annotator decided.

- Spans: pairwise F1 between two annotators' spans, exact start, end and label, on the
  articles both accepted (as Prodigy's `metric.iaa.span` and the NER literature count
  it): F1 = 2·|A ∩ B| / (|A| + |B|). Summed over articles, then over pairs (micro), overall
  and per label.
- Links: on the same articles, of the spans both annotators gave (same start, end and
  label) and both linked (an entity or NIL), the share linked to the same id; spans of
  that kind linked by one annotator only are counted beside it (`one_linked`), not in the
  share. Per pair and overall.
- Articles: agreement on accept vs reject (skips left out), Cohen's kappa for each pair
  (κ = (p_o − p_e) / (1 − p_e), p_e from each annotator's own rates) and Krippendorff's
  alpha (nominal, any number of annotators, missing decisions allowed:
  α = 1 − D_o / D_e from the coincidence matrix).
- Disagreements rank the articles by 1 − the mean pairwise F1 of spans *with* their links,
  so a version that links a mention differently is a disagreement to review.

Each figure comes with the counts behind it.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass

from ..project import Project
from ..store.versions import parse_spans

BINARY = ("accepted", "rejected")


@dataclass(frozen=True)
class SpanCounts:
    both: int = 0  # spans the two annotators gave identically
    first: int = 0  # spans of the first annotator
    second: int = 0

    @property
    def f1(self) -> float | None:
        total = self.first + self.second
        return 2 * self.both / total if total else None

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(self.both + other.both, self.first + other.first,
                          self.second + other.second)  # fmt: skip


@dataclass(frozen=True)
class LinkCounts:
    same: int = 0  # spans both gave and linked to the same id
    both_linked: int = 0  # spans both gave and both linked
    one_linked: int = 0  # spans both gave, linked by one of the two only

    @property
    def agreement(self) -> float | None:
        return self.same / self.both_linked if self.both_linked else None

    def __add__(self, other: LinkCounts) -> LinkCounts:
        return LinkCounts(self.same + other.same, self.both_linked + other.both_linked,
                          self.one_linked + other.one_linked)  # fmt: skip


def read_versions(project: Project) -> dict[int, dict[str, tuple[str, frozenset]]]:
    """{article id: {annotator: (status, spans)}} for articles with two versions or more;
    a span is (start, end, label, kb_id), kb_id None where it is not linked."""
    out: dict[int, dict[str, tuple[str, frozenset]]] = defaultdict(dict)
    for aid, who, status, spans in project.store.conn.execute(
        "SELECT article_id, annotator, status, spans FROM versions WHERE article_id IN "
        "(SELECT article_id FROM versions GROUP BY article_id HAVING count(*) > 1)"
    ):
        out[aid][who] = (status, frozenset((s.start, s.end, s.label, s.kb_id)
                                           for s in parse_spans(spans)))  # fmt: skip
    return dict(out)


def _triples(spans: frozenset) -> frozenset:
    return frozenset(tuple(s[:3]) for s in spans)


def span_counts(a: frozenset, b: frozenset, label: str | None = None) -> SpanCounts:
    """Exact start, end and label (links aside)."""
    a, b = _triples(a), _triples(b)
    if label is not None:
        a = frozenset(s for s in a if s[2] == label)
        b = frozenset(s for s in b if s[2] == label)
    return SpanCounts(len(a & b), len(a), len(b))


def link_counts(a: frozenset, b: frozenset) -> LinkCounts:
    """Links of the spans both gave (same start, end and label)."""
    la = {tuple(s[:3]): (s[3] if len(s) > 3 else None) for s in a}
    lb = {tuple(s[:3]): (s[3] if len(s) > 3 else None) for s in b}
    common = la.keys() & lb.keys()
    both = [k for k in common if la[k] is not None and lb[k] is not None]
    return LinkCounts(sum(la[k] == lb[k] for k in both), len(both),
                      sum((la[k] is None) != (lb[k] is None) for k in common))  # fmt: skip


def _f1_with_links(a: frozenset, b: frozenset) -> float | None:
    total = len(a) + len(b)
    return 2 * len(a & b) / total if total else None


ANSWER_WORD = {"accepted": "accept", "rejected": "reject"}


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' categories on the same items; None where it is
    undefined: no items, or both raters always gave one and the same value (chance
    agreement is then certain: 0/0, see `undefined_because`)."""
    n = len(pairs)
    if not n:
        return None
    observed = sum(x == y for x, y in pairs) / n
    first, second = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    expected = sum(first[c] * second[c] for c in set(first) | set(second)) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def undefined_because(values: list[str]) -> str:
    """Why kappa or alpha is undefined on these decisions, in words for the report."""
    distinct = set(values)
    if not values:
        return "no article was decided (accept or reject) by two annotators"
    if len(distinct) == 1:
        value = next(iter(distinct))
        return f"every decision was {ANSWER_WORD.get(value, value)}"
    return "too few decisions"


def krippendorff_alpha(units: list[list[str]]) -> float | None:
    """Krippendorff's alpha, nominal: each unit the values its raters gave (units with
    fewer than two values carry no information and are left out). None where undefined:
    fewer than two values in all, or one and the same value throughout."""
    coincidence: Counter = Counter()
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            coincidence[values[i], values[j]] += 1 / (m - 1)
    totals: Counter = Counter()
    for (c, _), w in coincidence.items():
        totals[c] += w
    n = sum(totals.values())
    if n <= 1:
        return None
    disagree = sum(w for (c, k), w in coincidence.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    if expected == 0:  # a single value throughout: undefined (0/0), never "perfect"
        return None
    return 1 - (n - 1) * disagree / expected


def agreement(project: Project, limit: int = 50) -> dict:
    """Every figure, with the counts behind it. `disagreements`: the `limit` articles that
    disagree most (`disagreeing_articles` counts them all, `disagreeing_reviewed` those a
    reviewer has decided since)."""
    versions = read_versions(project)
    annotators = sorted({who for v in versions.values() for who in v})
    labels = project.label_names()
    pairs = []
    total = SpanCounts()
    total_links = LinkCounts()
    per_label: dict[str, SpanCounts] = {lab: SpanCounts() for lab in labels}
    for a, b in itertools.combinations(annotators, 2):
        both = [(v[a], v[b]) for v in versions.values() if a in v and b in v]
        spans = SpanCounts()
        links = LinkCounts()
        decisions = []
        for (sa, ea), (sb, eb) in both:
            if sa == sb == "accepted":
                spans += span_counts(ea, eb)
                links += link_counts(ea, eb)
                for lab in labels:
                    per_label[lab] += span_counts(ea, eb, lab)
            if sa in BINARY and sb in BINARY:
                decisions.append((sa, sb))
        total += spans
        total_links += links
        kappa = cohen_kappa(decisions)
        pairs.append({"annotators": [a, b], "articles": len(both),
                      "span_f1": _r(spans.f1), "spans": _counts(spans),
                      "link_agreement": _r(links.agreement), "links": _link_counts(links),
                      "decisions": len(decisions),
                      "decisions_agreeing": sum(x == y for x, y in decisions),
                      "cohen_kappa": _r(kappa),
                      "cohen_kappa_undefined": None if kappa is not None else
                      undefined_because([x for pair in decisions for x in pair])})  # fmt: skip
    units = [[s for s, _ in v.values() if s in BINARY] for v in versions.values()]
    alpha = krippendorff_alpha(units)
    rated = [u for u in units if len(u) >= 2]
    ranked = disagreements(versions, limit=None)
    reviewed = reviewed_ids(project)
    return {
        "annotators": annotators,
        "overlap_articles": len(versions),
        "span_f1": _r(total.f1),
        "spans": _counts(total),
        "span_f1_per_label": {lab: {"f1": _r(c.f1), **_counts(c)}
                              for lab, c in per_label.items() if c.first + c.second},
        "link_agreement": _r(total_links.agreement),
        "links": _link_counts(total_links),
        "krippendorff_alpha": _r(alpha),
        "krippendorff_alpha_undefined": None if alpha is not None else
        undefined_because([x for u in rated for x in u]),
        "decisions_rated": len(rated),
        "pairs": pairs,
        "disagreeing_articles": len(ranked),
        "disagreeing_reviewed": sum(1 for d in ranked if d["article_id"] in reviewed),
        "disagreements": ranked[:limit],
    }


def reviewed_ids(project: Project) -> set[int]:
    """The articles a reviewer has decided (a team file's)."""
    return {r[0] for r in project.store.conn.execute(
        "SELECT id FROM articles WHERE reviewed_by IS NOT NULL")}  # fmt: skip


def disagreements(versions: dict[int, dict[str, tuple[str, frozenset]]],
                  limit: int | None = 50) -> list[dict]:  # fmt: skip
    """The articles whose versions differ, the most first: 1 − the mean pairwise span F1
    (a different decision counts as no agreement). `limit` None: all of them."""
    scored = []
    for aid, v in versions.items():
        scores = []
        for (sa, ea), (sb, eb) in itertools.combinations(v.values(), 2):
            if sa != sb:
                scores.append(0.0)
            else:
                f1 = _f1_with_links(ea, eb)
                scores.append(1.0 if f1 is None else f1)
        worst = 1 - sum(scores) / len(scores)
        if worst > 0:
            scored.append({"article_id": aid, "disagreement": round(worst, 4),
                           "annotators": sorted(v)})  # fmt: skip
    scored.sort(key=lambda d: (-d["disagreement"], d["article_id"]))
    return scored if limit is None else scored[:limit]


def disagreement_rows(project: Project) -> list[dict]:
    """Every article whose versions differ, for the window (the Agreement dialog's table
    and the queue's Disagreements filter list the same ones): the most disagreement first,
    each with the start of its text, its annotators' decisions and its reviewer (None
    while not reviewed)."""
    versions = read_versions(project)
    ranked = disagreements(versions, limit=None)
    info: dict[int, tuple] = {}
    ids = [d["article_id"] for d in ranked]
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for aid, title, start, reviewer in project.store.conn.execute(
            f"SELECT id, title, substr(text, 1, 200), reviewed_by FROM articles "
            f"WHERE id IN ({marks})", chunk):  # fmt: skip
            info[aid] = (title, start, reviewer)
    rows = []
    for d in ranked:
        title, start, reviewer = info.get(d["article_id"], ("", "", None))
        decided = versions[d["article_id"]]
        rows.append({**d, "title": title or "", "text": " ".join((start or "").split()),
                     "reviewed_by": reviewer,
                     "decisions": {who: st for who, (st, _) in sorted(decided.items())}})
    return rows


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _counts(c: SpanCounts) -> dict:
    return {"same": c.both, "first": c.first, "second": c.second}


def _link_counts(c: LinkCounts) -> dict:
    return {"same": c.same, "both_linked": c.both_linked, "one_linked": c.one_linked}


def _link_words(c: dict) -> str:
    more = f"; {c['one_linked']:,} more linked by one only" if c["one_linked"] else ""
    return f"{c['same']:,} same id of {c['both_linked']:,} spans both linked{more}"


def report_lines(result: dict) -> list[str]:
    """The figures of `agreement()` as lines of text (the CLI prints them, the window's
    dialog shows them)."""

    def f(x: float | None, undefined: str | None = None) -> str:
        if x is None:
            return f"n/a: {undefined}" if undefined else "n/a"
        return f"{x:.3f}"

    s = result["spans"]
    lines = [f"{result['overlap_articles']:,} articles decided by more than one of "
             f"{', '.join(result['annotators'])}",
             f"span F1 (exact start, end, label): {f(result['span_f1'])} "
             f"({s['same']} same of {s['first']} + {s['second']} spans)"]  # fmt: skip
    for label, c in result["span_f1_per_label"].items():
        lines.append(f"  {label:<20} {f(c['f1'])} ({c['same']} same of {c['first']} + "
                     f"{c['second']})")  # fmt: skip
    links = result.get("links") or {}
    if links.get("both_linked") or links.get("one_linked"):
        lines.append(f"links (same span, both linked, same id): "
                     f"{f(result['link_agreement'])} ({_link_words(links)})")
    alpha = f(result["krippendorff_alpha"], result.get("krippendorff_alpha_undefined"))
    lines.append(f"Krippendorff's alpha (accept/reject): {alpha} "
                 f"on {result['decisions_rated']:,} articles")  # fmt: skip
    for pair in result["pairs"]:
        a, b = pair["annotators"]
        kappa = f(pair["cohen_kappa"], pair.get("cohen_kappa_undefined"))
        pair_links = pair.get("links") or {}
        linked = (f", links {f(pair['link_agreement'])} ({pair_links['same']:,} of "
                  f"{pair_links['both_linked']:,})"
                  if pair_links.get("both_linked") or pair_links.get("one_linked") else "")
        lines.append(f"  {a} / {b}: {pair['articles']:,} articles, span F1 "
                     f"{f(pair['span_f1'])}{linked}, Cohen's kappa {kappa} "
                     f"({pair['decisions_agreeing']:,} of {pair['decisions']:,} decisions "
                     "agree)")  # fmt: skip
    n, done = result.get("disagreeing_articles", 0), result.get("disagreeing_reviewed", 0)
    if n:
        lines.append(f"{n:,} articles disagree ({done:,} reviewed, {n - done:,} to review)")
    return lines
