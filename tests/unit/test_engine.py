"""The offline translation engine (workshop/engine.py): a suggestion where a model is installed,
nothing (and no error) where none is, and never a request to another machine.

No real model can be downloaded here. The real loading code (Argos' ``Package``, CTranslate2,
SentencePiece) runs on tiny packages built by ``toy_package``: a CTranslate2 transformer with random
weights and a SentencePiece vocabulary trained on a few German sentences. Their output is noise;
they show that a package is found, loaded and run, and what the engine keeps of a text's shape.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workshop import engine as engines

ROOT = Path(__file__).resolve().parents[2]


def need(module: str):
    """The module, or a skip where it is not installed; in CI (which installs it, scripts/test.sh)
    a missing one fails instead of skipping."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module)


CORPUS = ["Ein Sprachcafé im Bürgerhaus.", "Mehr Bänke am Marktplatz.", "Wir treffen uns jeden Montag."]


def toy_package(folder: Path, source: str, target: str) -> Path:
    """An unpacked Argos package ``source`` -> ``target`` in ``folder``, built here (no download)."""
    np = need("numpy")
    spm = need("sentencepiece")
    specs = need("ctranslate2.specs")
    path = folder / f"translate-{source}_{target}-1_0"
    (path / "model").mkdir(parents=True)
    vocabulary = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 4),
        model_writer=vocabulary,
        vocab_size=40,
        hard_vocab_limit=False,
        normalization_rule_name="identity",
        minloglevel=2,
    )
    (path / "sentencepiece.model").write_bytes(vocabulary.getvalue())
    processor = spm.SentencePieceProcessor(model_proto=vocabulary.getvalue())
    tokens = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    spec = specs.TransformerSpec.from_config(1, 2)
    width, rng = 8, np.random.default_rng(0)
    for name, value in spec.variables(ordered=True):
        if value is None:
            shape = _shape(name, width, len(tokens))
            _set(spec, name, rng.normal(0, 0.5, shape).astype(np.float32))
    spec.register_source_vocabulary(tokens)
    spec.register_target_vocabulary(tokens)
    spec.validate()
    spec.save(str(path / "model"))
    metadata = {"package_version": "1.0", "argos_version": "1.0", "from_code": source, "to_code": target}
    (path / "metadata.json").write_text(json.dumps({**metadata, "from_name": source, "to_name": target}))
    return path


def _shape(name: str, d: int, vocabulary: int) -> tuple[int, ...]:
    if "layer_norm" in name:
        return (d,)
    if "embeddings" in name or "projection" in name:
        return (vocabulary, d)
    block, linear = name.split("/")[-3:-1]
    return {
        ("self_attention", "linear_0"): (3 * d, d),  # query, key and value in one
        ("self_attention", "linear_1"): (d, d),
        ("attention", "linear_0"): (d, d),
        ("attention", "linear_1"): (2 * d, d),  # key and value of the source
        ("attention", "linear_2"): (d, d),
        ("ffn", "linear_0"): (2 * d, d),
        ("ffn", "linear_1"): (d, 2 * d),
    }[block, linear]


def _set(spec, name: str, value) -> None:
    """Set ``encoder/layer_0/ffn/linear_1/weight`` on the spec's objects (``layer_0``: ``layer[0]``)."""
    *parts, leaf = name.split("/")
    for part in parts:
        if hasattr(spec, part):
            spec = getattr(spec, part)
        else:
            list_name, _, index = part.rpartition("_")
            spec = getattr(spec, list_name)[int(index)]
    setattr(spec, leaf, value)


