"""Setting up a project from the command line (issue 11): clear help, ANNOTATOR_DB, `init`,
`--labels`, several labels per command, keys and distinct colours. The real CLI on real
project files; no mocks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import typer
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.colours import DISPLACY_COLOURS
from annotator.core.project import Project

runner = CliRunner()
WIDE = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}


def run(*args, ok: bool = True, env: dict | None = None):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False,
                           env={**WIDE, **(env or {})})  # fmt: skip
    if ok:
        assert result.exit_code == 0, result.output
    return result


def listing(db) -> list[tuple[str, str, str]]:
    return [tuple(ln.split("\t")) for ln in run("labels", "list", "--db", db).stdout.splitlines()]


def commands(group, path: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        yield (*path, name), cmd
        if hasattr(cmd, "commands"):  # a group (typer's own click or click's)
            yield from commands(cmd, (*path, name))


# --------------------------------------------------------------------------- 1: clear help


def test_every_help_lists_choices_and_no_flag_shows_a_type():
    root = typer.main.get_command(app)
    helps = {(): run("--help").stdout}
    for path, _cmd in commands(root):
        helps[path] = run(*path, "--help").stdout
    assert len(helps) > 15
    for path, text in helps.items():
        assert "<bool>" not in text, path
    for name in ("init", "import", "export", "stats", "labels", "suggest", "gui", "train",
                 "models"):  # fmt: skip
        assert f" {name} " in helps[()], name
    for name in ("list", "add", "remove", "rename", "recolour", "key"):
        assert f" {name} " in helps[("labels",)], name
    for name in ("list", "activate"):
        assert f" {name} " in helps[("models",)], name
    assert "spacy|jsonl|conll|hf" in helps[("export",)]
    assert "light|dark" in helps[("gui",)]
    assert "decision, pattern and model" in " ".join(helps[("suggest",)].split())
    assert "--force" in helps[("labels", "remove")] and "--strict" in helps[("import",)]


def test_a_format_not_offered_is_refused_with_the_choices(tmp_path):
    result = run("export", "--db", tmp_path / "p.db", "--out", tmp_path / "o", "--format",
                 "xml", ok=False)  # fmt: skip
    assert result.exit_code == 2
    assert "'xml' is not one of" in result.output and "conll" in result.output
    result = run("gui", "--theme", "pink", ok=False)
    assert result.exit_code == 2 and "light" in result.output


# --------------------------------------------------------------------------- 2: ANNOTATOR_DB


def test_annotator_db_names_the_project_and_stats_says_which(tmp_path):
    db = tmp_path / "env.db"
    env = {"ANNOTATOR_DB": str(db)}
    run("labels", "add", "ORG", "PERSON", env=env)
    text = tmp_path / "a.txt"
    text.write_text("Reuters reported it.")
    run("import", text, env=env)
    result = run("stats", env=env)
    assert result.stdout.splitlines()[0] == f"project: {db.resolve()}"
    assert "1 articles: 1 pending" in result.stdout
    result = run("stats", "--json", env=env)
    assert json.loads(result.stdout)["articles"] == 1
    assert result.stderr.splitlines()[0] == f"project: {db.resolve()}"
    # --db wins over the variable
    other = tmp_path / "other.db"
    run("labels", "add", "GPE", "--db", other, env=env)
    assert [r[0] for r in listing(other)] == ["GPE"]
    assert [r[0] for r in listing(db)] == ["ORG", "PERSON"]


def test_annotator_db_in_a_child_process(tmp_path):
    db = tmp_path / "child.db"
    env = {**os.environ, "ANNOTATOR_DB": str(db)}
    proc = subprocess.run([sys.executable, "-m", "annotator", "init", "--labels", "ORG"],
                          capture_output=True, text=True, env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "annotator", "stats"], capture_output=True,
                          text=True, env=env)  # fmt: skip
    assert proc.returncode == 0 and proc.stdout.startswith(f"project: {db.resolve()}\n")


# --------------------------------------------------------------------------- 3: init, --labels


def test_init_creates_a_project_with_exactly_those_labels(tmp_path):
    db = tmp_path / "new.db"
    patterns = tmp_path / "patterns.jsonl"
    patterns.write_text('{"label": "DRUG", "pattern": "aspirin"}\n')
    out = run("init", "--db", db, "--labels", "PERSON, ORG,GPE", "--model", "none",
              "--patterns", patterns, "--lang", "de").stdout  # fmt: skip
    assert out.startswith(f"created {db.resolve()}")
    assert "labels added: PERSON (key 1), ORG (key 2), GPE (key 3)" in out
    assert listing(db) == [("PERSON", "#aa9cfc", "1"), ("ORG", "#7aecec", "2"),
                           ("GPE", "#feca74", "3")]  # fmt: skip
    with Project(db) as p:
        assert p.get_setting("model") == "none"
        assert p.get_setting("patterns") == str(patterns.resolve())
        assert p.language == "de"
    # again, on the existing project: adds what is missing, says what it did
    out = run("init", "--db", db, "--labels", "ORG,NORP").stdout
    assert out.startswith(f"updated {db.resolve()}")
    assert "labels added: NORP (key 4)" in out and "labels already there: ORG" in out
    assert [r[0] for r in listing(db)] == ["PERSON", "ORG", "GPE", "NORP"]


def test_init_refusals_are_one_line(tmp_path):
    db = tmp_path / "p.db"
    for args, message in [
        (["--labels", "ORG", "--patterns", tmp_path / "nope.jsonl"], "no such patterns file"),
        (["--labels", "ORG", "--lang", "xx-nope"], "no such language"),
        (["--labels", " , "], "name at least one label"),
    ]:
        result = run("init", "--db", db, *args, ok=False)
        assert result.exit_code == 1 and message in result.stderr, result.output
    assert not db.exists()


def test_suggest_with_labels_does_not_seed_the_models_labels(tmp_path):
    db = tmp_path / "p.db"
    text = tmp_path / "a.txt"
    text.write_text("Angela Merkel met officials of the United Nations in Paris on Monday.")
    run("import", "--db", db, text, "--labels", "PERSON,ORG")
    assert [r[0] for r in listing(db)] == ["PERSON", "ORG"]
    run("suggest", "--db", db, "--labels", "PERSON,ORG,GPE")  # the installed model: 18 labels
    assert [r[0] for r in listing(db)] == ["PERSON", "ORG", "GPE"]


# --------------------------------------------------------------------------- 4: several, keys


def test_labels_add_remove_several_and_keys_move_up(tmp_path):
    db = tmp_path / "p.db"
    names = [f"L{i}" for i in range(1, 12)]
    out = run("labels", "add", *names, "--db", db).stdout.splitlines()
    assert len(out) == 11 and out[-1].endswith("key -")
    assert [r[2] for r in listing(db)] == [*"1234567890", "-"]
    run("labels", "remove", "L2", "L3", "--db", db)
    keys = {r[0]: r[2] for r in listing(db)}
    assert keys == {"L1": "1", "L4": "4", "L5": "5", "L6": "6", "L7": "7", "L8": "8",
                    "L9": "9", "L10": "0", "L11": "2"}  # fmt: skip
    result = run("labels", "add", "A", "B", "--db", db, "--key", "3", ok=False)
    assert result.exit_code == 1 and "single label" in result.stderr


def test_labels_key_moves_a_taken_key(tmp_path):
    db = tmp_path / "p.db"
    run("labels", "add", *[f"L{i}" for i in range(1, 12)], "--db", db)
    out = run("labels", "key", "L11", "5", "--db", db).stdout
    assert out.splitlines() == ["L11 has key 5", "L5 now has key -"]
    keys = {r[0]: r[2] for r in listing(db)}
    assert keys["L11"] == "5"
    # no key is free for L5, and L11 keeps the key chosen for it
    assert sorted(k for n, k in keys.items() if k != "-") == sorted("1234567890")
    run("labels", "remove", "L1", "--db", db)  # key 1 is free again: L5, keyless, gets it
    keys = {r[0]: r[2] for r in listing(db)}
    assert keys["L5"] == "1" and keys["L11"] == "5"
    proc = subprocess.run([sys.executable, "-m", "annotator", "labels", "key", "L2", "x",
                           "--db", str(db)], capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "expected one of 1 2 3 4 5 6 7 8 9 0" in proc.stderr


# --------------------------------------------------------------------------- 5: colours


ONTONOTES = ["PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART",
             "LAW", "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL",
             "CARDINAL"]  # fmt: skip


def test_every_label_gets_its_own_colour(tmp_path):
    db = tmp_path / "p.db"
    custom = ["DRUG", "DOSE", "BRAND", "FASHION_BRAND", "SYMPTOM"]
    run("init", "--db", db, "--labels", ",".join(ONTONOTES))  # the seeding path: ensure_labels
    run("labels", "add", *custom, "--db", db)
    colours = {r[0]: r[1] for r in listing(db)}
    assert len(colours) == 23 and len(set(colours.values())) == 23
    for name in ("PERSON", "ORG", "GPE", "DATE", "PERCENT", "LAW"):  # first of each keeps it
        assert colours[name] == DISPLACY_COLOURS[name]
    assert colours["TIME"] != DISPLACY_COLOURS["TIME"]
    # the user may choose to share one
    run("labels", "recolour", "DRUG", colours["ORG"], "--db", db)
    assert {r[0]: r[1] for r in listing(db)}["DRUG"] == colours["ORG"]
