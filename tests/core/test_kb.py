"""The knowledge base: files in both formats (aliases, accents, a duplicate id, bad lines
by file and line), re-adding, removing, and candidate look-up with its ranking, on real
files and a real project."""

from __future__ import annotations

import json

import pytest

from annotator.core.kb.keys import ends, norm, similarity, skeleton
from annotator.core.kb.loading import add_kb_files
from annotator.core.kb.lookup import candidates
from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.core.store.kb import KbEntry, KbInUseError, KnowledgeBase

CSV = """\
Q3874799,Volodymyr Zelenskyy,President of Ukraine since 2019,Zelensky,Зеленський,Volodymyr Zelensky
Q1899,Kyiv,capital and largest city of Ukraine,Kiev,Київ
Q1899,Kyiv again,a second line for the same id
Q90,Paris,capital of France
,No id,a line without an id
Q3237,Kharkiv,city in eastern Ukraine,Kharkov,Charkiw
Q43,"Zürich, Switzerland","city, with a quoted comma",Zurich
"""

JSONL_LINES = [
    {"id": "Q7747", "name": "Vladimir Putin", "description": "President of Russia",
     "aliases": ["Putin", "Путин"], "label": "PERSON"},
    {"id": "Q313061", "name": "José Martí", "description": "Cuban poet", "aliases": ["Jose Marti"]},
    "{not json",
    {"id": "Q1", "name": "", "description": "an empty name"},
    {"id": "Q2", "name": "Two", "aliases": "not a list"},
    {"id": "Q3", "name": "Three", "aliases": ["ok", 7]},
    {"id": "Q7747", "name": "Putin again"},
    {"id": "NIL", "name": "Nobody"},
    {"id": 42, "name": "The Answer", "description": None, "aliases": None, "label": None},
]  # fmt: skip


def write_jsonl(path, lines) -> None:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
                              for x in lines) + "\n", encoding="utf-8")  # fmt: skip


@pytest.fixture
def files(tmp_path):
    csv_path = tmp_path / "entities.csv"
    csv_path.write_text(CSV, encoding="utf-8")
    jsonl = tmp_path / "people.jsonl"
    write_jsonl(jsonl, JSONL_LINES)
    return csv_path, jsonl


def test_both_formats_aliases_accents_duplicates_and_bad_lines(project, files):
    csv_path, jsonl = files
    report = add_kb_files(project, [csv_path, jsonl])
    bad = [str(b) for b in report.bad]
    assert bad == [
        f"{csv_path}:3: id Q1899 is given again (first on line 2): this line was skipped",
        f"{csv_path}:5: missing id",
        f"{jsonl}:3: invalid JSON: Expecting property name enclosed in double quotes at "
        "column 2",
        f"{jsonl}:4: entity Q1 has an empty name",
        f"{jsonl}:5: 'aliases' must be a list of strings, got a string",
        f"{jsonl}:6: alias 2 must be a string, got a number",
        f"{jsonl}:7: id Q7747 is given again (first on line 1): this line was skipped",
        f"{jsonl}:8: the id NIL is reserved (it marks a mention not in the knowledge base)",
    ]
    assert report.stored
    assert (report.change.added, report.change.updated) == (8, 0)
    kb = project.kb
    assert kb.count() == (8, 19)
    kyiv = kb.get("Q1899")
    assert (kyiv.name, kyiv.description) == ("Kyiv", "capital and largest city of Ukraine")
    assert kyiv.aliases == ("Kyiv", "Kiev", "Київ")  # the first line of the id won
    assert kb.get("Q43").name == "Zürich, Switzerland"
    assert kb.get("Q43").aliases == ("Zürich, Switzerland", "Zurich")
    putin = kb.get("Q7747")
    assert (putin.label, putin.aliases) == ("PERSON", ("Vladimir Putin", "Putin", "Путин"))
    assert kb.get("Q313061").aliases == ("José Martí", "Jose Marti")
    assert kb.get("42").name == "The Answer"  # an integer id is taken as its digits
    assert kb.get("NIL") is None and kb.get("Q1") is None
    assert report.unknown_labels == {"PERSON": 1}  # the project has no labels yet
    assert "added 8 entities" in report.summary() and "8 bad lines skipped" in report.summary()


