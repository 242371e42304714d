"""Planungswerkstatt's domain: workshops, visions, measures, ballots, scoring. No UI in here.

An analyst can recompute a ranking from a backup without the app::

    import workshop
    db, ws = workshop.load_backup("harburg-2026.json")
    print(workshop.views.ranking(db, ws, "dots"))   # or "approval", "rating", "borda"
"""

from __future__ import annotations

from pathlib import Path


def load_backup(path: str | Path):
    """Restore a JSON backup into an in-memory database; returns ``(db, workshop)``."""
    from . import backup, services
    from .store import Database

    db = Database(":memory:")
    workshop_id = backup.restore(db, Path(path).read_bytes())
    return db, services.get_workshop(db, workshop_id)


def __getattr__(name: str):
    # ``workshop.views``, ``workshop.scoring`` … without importing everything up front.
    import importlib

    if name in {"views", "scoring", "services", "backup", "exports", "charts", "store", "model"}:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(name)
