"""Planungswerkstatt on the command line: demo, vision import, backup and restore.

Usage: ``python -m workshop {demo,import-vision,backup,restore,passphrase,migrate,copy-store} --help``.

Every command opens the store itself (``--db``, else ``PW_DATABASE_URL`` for PostgreSQL, else the
DuckDB file ``PW_DB_PATH``); while the app holds a DuckDB file, the command stops with a message
saying so and changes nothing (a PostgreSQL server is shared: commands run beside the app).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import auth, config, demo, services
from .errors import DomainError, ImportErrors, NotFound
from .pgstore import open_store
from .store import SCHEMA_VERSION, Database


def _open(args) -> Database:
    return open_store(args.db or config.load().db_path)


def _find(db: Database, ref: str):
    """A workshop by id or join code."""
    try:
        return services.get_workshop(db, ref)
    except NotFound:
        return services.find_by_code(db, ref)


def cmd_demo(args) -> int:
    db = _open(args)
    if args.reset:
        for ws in services.list_workshops(db):
            if ws.title == _demo_title():
                services.delete_workshop(db, auth.system_session(db), ws.id)
    elif db.scalar("SELECT count(*) FROM workshops"):
        current = services.current_workshop(db)
        print(f"The database already has workshops; current: {current.title} (code {current.join_code}).")
        print("Use --reset to rebuild the demo workshop.")
        return 0
    ws = demo.build(db)
    print(f"Demo workshop ready: {ws.title} — join code {ws.join_code}, phase {ws.phase}.")
    return 0


def _demo_title() -> str:
    from .vision import parse

    return parse(config.DEMO_FILE.read_bytes()).workshop.get("title", "")


def cmd_import_vision(args) -> int:
    from .vision import parse, vision_args

    spec = parse(Path(args.file).read_bytes())
    db = _open(args)
    fac = auth.system_session(db)
    if args.workshop:
        ws = _find(db, args.workshop)
    else:
        ws = services.create_workshop(
            db,
            fac,
            title=args.title or spec.workshop.get("title") or spec.title,
            date_=spec.workshop.get("date"),
            place=spec.workshop.get("place", ""),
            kind=spec.workshop.get("kind") or "vision",
            vision_title=spec.title,
        )
    services.replace_vision(db, fac, ws.id, **vision_args(spec))
    ws = services.get_workshop(db, ws.id)
    print(
        f"Imported “{spec.title}” with {len(spec.goals)} goals, {len(spec.groups)} working groups and "
        f"{len(spec.measures)} measures into “{ws.title}” ({ws.kind}, {ws.rules.method}; code {ws.join_code})."
    )
    return 0


def cmd_backup(args) -> int:
    from . import backup

    db = _open(args)
    ws = _find(db, args.workshop)
    Path(args.out).write_text(backup.dumps(backup.export_workshop(db, ws.id)), encoding="utf-8")
    print(f"Backup of “{ws.title}” written to {args.out}.")
    return 0


def cmd_restore(args) -> int:
    from . import backup

    db = _open(args)
    wid = backup.restore(db, Path(args.file).read_bytes(), accept_altered=args.accept_altered)
    ws = services.get_workshop(db, wid)
    print(f"Restored “{ws.title}” (code {ws.join_code}).")
    return 0


def cmd_passphrase(args) -> int:
    db = _open(args)
    auth.ensure_passphrase(db, args.new)
    print("The facilitator passphrase was changed.")
    return 0


def cmd_migrate(args) -> int:
    db = open_store(args.db or config.load().db_path, migrate=False)
    before = db.version()
    after = db.migrate()
    print(f"Schema version {before} -> {after} (this app: {SCHEMA_VERSION}) in {db.path}.")
    return 0


def cmd_recount(args) -> int:
    """The tallies of every workshop counted anew from the votes (PostgreSQL; DuckDB keeps none):
    after a rolling upgrade in which a process of an older version wrote ballots."""
    from .queries import tallies

    db = open_store(args.db or config.load().db_path)
    if not tallies.kept(db):
        print(f"{db.path} ranks from the votes and keeps no tallies: nothing to count.")
        return 0
    workshops = [ws.id for ws in services.list_workshops(db)]
    db.write(lambda cur: [tallies.recount(cur, workshop_id) for workshop_id in workshops])
    print(f"Tallies of {len(workshops)} workshops counted anew from the votes in {db.path}.")
    return 0


def cmd_copy_store(args) -> int:
    from . import transfer

    source = open_store(args.source, migrate=False)
    target = open_store(args.target)
    transfer.copy_store(source, target)
    print(f"Copied {source.path} -> {target.path}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workshop", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", help="postgresql:// URL or DuckDB file (default: PW_DATABASE_URL, PW_DB_PATH or data/workshop.duckdb)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="load the demo workshop (or rebuild it with --reset)")
    p.add_argument("--reset", action="store_true", help="delete the demo workshop and build it anew")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("import-vision", help="import a vision (Leitbild) from a YAML file")
    p.add_argument("file", help="YAML file, format in docs/vision-format.md")
    p.add_argument("--workshop", help="id or join code of a workshop in setup (default: create a new one)")
    p.add_argument("--title", help="title of the new workshop")
    p.set_defaults(func=cmd_import_vision)

    p = sub.add_parser("backup", help="write one whole workshop to a JSON file")
    p.add_argument("workshop", help="id or join code")
    p.add_argument("out", help="output JSON file")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a workshop from a JSON backup")
    p.add_argument("file", help="JSON file written by backup")
    p.add_argument(
        "--accept-altered",
        action="store_true",
        help="restore a file changed since its export (or from format 1, without a checksum); the audit log records it",
    )
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("passphrase", help="set a new facilitator passphrase")
    p.add_argument("new", help="the new passphrase")
    p.set_defaults(func=cmd_passphrase)

    p = sub.add_parser("migrate", help="bring the store's schema to this app's version")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("recount", help="count the rankings' tallies anew from the votes (PostgreSQL)")
    p.set_defaults(func=cmd_recount)

    p = sub.add_parser("copy-store", help="copy the whole archive into an empty store of either engine")
    p.add_argument("source", help="postgresql:// URL or DuckDB file to copy from")
    p.add_argument("target", help="postgresql:// URL or DuckDB file to copy into (no workshops yet)")
    p.set_defaults(func=cmd_copy_store)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ImportErrors as exc:
        print(exc.message(), *exc.lines(), sep="\n", file=sys.stderr)
    except DomainError as exc:
        print(exc.message(), file=sys.stderr)
    except FileNotFoundError as exc:
        print(f"File not found: {exc.filename}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