def test_strict_stores_nothing_if_a_line_is_bad(project, files):
    report = add_kb_files(project, list(files), strict=True)
    assert not report.stored and len(report.bad) == 8
    assert project.kb.count() == (0, 0)
    good = files[0].with_name("good.jsonl")
    write_jsonl(good, JSONL_LINES[:2])
    assert add_kb_files(project, [good], strict=True).stored
    assert project.kb.count() == (2, 5)


def test_headers_bom_non_utf8_and_whole_file_problems(project, tmp_path):
    headed = tmp_path / "headed.csv"
    headed.write_bytes("\ufeffid,name,description,label,alias,alias\n"
                       "Q64,Berlin,capital of Germany,GPE,Berlín,\n"
                       "Q60,New York City,US city,,NYC,New York\n".encode())  # fmt: skip
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"id": "Q5", "name": "ok"}\n{"id": "Q6", "name": "Caf\xe9"}\n'
                      b'{"id": "Q8", "name": "half \\ud83d a smile"}\n')
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    other = tmp_path / "kb.tsv"
    other.write_text("Q1\tx\n")
    report = add_kb_files(project, [headed, latin, empty, other, tmp_path])
    assert [str(b) for b in report.bad] == [
        f"{latin}:2: invalid UTF-8: byte 0xe9 at column 26 (file offset 52)",
        f"{latin}:3: invalid Unicode (an unpaired surrogate escape)",
        f"{empty}: the file is empty",
        f"{other}: unsupported file type '.tsv' (expected .csv or .jsonl)",
        f"{tmp_path}: a folder, not a file: name the .csv or .jsonl files in it",
    ]
    berlin = project.kb.get("Q64")
    assert (berlin.label, berlin.aliases) == ("GPE", ("Berlin", "Berlín"))
    assert project.kb.get("Q60").label is None
    assert project.kb.get("Q60").aliases == ("New York City", "NYC", "New York")
    assert project.kb.get("Q5").name == "ok" and project.kb.get("Q6") is None


def test_re_adding_updates_and_never_duplicates(project, tmp_path):
    path = tmp_path / "kb.jsonl"
    write_jsonl(path, [{"id": "Q1", "name": "Kyiv", "aliases": ["Kiev"]},
                       {"id": "Q2", "name": "Lviv", "aliases": ["Lvov", "Lemberg"]}])
    first = add_kb_files(project, [path]).change
    assert (first.added, first.updated, first.unchanged, first.aliases) == (2, 0, 0, 5)
    again = add_kb_files(project, [path]).change
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    write_jsonl(path, [{"id": "Q1", "name": "Kyiv", "aliases": ["Kiev"]},
                       {"id": "Q2", "name": "Lviv", "description": "a city", "label": "GPE",
                        "aliases": ["Lwów"]},
                       {"id": "Q3", "name": "Odesa"}])  # fmt: skip
    third = add_kb_files(project, [path]).change
    assert (third.added, third.updated, third.unchanged) == (1, 1, 1)
    assert project.kb.count() == (3, 5)
    lviv = project.kb.get("Q2")
    assert (lviv.description, lviv.label, lviv.aliases) == ("a city", "GPE", ("Lviv", "Lwów"))
    assert candidates(project, "Lemberg") == []  # the alias it lost is gone
    assert [c.entity_id for c in candidates(project, "Lwow")] == ["Q2"]
    kinds = [e["action"] for e in project.events()]
    assert kinds == ["kb_add", "kb_add"]  # the unchanged re-add wrote nothing


def accepted_article(project: Project, text: str, mentions: list[tuple[str, str, str | None]]
                     ) -> int:  # fmt: skip
    """An accepted article with a span on the first occurrence of each mention, linked
    to the entity given (plain SQL: the link edits are the annotation code's)."""
    project.ensure_labels({label for _, label, _ in mentions})
    spans = [Span(text.index(m), text.index(m) + len(m), label) for m, label, _ in mentions]
    article = project.add_records([ArticleRecord(text=text, status="accepted",
                                                 spans=spans)]).ids[0]  # fmt: skip
    link(project, article, {text.index(m): kb_id for m, _, kb_id in mentions})
    return article


