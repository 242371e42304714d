"""The domain package never imports streamlit: checked in the source and by importing each module."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "workshop"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = [module_name(p) for p in SOURCES]


def streamlit_imports(source: str) -> list[int]:
    """Lines that import streamlit: import statements, __import__(...) and importlib.import_module(...)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in {"__import__", "import_module"} and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
            found.append(node.lineno)
    return found


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("import streamlit as st\n", [1]),
        ("import os, streamlit\n", [1]),
        ("x = 1\nfrom streamlit import session_state\n", [2]),
        ("import streamlit.components.v1 as components\n", [1]),
        ("def f():\n    import streamlit\n", [2]),
        ("import importlib\nst = importlib.import_module('streamlit')\n", [2]),
        ("st = __import__('streamlit')\n", [1]),
        ("import streamlit_extras\nfrom .streamlit import x\nimport pandas\n", []),
        ("# import streamlit\ns = 'import streamlit'\n", []),
    ],
)
def test_the_detector_finds_streamlit_imports(source, lines):
    assert streamlit_imports(source) == lines


def test_the_package_is_where_we_look():
    assert PACKAGE.is_dir()
    assert {"workshop.model", "workshop.services", "workshop.store", "workshop.scoring"} <= set(MODULES)


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_no_module_of_the_domain_imports_streamlit(path):
    assert streamlit_imports(path.read_text(encoding="utf-8")) == [], f"{path} imports streamlit"


_PROBE = """
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
loaded = {}
for name in sys.argv[2:]:
    importlib.import_module(name)
    loaded[name] = sorted(m for m in sys.modules if m == "streamlit" or m.startswith("streamlit."))
print(json.dumps(loaded))
"""


def probe(*modules: str) -> dict[str, list[str]]:
    """Import the modules one after the other in a fresh interpreter; the streamlit modules loaded after each."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ROOT), *modules], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def loaded_after_import() -> dict[str, list[str]]:
    # One interpreter for all modules (each would pay for importing pandas again); streamlit,
    # once loaded, stays in sys.modules, so the first module that pulls it in and all later ones fail.
    return probe(*MODULES)  # workshop.__main__ too: its main() only runs under `python -m`


@pytest.mark.parametrize("name", MODULES)
def test_importing_the_module_does_not_load_streamlit(name, loaded_after_import):
    assert loaded_after_import[name] == []


def test_the_probe_would_notice_streamlit():
    pytest.importorskip("streamlit")
    loaded = probe("workshop.errors", "streamlit")
    assert loaded["workshop.errors"] == []
    assert "streamlit" in loaded["streamlit"]