@pytest.fixture(autouse=True)
def argos_settings_restored(monkeypatch):
    """Every test here: the variables the engine sets (``_argos``) are put back afterwards, so that
    no later test of another file finds this file's toy models as the machine's engine."""
    for name in ("ARGOS_PACKAGES_DIR", "ARGOS_PACKAGE_INDEX", "ARGOS_MODEL_PROVIDER", "PW_ARGOS_DIR"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


@pytest.fixture
def argos_env(monkeypatch, tmp_path_factory):
    """Argos' settings as the engine leaves them are undone after the test; its home folders in tmp."""
    home = tmp_path_factory.mktemp("home")
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    for name in ("ARGOS_PACKAGES_DIR", "ARGOS_PACKAGE_INDEX", "ARGOS_MODEL_PROVIDER", "PW_ARGOS_DIR"):
        monkeypatch.delenv(name, raising=False)  # and restored after the engine set it
    need("argostranslate.package")


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    """de -> en and en -> tr (so de -> tr through English), one pair not ours, and a stray folder."""
    folder = tmp_path_factory.mktemp("argos")
    toy_package(folder, "de", "en")
    toy_package(folder, "en", "tr")
    toy_package(folder, "en", "fr")
    (folder / "notes").mkdir()  # no metadata.json: left out, not fatal
    return folder


# --- (a) argostranslate installed, no model ------------------------------------------------------


def test_no_model_installed_means_no_engine_and_no_suggestion(argos_env, tmp_path, monkeypatch):
    monkeypatch.setenv("PW_ARGOS_DIR", str(tmp_path))
    assert engines.models_dir() == tmp_path
    assert engines.engine() is None
    argos = engines.ArgosEngine(tmp_path)
    assert argos.pairs() == set()
    assert "argostranslate.package" in sys.modules, "the real package was asked, not skipped"
    assert engines.suggest(argos, "Mehr Bänke", "Am Markt.", "de", "tr") is None
    with pytest.raises(LookupError):
        argos.translate("Mehr Bänke", "de", "tr")
    assert os.environ["ARGOS_PACKAGES_DIR"] == str(tmp_path), "Argos' own tools would unpack there"


def test_a_folder_of_strays_or_no_folder_is_no_engine(argos_env, tmp_path):
    (tmp_path / "translate-de_en").mkdir()  # unpacked wrongly: no metadata.json
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "metadata.json").write_text('{"from_code": "de", "to_code": "en"}')  # no model
    (tmp_path / "translate-de_en-1_0.argosmodel").write_bytes(b"PK")  # not unpacked
    assert engines.engine(tmp_path) is None
    assert engines.engine(tmp_path / "missing") is None


def test_without_argostranslate_there_is_no_engine(monkeypatch, tmp_path, models):
    monkeypatch.setitem(sys.modules, "argostranslate.package", None)  # import fails as if not installed
    assert engines.engine(tmp_path) is None
    assert engines.ArgosEngine(models).pairs() == set()


def test_the_models_folder_setting():
    assert engines.models_dir({"PW_ARGOS_DIR": "/media/pw", "ARGOS_PACKAGES_DIR": "/x"}) == Path("/media/pw")
    assert engines.models_dir({"ARGOS_PACKAGES_DIR": "/x"}) == Path("/x")
    assert engines.models_dir({}) == engines.DEFAULT_DIR


# --- (b) the suggestion, through the interface ---------------------------------------------------


class Double:
    """An engine with the pairs it is given; it marks what it translated."""

    def __init__(self, *pairs: tuple[str, str]) -> None:
        self._pairs = set(pairs)
        self.asked: list[tuple[str, str, str]] = []

    def pairs(self) -> set[tuple[str, str]]:
        return set(self._pairs)

    def translate(self, text: str, source: str, target: str) -> str:
        if (source, target) not in self._pairs:
            raise LookupError((source, target))
        self.asked.append((text, source, target))
        return f"<{target}> {text}"


def test_a_suggestion_for_title_and_description():
    double = Double(("de", "tr"))
    got = engines.suggest(double, "Mehr Bänke", "Am Markt.", "de", "tr")
    assert got == ("<tr> Mehr Bänke", "<tr> Am Markt.")
    assert double.asked == [("Mehr Bänke", "de", "tr"), ("Am Markt.", "de", "tr")]


def test_an_empty_description_stays_empty_without_asking_the_engine():
    double = Double(("de", "tr"))
    assert engines.suggest(double, "Mehr Bänke", " ", "de", "tr") == ("<tr> Mehr Bänke", "")
    assert len(double.asked) == 1


@pytest.mark.parametrize(("source", "target"), [("tr", "de"), ("de", "ar"), ("de", "de")])
def test_no_suggestion_for_a_pair_the_engine_lacks(source, target):
    double = Double(("de", "tr"), ("de", "de"))
    assert engines.suggest(double, "Mehr Bänke", "", source, target) is None
    assert double.asked == []


@pytest.mark.parametrize(("source", "target"), [("de", "ls"), ("ls", "de"), ("ls", "en")])
def test_leichte_sprache_is_never_offered_even_by_an_engine_that_claims_it(source, target):
    double = Double((source, target))
    assert engines.suggest(double, "Mehr Bänke", "", source, target) is None
    assert double.asked == []


def test_no_engine_no_suggestion():
    assert engines.suggest(None, "Mehr Bänke", "", "de", "tr") is None


def test_an_engine_that_fails_gives_no_suggestion_not_an_error(caplog):
    class Broken(Double):
        def translate(self, text, source, target):
            raise RuntimeError("model file damaged")

    assert engines.suggest(Broken(("de", "tr")), "Mehr Bänke", "", "de", "tr") is None
    assert "de -> tr" in caplog.text


# --- the real loading code, on toy packages ------------------------------------------------------