def link(project: Project, article: int, links: dict[int, str | None]) -> None:
    with project.write():
        for start, kb_id in links.items():
            project.store.conn.execute("UPDATE spans SET kb_id = ? WHERE article_id = ? AND "
                                       "start = ?", [kb_id, article, start])  # fmt: skip
        project.store.conn.execute("UPDATE articles SET version = version + 1 WHERE id = ?",
                                   [article])  # fmt: skip


def test_remove_is_refused_while_spans_are_linked_unless_forced(project):
    kb = project.kb
    kb.add([KbEntry("Q1", "Kyiv", aliases=("Kiev",)), KbEntry("Q2", "Lviv")])
    article = accepted_article(project, "Kyiv and Lviv.", [("Kyiv", "GPE", "Q1"),
                                                            ("Lviv", "GPE", None)])
    version = project.article_version(article)
    with pytest.raises(KbInUseError, match=r"Q1 \(1 span\).*--force"):
        kb.remove(["Q2", "Q1"])
    assert kb.count() == (2, 3)
    with pytest.raises(Exception, match="no entity Q9"):
        kb.remove(["Q2", "Q9"])
    assert kb.count() == (2, 3)
    assert kb.remove(["Q2"]) == 0
    assert kb.linked_count("Q1") == 1
    assert kb.remove(["Q1"], force=True) == 1
    assert kb.count() == (0, 0)
    assert project.store.conn.execute("SELECT count(*) FROM spans WHERE kb_id IS NOT NULL"
                                      ).fetchone()[0] == 0  # fmt: skip
    assert project.article_version(article) == version + 1  # a window notices
    assert len(project.spans(article)) == 2  # the spans stay, unlinked


@pytest.fixture
def places(project) -> Project:
    project.kb.add([
        KbEntry("Q1899", "Kyiv", "capital of Ukraine", ("Kiev", "Київ"), "GPE"),
        KbEntry("Q1899835", "Kyiv Oblast", "region of Ukraine", ("Kiev Oblast",), "GPE"),
        KbEntry("Q170210", "Kiev", "a ship", ()),
        KbEntry("Q3874799", "Volodymyr Zelenskyy", "President of Ukraine",
                ("Zelenskyy", "Zelensky"), "PERSON"),
        KbEntry("Q72", "Zürich", "city in Switzerland", ()),
        KbEntry("Q70", "Bern", "capital of Switzerland", ()),
        KbEntry("Q2146908", "Russ Cochran", "American golfer", ()),
        KbEntry("Q7381115", "Russ Cochran", "American publisher", ()),
    ])  # fmt: skip
    return project


def test_lookup_tiers_exact_folded_fuzzy_and_unknown(places):
    def found(mention):
        return [(c.entity_id, c.match) for c in candidates(places, mention)]

    assert found("Kiev") == [("Q170210", "exact"), ("Q1899", "exact")]
    assert found("KIEV") == [("Q170210", "folded"), ("Q1899", "folded")]
    assert found("zurich") == [("Q72", "folded")]
    assert found("Kyjiw") == [("Q1899", "fuzzy"), ("Q170210", "fuzzy"),  # Kyiv is closer
                              ("Q1899835", "part")]  # and a name it is the first word of
    assert found("Zelenskiy") == [("Q3874799", "fuzzy")]
    assert found("Київ") == [("Q1899", "exact"), ("Q170210", "fuzzy")]
    assert found("Baron") == []  # Bern shares its skeleton, but sounds too different
    assert found("Kharkiv") == [] and found("   ") == []
    best = candidates(places, "Kyjiw")[0]
    assert (best.name, best.description, best.label, best.alias) == (
        "Kyiv", "capital of Ukraine", "GPE", "Kyiv")
    assert 0.72 <= best.score <= 1.0 and best.chosen == 0
    assert len(candidates(places, "Kiev", limit=1)) == 1


