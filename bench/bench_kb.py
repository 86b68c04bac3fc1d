"""The knowledge base at 100,000 entities and ~300,000 aliases: loading, candidate look-up,
and the window's start-up with and without it.

Prints JSON. Usage: uv run python bench/bench_kb.py [--entities 100000] [--mentions 1000]
[--links 6000] [--rounds 3] [--runs 5] [--no-startup] [--seed 0]

- The entities: Ukrainian and Russian people (a first name and a generated surname) and
  places (a generated name and a suffix), written in Cyrillic and transliterated three
  ways (Ukrainian national: the name; Russian BGN-style; for a third of them German), plus
  Czech/Polish/Spanish-style names with accents and their ASCII spelling, and namesakes
  (3% share another entity's name). One JSONL file.
- load: `annotator kb add` in a fresh process: seconds (wall, imports included) and peak
  RSS (`os.wait4`; the data is generated in a child, so the parent forking these is small:
  Linux counts the parent's RSS at fork in the child's peak); baseline: a fresh process
  that parses the same file and inserts the same rows with the same tables and indexes,
  keys computed as `str.lower()`.
- lookup: `candidates(project, mention)` with the project open, 1,000 mentions of each
  kind: exact (an alias as stored), folded (an alias in capitals), fuzzy (the Cyrillic
  name transliterated as the English-language press does, which is no stored alias),
  part (a person's surname after "President", a place before "region", both as the press
  transliterates them: one word of a name matches), unknown (names from other
  syllables); p50/p95 in ms of the first round, the lowest p95
  of `--rounds`, and how often the entity is the first candidate and among the nine. The
  project holds `--links` linked spans in 2,000 accepted articles (plain SQL links, as
  the window will store them). Baseline: a bare `SELECT entity_id FROM kb_aliases WHERE
  alias = ?` on the same connection. Also: the first look-up (the link counts built) and
  a look-up right after a link changed.
- startup: bench_startup's fresh window process on a project of news-like articles, with
  and without the knowledge base in it, runs interleaved: shown_ms and final_ms, best of
  `--runs` (and the median shown_ms).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]

FIRST = ("Володимир Олександр Сергій Дмитро Андрій Юрій Михайло Віктор Олег Ігор Василь "
         "Микола Петро Іван Євген Богдан Тарас Роман Максим Артем Юлія Олена Наталія Тетяна "
         "Ірина Оксана Людмила Марія Ганна Катерина Світлана Валентина Галина Віра Надія "
         "Лариса Анастасія Вікторія Ольга Зоя").split()  # fmt: skip
ONSETS = "б в г д ж з к л м н п р с т х ц ч ш щ бр гр др кр пр тр ст ск зв шв хм".split()
VOWELS = "а е и о у і я ю є ї".split()
SURNAME_ENDS = "енко ук юк чук ський цький ич ов ев ін ко як".split()
PLACE_ENDS = "ськ івка піль город ів ине ка ець".split()
LATIN_FIRST = ("José María Tomáš Jiří Łukasz Zoë François Agnès Søren Đorđe Ángel Iñaki "
               "Małgorzata Dvořák Renée Ignác Ondřej Żaneta").split()  # fmt: skip
LATIN_SYL = "ba ce di fo gu há lé mí nó rú sá té vý ža čo ře šu ňa ło śe źi".split()
OTHER_SYL = "qua xe zo wy fu jak qix vor tel pam nuk sor".split()
DESCRIPTIONS = ("Ukrainian politician", "Russian official", "village in Ukraine",
                "city in Ukraine", "football player", "journalist", "military officer",
                "river in Ukraine", "business executive", "singer")  # fmt: skip

_UA = {"а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
       "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
       "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
       "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
       "я": "ia", "'": ""}  # fmt: skip
_RU = {**_UA, "г": "g", "и": "i", "і": "i", "ї": "yi", "й": "y", "є": "ye", "ю": "yu",
       "я": "ya"}  # fmt: skip
_PRESS = {**_UA, "є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}  # Kyiv Post style
_DE = {**_UA, "ж": "sch", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch",
       "в": "w", "й": "j", "я": "ja", "ю": "ju", "є": "je", "и": "y"}  # fmt: skip


def translit(text: str, table: dict[str, str]) -> str:
    out = []
    for word in text.split():
        low = "".join(table.get(c, c) for c in word.lower())
        out.append(low[:1].upper() + low[1:])
    return " ".join(out)


def make_word(rng: random.Random, ends: list[str], syllables: tuple[int, int] = (1, 3)) -> str:
    word = "".join(rng.choice(ONSETS) + rng.choice(VOWELS)
                   for _ in range(rng.randint(*syllables)))  # fmt: skip
    return (word + rng.choice(ends)).capitalize()


def latin_name(rng: random.Random) -> str:
    last = "".join(rng.choice(LATIN_SYL) for _ in range(rng.randint(2, 3)))
    return f"{rng.choice(LATIN_FIRST)} {last.capitalize()}"


def strip_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L")
                                 .replace("ø", "o").replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c))


def make_kb(path: Path, n: int, seed: int = 0) -> list[dict]:
    """Writes the entities; returns, per entity, what the mentions are drawn from."""
    rng = random.Random(seed)
    meta, names = [], []
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            kind = rng.random()
            if kind < 0.03 and names:  # a namesake
                name, aliases, cyr = rng.choice(names)
            elif kind < 0.25:  # accents
                name = latin_name(rng)
                aliases, cyr = [strip_accents(name)], None
            else:
                if kind < 0.65:
                    cyr = f"{rng.choice(FIRST)} {make_word(rng, SURNAME_ENDS)}"
                else:
                    cyr = make_word(rng, PLACE_ENDS, (1, 2))
                name = translit(cyr, _UA)
                aliases = [cyr, translit(cyr, _RU)]
                if rng.random() < 0.33:
                    aliases.append(translit(cyr, _DE))
                if cyr.count(" "):
                    aliases.append(translit(cyr.split()[-1], _UA))  # the surname alone
            names.append((name, aliases, cyr))
            entity = {"id": f"Q{1000000 + i}", "name": name,
                      "description": rng.choice(DESCRIPTIONS), "aliases": aliases}
            f.write(json.dumps(entity, ensure_ascii=False) + "\n")
            meta.append({"id": entity["id"], "aliases": [name, *aliases], "cyr": cyr})
    return meta


def mentions(meta: list[dict], n: int, seed: int = 1) -> dict[str, list[tuple[str, str]]]:
    """(mention, the entity it was drawn from) per kind."""
    rng = random.Random(seed)
    stored = {a for m in meta for a in m["aliases"]}
    out: dict[str, list[tuple[str, str]]] = {"exact": [], "folded": [], "fuzzy": [],
                                             "part": [], "unknown": []}  # fmt: skip
    while len(out["exact"]) < n:
        m = rng.choice(meta)
        out["exact"].append((rng.choice(m["aliases"]), m["id"]))
    while len(out["folded"]) < n:
        m = rng.choice(meta)
        alias = rng.choice(m["aliases"]).upper()
        if alias not in stored:
            out["folded"].append((alias, m["id"]))
    cyrillic = [m for m in meta if m["cyr"]]
    while len(out["fuzzy"]) < n:
        m = rng.choice(cyrillic)
        press = translit(m["cyr"], _PRESS)
        if press not in stored:
            out["fuzzy"].append((press, m["id"]))
    while len(out["part"]) < n:
        m = rng.choice(cyrillic)
        words = translit(m["cyr"], _PRESS).split()
        press = f"President {words[-1]}" if len(words) > 1 else f"{words[0]} region"
        if press not in stored:
            out["part"].append((press, m["id"]))
    while len(out["unknown"]) < n:
        word = "".join(rng.choice(OTHER_SYL) for _ in range(rng.randint(2, 3))).capitalize()
        if word not in stored:
            out["unknown"].append((word, ""))
    return out


def run_child(args: list[str]) -> dict:
    """A fresh process: wall seconds and peak RSS (MB)."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    secs = time.perf_counter() - t
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args} failed:\n{err[-2000:]}")
    return {"seconds": round(secs, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "stdout": out.strip()}  # fmt: skip


BARE_LOAD = r"""
import json, sqlite3, sys, time
from annotator.core.store.schema import m008_knowledge_base
conn = sqlite3.connect(sys.argv[2])
conn.execute("CREATE TABLE spans (id INTEGER PRIMARY KEY)")
conn.execute("CREATE TABLE imported_suggestions (id INTEGER PRIMARY KEY)")
class Db:
    execute = conn.execute
m008_knowledge_base(Db)
conn.commit()
with conn:
    for line in open(sys.argv[1], encoding="utf-8"):
        e = json.loads(line)
        conn.execute("INSERT INTO kb_entities VALUES (?, ?, ?, NULL, ?, ?)",
                     [e["id"], e["name"], e["description"], sys.argv[1], "now"])
        names = dict.fromkeys([e["name"], *e["aliases"]])
        conn.executemany("INSERT INTO kb_aliases VALUES (?, ?, ?, ?)",
                         [(e["id"], a, a.lower(), a.lower()) for a in names])
"""


def link_project(db: Path, meta: list[dict], links: int, seed: int = 2) -> int:
    """2,000 accepted articles naming entities of a popular 1,500, `links` spans linked."""
    from annotator.core.project import Project
    from annotator.core.records import ArticleRecord, Span

    rng = random.Random(seed)
    popular = rng.sample([m for m in meta if m["cyr"]], 1500)
    per = max(1, links // 2000)
    records, chosen = [], []
    for i in range(2000):
        picks = rng.sample(popular, per)
        text, spans, ids = f"Report {i}.", [], []
        for m in picks:
            mention = rng.choice(m["aliases"][:3])
            text += " Then "
            spans.append(Span(len(text), len(text) + len(mention), "PERSON"))
            text += mention + " spoke."
            ids.append("NIL" if rng.random() < 0.05 else m["id"])
        records.append(ArticleRecord(text=text, status="accepted", spans=spans))
        chosen.append(ids)
    with Project(db) as p:
        p.ensure_labels(["PERSON"])
        added = p.add_records(records).ids
        with p.write():
            for article, ids in zip(added, chosen, strict=True):
                spans = sorted(p.spans(article), key=lambda s: s.start)
                p.store.conn.executemany("UPDATE spans SET kb_id = ? WHERE id = ?",
                                         [(k, s.id) for k, s in zip(ids, spans, strict=True)])
        return p.store.conn.execute("SELECT count(*) FROM spans WHERE kb_id IS NOT NULL"
                                    ).fetchone()[0]  # fmt: skip


def pct(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 3)


def measure_lookups(db: Path, kinds: dict[str, list[tuple[str, str]]], rounds: int) -> dict:
    """Per kind: p50/p95 of the first round (nothing cached but the link counts) and the
    lowest p95 of `rounds` (the machine is shared: a round may be slowed by other jobs)."""
    from annotator.core.kb.lookup import candidates
    from annotator.core.project import Project

    out: dict = {}
    with Project(db) as p:
        conn = p.store.conn
        t = time.perf_counter()
        candidates(p, "warm-up")
        out["first_lookup_ms"] = round((time.perf_counter() - t) * 1000, 1)
        times: dict[str, list[tuple[list[float], list[float]]]] = {k: [] for k in kinds}
        for _ in range(rounds):
            for kind, items in kinds.items():
                ours, bare, first, top = [], [], 0, 0
                for mention, entity in items:
                    t = time.perf_counter()
                    found = candidates(p, mention)
                    ours.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    conn.execute("SELECT entity_id FROM kb_aliases WHERE alias = ?",
                                 [mention]).fetchall()  # fmt: skip
                    bare.append((time.perf_counter() - t) * 1000)
                    ids = [c.entity_id for c in found]
                    first += bool(ids) and ids[0] == entity
                    top += entity in ids
                times[kind].append((ours, bare))
                out[kind] = {"found_first": first, "found_in_top9": top, "of": len(items)}
        for kind, runs in times.items():
            ours, bare = runs[0]
            out[kind] |= {
                "p50_ms": pct(ours, 50), "p95_ms": pct(ours, 95),
                "best_round_p95_ms": min(pct(o, 95) for o, _ in runs),
                "baseline_p50_ms": pct(bare, 50), "baseline_p95_ms": pct(bare, 95),
                "ratio_p95": round(pct(ours, 95) / max(pct(bare, 95), 1e-6), 1),
            }  # fmt: skip
        out["unknown"]["with_candidates"] = sum(bool(candidates(p, m))
                                                for m, _ in kinds["unknown"])  # fmt: skip
        # a link changes (as the window's link edit will), then a look-up
        spans = conn.execute("SELECT id, article_id FROM spans WHERE kb_id IS NOT NULL "
                             "AND kb_id != 'NIL' LIMIT 100").fetchall()  # fmt: skip
        after = []
        for (span_id, article), (mention, _) in zip(spans, kinds["exact"], strict=False):
            with p.write():
                conn.execute("UPDATE spans SET kb_id = 'NIL' WHERE id = ?", [span_id])
                conn.execute("UPDATE articles SET version = version + 1 WHERE id = ?", [article])
            t = time.perf_counter()
            candidates(p, mention)
            after.append((time.perf_counter() - t) * 1000)
        out["after_a_link_edit"] = {"p50_ms": pct(after, 50), "p95_ms": pct(after, 95)}
    return out


def startup(db: Path, runs: int) -> dict:
    """The window shown on one project with and without the knowledge base, the runs of
    the two interleaved (so a busy moment of the machine hits both alike)."""
    from bench_startup import child, make_project

    tmp = db.parent
    plain = tmp / "startup.annotator.db"
    first = make_project(plain, 300)
    with_kb = tmp / "startup-kb.annotator.db"
    shutil.copy(plain, with_kb)
    run_child([sys.executable, "-m", "annotator", "kb", "add", "--db", str(with_kb),
               str(tmp / "kb.jsonl")])  # fmt: skip
    cases = {"without_kb": plain, "with_kb": with_kb}
    results: dict[str, list[dict]] = {name: [] for name in cases}
    for name, path in cases.items():
        child(ROOT, "warm", path, tmp / f"qs-{name}", first)
    for _ in range(runs):
        for name, path in cases.items():
            results[name].append(child(ROOT, "window", path, tmp / f"qs-{name}", first))
    out: dict = {name: {"shown_ms": round(min(r["shown"] for r in rs)),
                        "final_ms": round(min(r["final"] for r in rs)),
                        "shown_ms_median": round(statistics.median(r["shown"] for r in rs)),
                        "file_mb": round(cases[name].stat().st_size / 1e6, 1)}
                 for name, rs in results.items()}  # fmt: skip
    out["ratio_shown"] = round(out["with_kb"]["shown_ms"] / out["without_kb"]["shown_ms"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=100_000)
    ap.add_argument("--mentions", type=int, default=1000)
    ap.add_argument("--links", type=int, default=6000)
    ap.add_argument("--runs", type=int, default=5, help="window start-ups of each case")
    ap.add_argument("--rounds", type=int, default=3, help="look-up rounds")
    ap.add_argument("--no-startup", action="store_true")
    ap.add_argument("--seed", type=int, default=0, help="of the entities (mentions: seed + 1)")
    ap.add_argument("--generate", nargs=3, metavar=("FOLDER", "N", "SEED"),
                    help=argparse.SUPPRESS)  # fmt: skip
    args = ap.parse_args()
    if args.generate:  # in a child: the parent stays small, so its children's peak RSS
        folder, n = Path(args.generate[0]), int(args.generate[1])  # is theirs (fork)
        meta = make_kb(folder / "kb.jsonl", n, int(args.generate[2]))
        (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-kb-"))
    try:
        src = tmp / "kb.jsonl"
        run_child([sys.executable, __file__, "--generate", str(tmp), str(args.entities),
                   str(args.seed)])  # fmt: skip
        db = tmp / "kb.annotator.db"
        load = run_child([sys.executable, "-m", "annotator", "kb", "add", "--db", str(db),
                          str(src)])  # fmt: skip
        bare = run_child([sys.executable, "-c", BARE_LOAD, str(src), str(tmp / "bare.db")])
        reload = run_child([sys.executable, "-m", "annotator", "kb", "add", "--db", str(db),
                            str(src)])  # fmt: skip
        from annotator.core.project import Project

        with Project(db) as p:
            entities, aliases = p.kb.count()
        meta = json.loads((tmp / "meta.json").read_text())
        linked = link_project(db, meta, args.links)
        result = {
            "benchmark": "knowledge base", "entities": entities, "aliases": aliases,
            "file_mb": round(src.stat().st_size / 1e6, 1),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "load": {"kb_add": load, "baseline_bare_insert": bare,
                     "ratio_seconds": round(load["seconds"] / bare["seconds"], 2),
                     "re_add_unchanged": reload},
            "linked_spans": linked,
            "seed": args.seed,
            "lookup": measure_lookups(db, mentions(meta, args.mentions, args.seed + 1),
                                      args.rounds),  # fmt: skip
        }  # fmt: skip
        if not args.no_startup:
            result["startup"] = startup(db, args.runs)
        print(json.dumps(result, indent=2, ensure_ascii=False))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
