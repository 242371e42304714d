"""The hall's statements: settings kept in ``meta`` (the public address, projector keys)."""

from __future__ import annotations

from typing import Any

from . import run


def forget_public_url(q: Any) -> None:
    run(q, "DELETE FROM meta WHERE key = 'public_url'")