def test_lookup_ranks_by_how_often_each_entity_was_chosen(places):
    assert [c.entity_id for c in candidates(places, "Russ Cochran")] == ["Q2146908",
                                                                          "Q7381115"]
    a = accepted_article(places, "Russ Cochran publishes comics.",
                         [("Russ Cochran", "PERSON", "Q7381115")])
    accepted_article(places, "RUSS COCHRAN reprints EC comics.",
                     [("RUSS COCHRAN", "PERSON", "Q7381115")])  # the same norm counts
    accepted_article(places, "Russ Cochran is nobody we know.",
                     [("Russ Cochran", "PERSON", "NIL")])  # NIL is no candidate
    found = candidates(places, "Russ Cochran")
    assert [(c.entity_id, c.chosen, c.linked) for c in found] == [("Q7381115", 2, 2),
                                                                  ("Q2146908", 0, 0)]
    assert places.kb.link_counts(norm("russ cochran")) == {"Q7381115": 2}
    # the counts follow the links as they change (the cache is refreshed, not stale)
    link(places, a, {0: "Q2146908"})
    for text in ("Russ Cochran won the Senior Open.", "Russ Cochran plays golf."):
        accepted_article(places, text, [("Russ Cochran", "PERSON", "Q2146908")])
    found = candidates(places, "russ cochran")
    assert [(c.entity_id, c.match, c.chosen) for c in found] == [("Q2146908", "folded", 3),
                                                                 ("Q7381115", "folded", 1)]
    # new boundaries: the counts are those a fresh count finds, whatever the edit did to
    # the link; boundaries changed without a link change count for the new text
    last = places.article_ids()[-1]
    places.update_span(places.spans(last)[0].id, end=4)
    fresh = KnowledgeBase(places.store, places.events_log)
    for key in ("russ", "russ cochran"):
        assert places.kb.link_counts(key) == fresh.link_counts(key)
    with places.write():
        places.store.conn.execute('UPDATE spans SET "end" = 4 WHERE article_id = ?', [a])
        places.log("span_update", a, end=4)  # as the edits log a change of boundaries
    fresh = KnowledgeBase(places.store, places.events_log)  # counts from scratch
    assert places.kb.link_counts("russ cochran") == {"Q2146908": 1, "Q7381115": 1}
    assert places.kb.link_counts("russ") == fresh.link_counts("russ")
    assert "Q2146908" in places.kb.link_counts("russ")
    # an entity chosen for a mention is a candidate for it even without such an alias
    accepted_article(places, "The Ukrainian capital said so.",
                     [("The Ukrainian capital", "GPE", "Q1899")])
    found = candidates(places, "the Ukrainian capital")
    assert [(c.entity_id, c.match, c.chosen) for c in found] == [("Q1899", "linked", 1)]
    assert [c.entity_id for c in candidates(places, "Kiev")] == ["Q1899", "Q170210"]  # linked


# Transliteration pairs (ISO/Ukrainian national, Russian BGN, English press spellings):
# each must share a skeleton and be alike enough for a fuzzy match.
MATCHING = [
    ("Zelensky", "Zelenskyy"), ("Zelenskiy", "Zelenskyy"), ("Kyiv", "Kiev"),
    ("Kharkiv", "Kharkov"), ("Zaporizhzhia", "Zaporozhye"), ("Lyman", "Liman"),
    ("Peskov", "Piaskov"), ("Sievierodonetsk", "Severodonetsk"), ("Dnipro", "Dnepr"),
    ("Luhansk", "Lugansk"), ("Chernihiv", "Chernigov"), ("Zhytomyr", "Zhitomir"),
    ("Lviv", "Lvov"), ("Vinnytsia", "Vinnitsa"), ("Avdiivka", "Avdeyevka"),
    ("Odesa", "Odessa"), ("Mykolaiv", "Mykolayiv"), ("Oleksandr", "Aleksandr"),
    ("Yevgeny Prigozhin", "Evgeniy Prigozhin"), ("Sergei Shoigu", "Sergey Shoygu"),
    ("Alexei Navalny", "Aleksei Navalnyi"), ("Dmytro Kuleba", "Dmitry Kuleba"),
    ("Київ", "Kyiv"), ("Зеленський", "Zelensky"), ("Tchaikovsky", "Chaikovsky"),
    ("Gorbachev", "Gorbatschow"), ("Łódź", "Lodz"), ("Moscow", "Moskva"),
]  # fmt: skip
# Pairs whose consonants differ: not found by the skeleton (said in the docs).
NOT_MATCHING = [("Mykolaiv", "Nikolaev"), ("Bakhmut", "Bachmut"), ("Kherson", "Cherson"),
                ("Donetsk", "Donezk"), ("Khrushchev", "Chruschtschow")]  # fmt: skip


