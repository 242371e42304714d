"""Catalog upkeep: ``update`` merges the template into every catalog (and starts missing ones),
``fill-en`` copies msgids into the English catalog; ``check`` lists problems.

``check`` reports, per shipped catalog: untranslated or fuzzy entries and placeholders ({name})
that differ between msgid and translation. The tests run the same check.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from workshop.i18n import LANGUAGES, locale_of  # noqa: E402

LOCALE = ROOT / "workshop" / "locale"
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def catalogs():
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as fh:
            yield po, read_po(fh, locale=locale_of(po.parent.parent.name))


def problems(catalog) -> list[str]:
    out = []
    for msg in catalog:
        if not msg.id:
            continue
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        strs = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        if msg.fuzzy:
            out.append(f"fuzzy: {ids[0]!r}")
        if not all(strs):
            out.append(f"missing: {ids[0]!r}")
            continue
        if len(ids) == 2 and len(strs) != catalog.num_plurals:
            out.append(f"plural forms: {ids[0]!r} has {len(strs)}, the language has {catalog.num_plurals}")
        # A plural entry's forms may each use the placeholders of the singular or of the plural
        # ("Merge this measure …" / "Merge these {n} measures …"): every placeholder of a form
        # must be in one of them, and every placeholder they share must be in every form.
        allowed = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        needed = set.intersection(*(set(PLACEHOLDER.findall(i)) for i in ids))
        for s in strs:
            found = set(PLACEHOLDER.findall(s))
            if not found <= allowed or not needed <= found or (len(ids) == 1 and found != allowed):
                out.append(f"placeholders differ: {ids[0]!r} -> {s!r}")
    return out


def fill_en() -> None:
    po = LOCALE / "en" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for msg in catalog:
        if not msg.id:
            continue
        if isinstance(msg.id, tuple):  # plural: singular and plural form as written
            if not all(msg.string or ()):
                msg.string = msg.id
        elif not msg.string:
            msg.string = msg.id
        msg.flags.discard("fuzzy")
    with po.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)


def update() -> None:
    """Merge messages.pot into every catalog of LANGUAGES, creating those that do not exist yet.

    Babel's own ``pybabel update`` cannot do it: it parses each folder name as a locale, and
    Leichte Sprache (``ls``) is not one.
    """
    with (LOCALE / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    for code in LANGUAGES:
        po = LOCALE / code / "LC_MESSAGES" / "messages.po"
        if po.exists():
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=locale_of(code))
        else:
            po.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale_of(code), project="Planungswerkstatt")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False  # a fuzzy header would drop Plural-Forms from the compiled catalog
        with po.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, ignore_obsolete=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update()
        return 0
    if argv[:1] == ["fill-en"]:
        fill_en()
        return 0
    bad = 0
    for po, catalog in catalogs():
        for line in problems(catalog):
            print(f"{po.parent.parent.name}: {line}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
