"""Shipped catalogs are complete: no missing or fuzzy entry, the same placeholders as the msgid,
and the template lists every msgid the code uses."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from workshop import i18n

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import i18n as catalog_tool  # noqa: E402  (scripts/i18n.py)

SHIPPED = sorted(p.parent.parent.name for p in (ROOT / "workshop" / "locale").glob("*/LC_MESSAGES/messages.po"))


def test_german_and_english_ship():
    assert {"de", "en"} <= set(SHIPPED)
    assert i18n.DEFAULT_LANGUAGE == "de"


@pytest.mark.parametrize("lang", SHIPPED)
def test_catalog_is_complete(lang):
    for po, catalog in catalog_tool.catalogs():
        if po.parent.parent.name == lang:
            assert catalog_tool.problems(catalog) == []


def test_every_msgid_in_the_code_is_in_the_catalogs():
    """Run `make extract` (and translate) after adding strings, or this fails."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    used = set()
    for folder in ("app_pages", "ui", "workshop"):
        for _file, _line, msg, _comments, _ctx in extract_from_dir(ROOT / folder, keywords=keywords):
            used.add(msg if isinstance(msg, str) else msg[0])
    from babel.messages.extract import extract

    with (ROOT / "app.py").open("rb") as fh:
        used |= {m[1] if isinstance(m[1], str) else m[1][0] for m in extract("python", fh, keywords=keywords)}
    assert len(used) > 200
    for lang in SHIPPED:
        with (ROOT / "workshop" / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            have = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
        assert used - have == set(), f"{lang}: run `make extract` and translate"


def test_language_is_chosen_per_call_not_process_wide():
    de, en = i18n.gettext_for("de"), i18n.gettext_for("en")
    assert de("Vote") == "Abstimmen"
    assert en("Vote") == "Vote"
    assert i18n.gettext_for("xx")("Vote") == "Abstimmen"  # unknown language: German


def test_a_language_list_from_the_url_keeps_known_languages_in_picker_order():
    assert i18n.parse_list("ar,xx,de") == ["de", "ar"]
    assert i18n.parse_list("") == list(i18n.available_languages())  # nothing chosen: all
    assert i18n.parse_list("xx") == list(i18n.available_languages())


def test_the_projector_rotates_through_the_languages_every_period():
    langs = ["de", "ar", "tr"]
    assert [i18n.rotating(langs, t, period=6) for t in (0, 5.9, 6, 12, 18)] == ["de", "de", "ar", "tr", "de"]


def test_arabic_plural_forms_follow_cldr():
    """0, 1, 2, 3–10 (few), 11–99 (many: the accusative singular), 100–102 … (other)."""
    rule = i18n.translations("ar").plural
    assert [rule(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 101, 102, 103, 111, 1000)] == [
        0, 1, 2, 3, 3, 4, 4, 5, 5, 5, 3, 4, 5,
    ]  # fmt: skip


def test_no_msgid_hides_inside_a_translation_call():
    """``_(pick(N_("a"), N_("b")))``: the extractor reads only the outer call's own strings, so the
    inner msgids reach no catalog (and the completeness test above, using the same extractor,
    cannot notice). Mark them at the top level instead."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    hidden = []
    for path in [*root.glob("app_pages/*.py"), *root.glob("ui/*.py"), *root.glob("workshop/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("_", "ngettext"):
                direct = {id(a) for a in node.args}  # _(N_("x")) is read: N_ is a keyword itself
                for inner in ast.walk(node):
                    if (
                        inner is not node
                        and id(inner) not in direct
                        and isinstance(inner, ast.Call)
                        and getattr(inner.func, "id", None) == "N_"
                    ):
                        hidden.append(f"{path.relative_to(root)}:{inner.lineno}")
    assert not hidden, hidden