@pytest.mark.parametrize(("a", "b"), MATCHING)
def test_transliterations_meet(project, a, b):
    assert skeleton(norm(a)) == skeleton(norm(b))
    assert similarity(norm(a), norm(b)) >= 0.72
    project.kb.add([KbEntry("E", a)])
    assert [(c.entity_id, c.match in ("fuzzy", "folded")) for c in candidates(project, b)] == [
        ("E", True)]


@pytest.mark.parametrize(("a", "b"), NOT_MATCHING)
def test_transliterations_that_do_not_meet(a, b):
    assert skeleton(norm(a)) != skeleton(norm(b))


CAPITALS = """Kabul Tirana Algiers Andorra Luanda Yerevan Canberra Vienna Baku Nassau Manama
Dhaka Bridgetown Minsk Brussels Belmopan Thimphu Sucre Sarajevo Gaborone Brasilia Sofia
Ouagadougou Gitega Phnom-Penh Yaounde Ottawa Praia Bangui Santiago Beijing Bogota Moroni
Kinshasa Brazzaville Zagreb Havana Nicosia Prague Copenhagen Djibouti Roseau Quito Cairo Malabo
Asmara Tallinn Mbabane Suva Helsinki Paris Libreville Banjul Tbilisi Berlin Accra Athens
Guatemala Conakry Bissau Georgetown Budapest Reykjavik Delhi Jakarta Tehran Baghdad Dublin
Jerusalem Rome Kingston Tokyo Amman Astana Nairobi Tarawa Pristina Kuwait Bishkek Vientiane Riga
Beirut Maseru Monrovia Tripoli Vaduz Vilnius Luxembourg Antananarivo Lilongwe Malé Bamako
Valletta Majuro Nouakchott Mexico Palikir Chisinau Monaco Ulaanbaatar Podgorica Rabat Maputo
Windhoek Yaren Kathmandu Amsterdam Wellington Managua Niamey Abuja Pyongyang Skopje Oslo
Muscat Islamabad Ngerulmud Panama Asuncion Lima Manila Warsaw Lisbon Doha Bucharest Moscow
Kigali Apia Riyadh Dakar Belgrade Victoria Freetown Singapore Bratislava Ljubljana Honiara
Mogadishu Pretoria Seoul Juba Madrid Colombo Khartoum Paramaribo Stockholm Bern Damascus Taipei
Dushanbe Dodoma Bangkok Dili Lome Tunis Ankara Ashgabat Funafuti Kampala Kyiv Abudhabi London
Washington Montevideo Tashkent Caracas Hanoi Sanaa Lusaka Harare""".split()


def test_unrelated_names_rarely_meet(project):
    """Two hundred capitals: a fuzzy look-up of one finds no other."""
    project.kb.add([KbEntry(f"C{i}", name) for i, name in enumerate(CAPITALS)])
    wrong = {(name, c.name) for name in CAPITALS for c in candidates(project, name)
             if c.name != name}  # fmt: skip
    assert wrong == set()


