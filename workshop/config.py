"""Settings in one place: the environment with defaults (tests set their own)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEMO_FILE = DATA_DIR / "demo_workshop.yaml"


@dataclass(frozen=True)
class Settings:
    db_path: str
    passphrase: str | None
    public_url: str | None
    demo_on_empty: bool
    session_hours: int
    # Safety copies (workshop.safety): the folder, minutes between two rounds (0: off), copies kept.
    safety_dir: str = ""
    safety_minutes: float = 5
    safety_keep: int = 12
    # Per client address and minute (workshop.limits): new devices joining, wrong voting-card codes.
    joins_per_address_minute: int = 30
    card_tries_per_address_minute: int = 30


def safety_dir(db_path: str, env: dict[str, str] | None = None) -> str:
    """Where the safety copies of a database go: PW_SAFETY_DIR, else a ``safety`` folder beside the file."""
    env = os.environ if env is None else env
    return env.get("PW_SAFETY_DIR") or str(Path(db_path).resolve().parent / "safety")


def load(env: dict[str, str] | None = None, secrets: dict | None = None) -> Settings:
    """Read settings; ``secrets`` is Streamlit's secrets mapping when the app runs."""
    env = dict(os.environ if env is None else env)
    secrets = secrets or {}
    passphrase = env.get("PW_PASSPHRASE") or secrets.get("facilitator_passphrase") or None
    # PW_DATABASE_URL=postgresql://… : a PostgreSQL server shared by several app processes; else a DuckDB file.
    db_path = env.get("PW_DATABASE_URL") or env.get("PW_DB_PATH") or str(DATA_DIR / "workshop.duckdb")
    return Settings(
        db_path=db_path,
        passphrase=passphrase,
        public_url=env.get("PW_PUBLIC_URL") or secrets.get("public_url") or None,
        demo_on_empty=env.get("PW_DEMO", "1") not in ("0", "false", "no"),
        session_hours=int(env.get("PW_FACILITATOR_SESSION_HOURS", "12")),
        safety_dir=safety_dir(db_path, env),
        safety_minutes=float(env.get("PW_SAFETY_MINUTES", "5")),
        safety_keep=max(1, int(env.get("PW_SAFETY_KEEP", "12"))),
        joins_per_address_minute=int(env.get("PW_JOINS_PER_ADDRESS_MINUTE", "30")),
        card_tries_per_address_minute=int(env.get("PW_CARD_TRIES_PER_ADDRESS_MINUTE", "30")),
    )
