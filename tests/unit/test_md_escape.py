"""Widget labels take Markdown: user text passed there is escaped so nothing is interpreted.

The browser test (tests/e2e/test_hostile_input.py) shows what a browser renders; this pins the
escaping itself: every Markdown character is backslash-escaped, bare URLs are broken by an
invisible word joiner, and undoing both gives back exactly the typed text.
"""

from __future__ import annotations

import re

import pytest

from ui.common import md_escape

HOSTILE = [
    "**bold** _it_ `code` ~~strike~~",
    "[x](https://example.org) ![img](x.png)",
    "https://example.org www.example.org a@b.org",
    "<img src=x onerror=alert(1)> <b>b</b> &amp; &#58;",
    "# heading",
    ":red[red] :material/home: $x^2$",
    "\u202egpj.exe",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_escaping_is_complete_and_reversible(text):
    out = md_escape(text)
    unescaped = re.sub(r"\\(.)", r"\1", out.replace("\u2060", ""))
    assert unescaped == text
    for ch in "*_`[]()!<>&#:$~":
        assert re.search(rf"(?<!\\){re.escape(ch)}", out.replace("\u2060", "")) is None, ch


def test_bare_urls_and_addresses_are_broken_by_an_invisible_joiner():
    out = md_escape("https://example.org www.example.org a@b.org")
    assert "://" not in out and "www." not in out and "a@" not in out


def test_newlines_become_spaces_in_a_label():
    assert md_escape("a\nb") == "a b"
