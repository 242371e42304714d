"""The hall: the public address and the projector's links."""

from __future__ import annotations

import secrets

from workshop import auth
from workshop.errors import N_, ValidationError
from workshop.model import clean_text
from workshop.queries import hall as queries
from workshop.store import Database

from .common import token_hash
from .workshops import get_workshop


def public_url(db: Database) -> str | None:
    return db.get_meta("public_url") or None


def set_public_url(db: Database, fac: auth.Facilitator, url: object) -> None:
    """The address participants' devices use (e.g. behind a reverse proxy); empty clears it."""
    auth.check(db, fac)
    url = clean_text(url, field_label=N_("Public address"), max_len=300).rstrip("/")
    if url and not url.startswith(("http://", "https://")):  # after rstrip: "https://" alone is refused
        raise ValidationError(N_("The address must start with http:// or https://."))
    if url:
        db.set_meta("public_url", url)
    else:
        queries.forget_public_url(db)


def projector_key(db: Database, fac: auth.Facilitator, workshop_id: str) -> str:
    """A read-only key for the projector window: it shows what the projector shows, nothing else."""
    auth.check(db, fac)
    get_workshop(db, workshop_id)
    key = secrets.token_urlsafe(24)
    db.set_meta(f"projector:{token_hash(key)}", workshop_id)
    return key


def projector_workshop(db: Database, key: object) -> str | None:
    if not isinstance(key, str) or not 16 <= len(key) <= 100:
        return None
    return db.get_meta(f"projector:{token_hash(key)}")