def test_installed_pairs_in_our_codes_with_english_as_the_pivot(argos_env, models):
    found = engines.engine(models)
    assert found is not None
    assert found.pairs() == {("de", "en"), ("en", "tr"), ("de", "tr")}  # fr is not ours; no ls


def test_a_translation_keeps_the_paragraphs(argos_env, models):
    argos = engines.ArgosEngine(models)
    text = "Mehr Bänke am Marktplatz. Wir treffen uns.\n\nEin Sprachcafé."
    out = argos.translate(text, "de", "tr")  # de -> en -> tr: both packages loaded and run
    lines = out.split("\n")
    assert len(lines) == 3 and lines[1] == "" and lines[0] and lines[2]
    assert len(argos._translators) == 2
    got = engines.suggest(argos, "Mehr Bänke", "Am Markt.", "de", "tr")
    assert got is not None and all(isinstance(s, str) and s for s in got)
    assert engines.suggest(argos, "Mehr Bänke", "", "tr", "de") is None


def test_a_package_unpacked_while_the_app_runs_is_found(argos_env, tmp_path):
    argos = engines.ArgosEngine(tmp_path)
    toy_package(tmp_path, "de", "en")
    assert argos.pairs() == {("de", "en")}
    toy_package(tmp_path, "ar", "en")
    assert argos.pairs() == {("de", "en"), ("ar", "en")}


@pytest.mark.parametrize(
    ("paragraph", "cut"),
    [
        ("Mehr Bänke. Wir treffen uns! Wer kommt? Gut", ["Mehr Bänke.", "Wir treffen uns!", "Wer kommt?", "Gut"]),
        ("Treffen z. B. am 3. Mai in der Str. am Markt.", ["Treffen z. B. am 3. Mai in der Str. am Markt."]),
        ("سلام. این خوب است؟ بله", ["سلام.", "این خوب است؟", "بله"]),
        ("  ", []),
    ],
)
def test_sentences(paragraph, cut):
    assert engines.sentences(paragraph) == cut


# --- (c) nothing leaves 127.0.0.1 ----------------------------------------------------------------

# Run in a fresh interpreter, so Argos is imported under the guard. The guard is an audit hook: the
# socket module reports every connect, sendto and name lookup to it, whoever opens the socket.
_GUARD = textwrap.dedent(
    """
    import json, socket, sys, urllib.request
    LOCAL = {"127.0.0.1", "::1", "localhost"}
    phase, attempts = "engine", []

    def guard(event, args):
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock, address = args[0], args[1]
            host = address[0] if sock.family in (socket.AF_INET, socket.AF_INET6) else "local"
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
            host = args[0]
        else:
            return
        if host not in LOCAL and host != "local":
            attempts.append([phase, event, str(host)])
            raise OSError("this test forbids the network")

    sys.addaudithook(guard)
    if sys.argv[1] == "argos first":  # imported by someone else, with its default (online) index
        import argostranslate.package
    from workshop import engine as engines
    argos = engines.engine()
    report = {"pairs": sorted(map(list, argos.pairs()))}
    report["suggestion"] = engines.suggest(argos, "Mehr Bänke", "Am Markt. Jeden Montag.", "de", "tr")
    try:
        argos.translate("Mehr Bänke", "de", "ar")
    except LookupError:
        report["missing pair"] = "LookupError"
    import argostranslate.package
    argostranslate.package.update_package_index()  # Argos' own index: here, the models folder
    phase = "control"  # the guard sees a request that does try to leave
    for attempt in (lambda: urllib.request.urlopen("http://192.0.2.1/", timeout=2),
                    lambda: socket.socket().connect(("192.0.2.1", 80)),
                    lambda: socket.getaddrinfo("example.org", 443)):
        try:
            attempt()
        except OSError:
            pass
    report["attempts"] = attempts
    print(json.dumps(report))
    """
)


@pytest.mark.parametrize("order", ["engine first", "argos first"])
def test_nothing_leaves_this_machine(models, tmp_path, order):
    need("argostranslate.package")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOS_", "PW_"))}
    env.update(
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "share"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        PW_ARGOS_DIR=str(models),
        PYTHONPATH=str(ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-c", _GUARD, order], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["pairs"] == [["de", "en"], ["de", "tr"], ["en", "tr"]]
    assert report["suggestion"] and all(report["suggestion"]), "the models ran under the guard"
    assert report["missing pair"] == "LookupError"
    assert [a for a in report["attempts"] if a[0] != "control"] == []
    assert report["attempts"] == [  # the guard works
        ["control", "socket.getaddrinfo", "192.0.2.1"],
        ["control", "socket.connect", "192.0.2.1"],
        ["control", "socket.getaddrinfo", "example.org"],
    ]
