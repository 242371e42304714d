"""The offline translation engine (issue 20.4): a suggestion for the translation desk, made on this
machine by Argos Translate's models, marked as machine-made until a person checks it.

The engine is optional. Without ``argostranslate``, or without a model for a language pair, there
is no suggestion and the desk works as before. Models are ``.argosmodel`` files (zip archives of a
CTranslate2 model and its SentencePiece or BPE vocabulary), carried into the hall and unpacked
into ``PW_ARGOS_DIR`` (see the README); nothing is downloaded and no text leaves the machine.

Of ``argostranslate`` only ``argostranslate.package`` is used: it reads an installed package
(metadata, tokenizer). ``argostranslate.translate`` is not: it imports ``stanza`` (and so torch,
gigabytes) at import time, and for a package without a bundled sentence splitter it downloads one
on first use. This module runs the package's model with CTranslate2 itself, with the settings
Argos uses, and cuts paragraphs into sentences with a rule of its own.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Protocol

from . import config
from .errors import N_

log = logging.getLogger(__name__)

# Our language codes -> Argos Translate's (ISO 639-1). Leichte Sprache has no engine.
ARGOS_CODES = {"de": "de", "en": "en", "tr": "tr", "ar": "ar", "ru": "ru", "uk": "uk", "fa": "fa"}
OURS = {argos: ours for ours, argos in ARGOS_CODES.items()}
PIVOT = "en"  # Argos' models mostly translate to and from English: de -> tr is de -> en -> tr
DEFAULT_DIR = config.DATA_DIR / "argos"

SUGGESTION = N_("Machine suggestion: please check and correct it before saving.")
NO_ENGINE_FOR_PAIR = N_("No machine translation from {source} to {target} on this machine: please translate by hand.")


class Engine(Protocol):
    """What the desk needs of a translation engine."""

    def pairs(self) -> set[tuple[str, str]]:
        """The (source, target) pairs it translates, in our language codes."""
        ...

    def translate(self, text: str, source: str, target: str) -> str:
        """``text`` from ``source`` to ``target``; LookupError for a pair not in ``pairs()``."""
        ...


def models_dir(env: dict[str, str] | None = None) -> Path:
    """Where the unpacked models are: PW_ARGOS_DIR, else Argos' own ARGOS_PACKAGES_DIR, else data/argos."""
    env = os.environ if env is None else env
    return Path(env.get("PW_ARGOS_DIR") or env.get("ARGOS_PACKAGES_DIR") or DEFAULT_DIR)


def _argos(folder: Path) -> Any | None:
    """``argostranslate.package``, imported with settings that keep it offline; None where it cannot
    be imported (not installed, or its folders cannot be made)."""
    # The package index is this folder (never a remote one) and the model provider the local one
    # (never LibreTranslate or OpenAI): even code that calls Argos' download or remote functions
    # finds nothing online. Argos reads its settings once, when first imported: they are set in
    # the environment before, and on its settings module after (in case it was imported earlier).
    index = folder.resolve().as_uri() + "/"
    os.environ["ARGOS_PACKAGES_DIR"] = str(folder)
    os.environ["ARGOS_PACKAGE_INDEX"] = index
    os.environ["ARGOS_MODEL_PROVIDER"] = "OPENNMT"
    try:
        import argostranslate.package as package
        from argostranslate import settings
    except Exception as exc:  # ImportError, or an OSError making Argos' folders in the home directory
        log.info("No offline translation engine: argostranslate cannot be imported (%s)", exc)
        return None
    settings.package_index = settings.remote_repo = index
    settings.remote_package_index = index + "index.json"
    settings.model_provider = settings.ModelProvider.OPENNMT
    return package


