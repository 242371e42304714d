"""Issue 21.1: the services keep the rules, the store layer (workshop.queries) holds the SQL.
No module of workshop/services writes a statement or runs one itself; a write's transaction
boundary (``db.write``) and the store's key/value settings (``get_meta``/``set_meta``) stay there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SERVICES = sorted((Path(__file__).resolve().parents[2] / "workshop" / "services").glob("*.py"))
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.S)
RUNS_SQL = {"execute", "executemany", "fetchall", "fetchone", "scalar", "df"}


def test_the_services_are_a_package_of_sections():
    assert {p.stem for p in SERVICES} >= {
        "workshops",
        "vision",
        "participants",
        "measures",
        "translations",
        "ballots",
        "moderation",
        "hall",
        "cards",
    }


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_no_sql_in_the_services(path):
    tree = ast.parse(path.read_text())
    statements = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value)
    ]
    runs = [
        f"{node.lineno}: .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNS_SQL
    ]
    assert not statements, f"SQL text in {path.name} at lines {statements}: it belongs in workshop/queries"
    assert not runs, f"{path.name} runs statements itself: {runs}"


def test_the_check_finds_sql():
    """The pattern above is not blind: it finds the statements the services used to hold."""
    assert SQL.search("SELECT join_code FROM workshops WHERE id = $1")
    assert SQL.search("INSERT INTO audit_log (workshop_id) VALUES ($1)")
    assert SQL.search("UPDATE workshops SET phase = $1")
    assert SQL.search("DELETE FROM votes WHERE ballot_id = $1")
    assert not SQL.search("Select the measures from the list")
