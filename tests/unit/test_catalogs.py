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

    keywords = {"_": None, "N_": None, "NP_": (1, 2), "ngettext": (1, 2)}
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


# Parameters that hold a count of something ("{n} measures", "{left} dots left").
_COUNTS = {"n", "count", "max", "min", "left", "total", "months", "devices", "ballots", "cards", "used", "length"}
# Sentences with such a parameter and no noun whose form depends on it, each with the reason.
_NO_PLURAL_NOUN = {
    "Place {n}": "an ordinal label",
    "Goal {n}: {title}": "an ordinal label",
    "Guiding question {n}: {title}": "an ordinal label",
    "Move up: {title} (place {n})": "an ordinal label",
    "Move down: {title} (place {n})": "an ordinal label",
    "{title}: now place {n}": "an ordinal label",
    "{n} (low)": "a point of the rating scale",
    "{n} (high)": "a point of the rating scale",
    "Ratings go from {min} to {max}.": "a range of values",
    "Rate each measure from {min} (low) to {max} (high).": "a range of values",
    "Rate each recommendation from {min} (low) to {max} (high).": "a range of values",
    "{criterion} for {title}, from {min} (low) to {max} (high)": "a range of values",
    "“{field}” must be a whole number from {min} to {max}.": "a range of values",
    "Problems in the file: {count}.": "a number after a colon",
    "Ballots already cast that this change affects: {count}.": "a number after a colon",
    "(ballots: {ballots}, proposals: {measures})": "numbers after colons",
    "The file is larger than {max} kB.": "a unit symbol",
    "This ballot is larger than {max} kB": "a unit symbol",
    "There is no card with the number {n}.": "a card's number, not a count",
}


def test_no_msgid_puts_a_count_before_a_fixed_plural():
    """Issue 22.1: "1 Maßnahmen unterstützt". A sentence with a count is an ngettext pair (its
    forms per language: ``scripts/i18n.py check``), unless the number names no noun (listed)."""
    import re

    from babel.messages.pofile import read_po

    with (ROOT / "workshop" / "locale" / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    fixed = []
    for msg in template:
        if not msg.id or isinstance(msg.id, tuple):
            continue
        if set(re.findall(r"\{(\w+)\}", msg.id)) & _COUNTS and not any(ok in msg.id for ok in _NO_PLURAL_NOUN):
            fixed.append(msg.id)
    assert fixed == [], "use ngettext (or NP_ in a refusal) for these"


def test_every_plural_entry_has_the_forms_of_its_language():
    """Russian and Ukrainian have three forms, Arabic six: a catalog entry with fewer is wrong
    for some numbers (the check also runs in ``test_catalog_is_complete``)."""
    for po, catalog in catalog_tool.catalogs():
        short = [
            m.id[0] for m in catalog if isinstance(m.id, tuple) and len(m.string) != catalog.num_plurals and m.string[0]
        ]
        assert short == [], f"{po.parent.parent.name}: {short}"
