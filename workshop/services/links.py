"""Link keys (``queries.links``): what the language mediators' links and the paper ballot entry
links share. The facilitation team makes a link (audit-logged; the key is returned once), lists
and revokes it; a revoked link stops at its next request."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from workshop import auth
from workshop.errors import N_, NotFound
from workshop.queries import links as queries
from workshop.store import Database

from .common import _audit, _key, new_id, token_hash
from .workshops import get_workshop


@dataclass(frozen=True)
class LinkKind:
    """One kind of link: its table, its audit action (``<action>_revoked`` when revoked) and how
    the detail it carries (a language, a name) is checked."""

    table: str
    action: str
    clean: Callable[[object], str]


def create_link(
    db: Database, fac: auth.Facilitator, workshop_id: str, kind: LinkKind, detail: object
) -> tuple[str, str]:
    """(key id, key) of a new link of ``kind`` to the workshop; the key is not stored."""
    auth.check(db, fac)
    get_workshop(db, workshop_id)
    detail = kind.clean(detail)
    key, kid = secrets.token_urlsafe(24), new_id()

    def tx(cur):
        queries.insert(cur, kind.table, key_id=kid, workshop_id=workshop_id, key_hash=token_hash(key), detail=detail)
        _audit(cur, workshop_id, kind.action, kid, "", detail)

    db.write(tx)
    return kid, key


def list_links(db: Database, fac: auth.Facilitator, workshop_id: str, kind: LinkKind) -> list[tuple]:
    """``(key id, detail, created at, revoked)`` of the workshop's links of ``kind``."""
    auth.check(db, fac)
    return [(r[0], r[1], r[2], bool(r[3])) for r in queries.of_workshop(db, kind.table, _key(workshop_id))]


def revoke_link(db: Database, fac: auth.Facilitator, kind: LinkKind, key_id: str) -> None:
    auth.check(db, fac)

    def tx(cur):
        row = queries.key_row(cur, kind.table, _key(key_id))
        if not row:
            raise NotFound(N_("This link does not exist."))
        queries.revoke(cur, kind.table, key_id)
        _audit(cur, row[0], f"{kind.action}_revoked", key_id, row[1], "")

    db.write(tx)


def link_holder(db: Database, kind: LinkKind, key: object) -> tuple | None:
    """``(workshop id, key id, detail)`` of a link key, or None for one that is unknown, malformed
    or revoked."""
    if not isinstance(key, str) or not 16 <= len(key) <= 100:
        return None
    return queries.by_hash(db, kind.table, token_hash(key))


def link_works(db: Database, kind: LinkKind, key_id: str) -> bool:
    return queries.works(db, kind.table, key_id)