def test_a_mention_that_is_one_word_of_a_name_finds_it(project):
    """spaCy's tutorials write a knowledge base as `id,name,description`, with no aliases:
    later mentions are a surname, or a place without its "Oblast"."""
    project.kb.add([
        KbEntry("Q3874799", "Volodymyr Zelenskyy", "President of Ukraine"),
        KbEntry("Q7747", "Vladimir Putin", "President of Russia"),
        KbEntry("Q1", "Kherson Oblast", "region of Ukraine"),
        KbEntry("Q2", "Mykolaiv", "city in Ukraine"),
        KbEntry("Q8027", "Martin Luther King Jr.", "civil rights leader"),
        KbEntry("Q9", "The Kremlin", "fortress in Moscow"),
    ])  # fmt: skip

    def found(mention):
        return [(c.entity_id, c.match, c.alias) for c in candidates(project, mention)]

    assert found("Zelensky") == [("Q3874799", "part", "Volodymyr Zelenskyy")]
    assert found("ZELENSKIY") == [("Q3874799", "part", "Volodymyr Zelenskyy")]
    assert found("President Zelensky") == [("Q3874799", "part", "Volodymyr Zelenskyy")]
    assert found("Kherson") == [("Q1", "part", "Kherson Oblast")]
    assert found("Mykolaiv region") == [("Q2", "part", "Mykolaiv")]
    assert found("King") == [("Q8027", "part", "Martin Luther King Jr.")]  # not "Jr."
    assert found("Kremlin") == [("Q9", "part", "The Kremlin")]
    assert found("Putin") == [("Q7747", "part", "Vladimir Putin")]
    assert found("Luther") == [] and found("President") == [] and found("the") == []
    # a name that matches whole is all that is offered
    project.kb.add([KbEntry("Q3", "Kherson", "city in Ukraine")])
    assert found("Kherson") == [("Q3", "exact", "Kherson")]
    # ranked below whole-name matches of the same mention, by how alike the word sounds
    project.kb.add([KbEntry("Q4", "Zelenskiy", "a ship")])
    assert [c.entity_id for c in candidates(project, "Zelenskyy")] == ["Q4", "Q3874799"]
    # the keys follow an entity's new names (re-added) and go with it (removed)
    project.kb.add([KbEntry("Q3874799", "V. Zelenskyy", "President of Ukraine")])
    assert [c.entity_id for c in candidates(project, "Volodymyr")] == ["Q7747"]  # Vladimir
    assert [c.entity_id for c in candidates(project, "Zelensky")] == ["Q4", "Q3874799"]
    project.kb.remove(["Q3874799"])
    assert [c.entity_id for c in candidates(project, "Zelensky")] == ["Q4"]


def test_a_schema_9_knowledge_base_gains_its_part_keys_when_opened(tmp_path):
    from sqlite_utils import Database

    from annotator.core.store.schema import APPLICATION_ID, migrations

    path = tmp_path / "v9.db"
    db = Database(path)
    migrations().apply(db, stop_before="m010_kb_name_parts")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 9")
    names = [("Q7747", "Vladimir Putin"), ("Q1899", "Kyiv"), ("Q1", "Conan O'Brien"),
             ("Q2", "Cross-Border"), ("Q3", "AT&T"), ("Q4", "St.Louis")]  # not only spaces
    db.conn.executemany("INSERT INTO kb_entities(id, name, added_at) VALUES (?, ?, '2026-12-01')",
                        names)  # fmt: skip
    db.conn.executemany("INSERT INTO kb_aliases(entity_id, alias, norm, skeleton) "
                        "VALUES (?, ?, ?, ?)",
                        [(e, n, norm(n), skeleton(norm(n))) for e, n in names])  # fmt: skip
    db.conn.commit()
    db.close()
    with Project(path) as p:  # migrated on opening
        rows = p.store.conn.execute("SELECT norm, head, tail FROM kb_aliases").fetchall()
        assert sorted(rows) == sorted((n, *ends(n)) for n, _, _ in rows)  # as `add` writes
        assert [(c.entity_id, c.match) for c in candidates(p, "Putin")] == [("Q7747", "part")]
        assert [c.entity_id for c in candidates(p, "Brien")] == ["Q1"]
        assert [c.entity_id for c in candidates(p, "border")] == ["Q2"]
        assert [c.entity_id for c in candidates(p, "Louis")] == ["Q4"]
        assert [(c.entity_id, c.match) for c in candidates(p, "Kiev")] == [("Q1899", "fuzzy")]