class ArgosEngine:
    """Argos Translate's packages unpacked in ``folder``, run here with CTranslate2.

    The folder is read again when it changes (a package unpacked while the app runs is found);
    a model is loaded on its first translation and kept.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()  # reading the folder
        self._loading = threading.Lock()  # loading a model (seconds): pairs() need not wait for it
        self._seen: tuple | None = None  # the folder's _stamp when it was last read
        self._packages: dict[tuple[str, str], Any] = {}  # (argos source, argos target) -> Package
        self._translators: dict[Path, Any] = {}  # package folder -> ctranslate2.Translator

    def _installed(self) -> dict[tuple[str, str], Any]:
        stamp = _stamp(self.folder)
        if stamp is None:
            return {}
        with self._lock:
            if stamp != self._seen:
                self._packages = _read_packages(self.folder)
                self._seen = stamp
            return self._packages

    def pairs(self) -> set[tuple[str, str]]:
        installed = {(OURS[s], OURS[t]) for s, t in self._installed() if s in OURS and t in OURS}
        to_pivot = {s for s, t in installed if t == PIVOT}
        from_pivot = {t for s, t in installed if s == PIVOT}
        return installed | {(s, t) for s in to_pivot for t in from_pivot if s != t}

    def translate(self, text: str, source: str, target: str) -> str:
        for package in self._route(source, target):
            text = self._run(package, text)
        return text

    def _route(self, source: str, target: str) -> list[Any]:
        """The packages from ``source`` to ``target``: the direct one, else through English."""
        installed = self._installed()
        s, t = ARGOS_CODES.get(source), ARGOS_CODES.get(target)
        if (s, t) in installed:
            return [installed[s, t]]
        if (s, PIVOT) in installed and (PIVOT, t) in installed:
            return [installed[s, PIVOT], installed[PIVOT, t]]
        raise LookupError(f"no translation model from {source} to {target} in {self.folder}")

    def _translator(self, package: Any) -> Any:
        import ctranslate2
        from argostranslate import settings

        with self._loading:
            found = self._translators.get(package.package_path)
            if found is None:
                found = ctranslate2.Translator(
                    str(package.package_path / "model"),
                    device=settings.device,
                    inter_threads=settings.inter_threads,
                    intra_threads=settings.intra_threads,
                    compute_type=settings.compute_type,
                )
                self._translators[package.package_path] = found
            return found

    def _run(self, package: Any, text: str) -> str:
        """One package's translation, paragraph by paragraph, sentence by sentence (as Argos does)."""
        from argostranslate import settings

        translator = self._translator(package)
        prefix = package.target_prefix
        paragraphs = []
        for paragraph in text.split("\n"):
            cut = sentences(paragraph)
            if not cut:
                paragraphs.append("")
                continue
            results = translator.translate_batch(
                [package.tokenizer.encode(s) for s in cut],
                target_prefix=[[prefix]] * len(cut) if prefix else None,
                replace_unknowns=True,
                max_batch_size=settings.batch_size,
                batch_type="tokens",
                beam_size=settings.beam_size,
                length_penalty=0.2,
            )
            done = []
            for result in results:
                value = package.tokenizer.decode(result.hypotheses[0])
                if prefix and value.startswith(prefix):
                    value = value[len(prefix) :]
                done.append(value.strip())
            paragraphs.append(" ".join(done))
        return "\n".join(paragraphs)


def _stamp(folder: Path) -> tuple | None:
    """What changes when a package is unpacked (also while it is being unpacked) or removed: the
    folder's entries, their times and their model folders' times. None: no folder."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return None
    stamp = []
    for path in entries:
        try:
            model = (path / "model").stat().st_mtime_ns if (path / "model").is_dir() else 0
            stamp.append((path.name, path.stat().st_mtime_ns, model))
        except OSError:  # removed meanwhile: the next look sees it gone
            continue
    return tuple(stamp)


def _read_packages(folder: Path) -> dict[tuple[str, str], Any]:
    """The translation packages unpacked in ``folder``; one that cannot be read is left out (and
    logged), not the whole folder."""
    package = _argos(folder)
    if package is None:
        return {}
    try:
        paths = sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:  # removed meanwhile
        return {}
    found = {}
    for path in paths:
        try:
            pkg = package.Package(path)
        except Exception as exc:  # no or broken metadata.json
            log.warning("Not a translation model, left out: %s (%s)", path, exc)
            continue
        if pkg.type != "translate" or not hasattr(pkg, "tokenizer") or not (path / "model").is_dir():
            log.warning("Not a complete translation model, left out: %s", path)
            continue
        found.setdefault((pkg.from_code, pkg.to_code), pkg)
    return found


# A sentence ends at ., !, ? (Arabic and Persian: ؟) before a space; not after a number or an
# abbreviation ("am 3. Mai", "z. B.", "Nr. 5") and not before a lowercase letter or a digit.
_END = re.compile(r"[.!?…؟]+[\"'»«“”’)\]]*\s+")
_NO_END = re.compile(r"(?:\b\w|\d+|\b(?:bzw|ca|usw|vgl|Nr|Str|Dr|etc|ggf|evtl))\.$")


def sentences(paragraph: str) -> list[str]:
    """A paragraph cut into sentences: the models are trained on one sentence at a time."""
    found, start = [], 0
    for end in _END.finditer(paragraph):
        following = paragraph[end.end() : end.end() + 1]
        if following.islower() or following.isdigit() or _NO_END.search(paragraph[start : end.end()].rstrip()):
            continue
        found.append(paragraph[start : end.end()].strip())
        start = end.end()
    found.append(paragraph[start:].strip())
    return [s for s in found if s]


_engines: dict[Path, ArgosEngine] = {}
_engines_lock = threading.Lock()


def engine(folder: str | Path | None = None) -> Engine | None:
    """This machine's engine (models in ``folder``, default ``models_dir()``), or None: no
    ``argostranslate``, or no model for any pair of our languages."""
    folder = Path(folder) if folder is not None else models_dir()
    with _engines_lock:
        found = _engines.get(folder) or _engines.setdefault(folder, ArgosEngine(folder))
    return found if found.pairs() else None


def suggest(engine: Engine | None, title: str, description: str, source: str, target: str) -> tuple[str, str] | None:
    """The engine's (title, description) in ``target``, a suggestion for a person to check (stored
    as ``Made.ENGINE``); None without an engine for the pair, or when it fails (logged): the desk
    then works without it."""
    if engine is None or source == target or not {source, target} <= ARGOS_CODES.keys():
        return None
    if (source, target) not in engine.pairs():
        return None
    try:
        return (
            engine.translate(title, source, target),
            engine.translate(description, source, target) if description.strip() else "",
        )
    except Exception:
        log.exception("The offline engine failed on %s -> %s", source, target)
        return None
