"""The demo workshop: built from data/demo_workshop.yaml with reproducible example ballots."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace

from . import auth, methods, services
from .config import DEMO_FILE
from .model import (
    Method,
    Phase,
    VotingRules,
    Workshop,
    WorkshopKind,
)
from .store import Database
from .vision import parse


def build(db: Database, path=DEMO_FILE) -> Workshop:
    """Create the demo workshop with its measures and example ballots; returns it."""
    with open(path, "rb") as fh:
        spec = parse(fh.read())
    fac = auth.system_session(db)
    meta = spec.workshop
    ws = services.create_workshop(
        db,
        fac,
        title=meta.get("title", spec.title),
        date_=meta.get("date"),
        place=meta.get("place", ""),
        kind=WorkshopKind.VISION,
        vision_title=spec.title,
        vision_description=spec.description,
        rules=spec.rules or VotingRules(),
    )
    services.replace_vision(
        db, fac, ws.id, title=spec.title, description=spec.description, goals=spec.goals, groups=spec.groups
    )
    goals = services.list_goals(db, ws.id)
    groups = {g.name: g.id for g in services.list_groups(db, ws.id)}
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    rng = random.Random(spec.demo.get("seed", 1))
    devices = []
    for i in range(int(spec.demo.get("devices", 60))):
        group_id = list(groups.values())[i % len(groups)] if groups else None
        participant, _token = services.join(db, ws.join_code, group_id=group_id)
        devices.append(participant)
    authors = {gid: [d for d in devices if d.group_id == gid] for gid in groups.values()}
    for spec_m in spec.measures:
        gid = groups.get(spec_m.group) if spec_m.group else None
        author = rng.choice(authors[gid]) if gid and authors.get(gid) else devices[0]
        services.propose_measure(db, author, goals[spec_m.goal].id, spec_m.data)
    _demo_ballots(db, fac, ws, devices, rng)
    target = Phase(spec.demo.get("phase", "vote"))
    services.set_phase(db, fac, ws.id, target)
    if target == Phase.RESULTS:
        services.reveal_results(db, fac, ws.id)
    db.set_meta("current_workshop", ws.id)
    auth.logout(db, fac)
    return services.get_workshop(db, ws.id)


def _demo_ballots(db: Database, fac, ws: Workshop, devices, rng: random.Random) -> None:
    """Ballots of every method, so that each chart and the cross-method comparison have data.

    Each measure gets a hidden "appeal" so that the methods broadly agree, with noise.
    """
    measures = services.list_measures(db, ws.id)
    appeal = {m.id: rng.uniform(0.3, 3.0) for m in measures}
    goal_of = {m.id: m.goal_id for m in measures}
    rules = original = ws.rules
    for method in (Method.RATING, Method.APPROVAL, Method.RANKING, original.method):
        # Rules are locked while voting runs: close the vote, change the method, reopen.
        services.set_phase(db, fac, ws.id, Phase.REVIEW)
        services.set_rules(
            db,
            fac,
            ws.id,
            replace(original, method=method),
            confirm_affected=services.count_ballots(db, ws.id, services.get_workshop(db, ws.id).rules.method),
        )
        services.set_phase(db, fac, ws.id, Phase.VOTE)
        for dev in devices[: int(len(devices) * (0.9 if method == original.method else 0.6))]:
            ballot = methods.of(method).example(rng, goal_of, rules, appeal)
            services.submit_ballot(db, dev, ballot, uuid.uuid4().hex)


def ensure_demo(db: Database) -> Workshop | None:
    """On an empty database, build the demo; returns it when it was built."""
    if db.scalar("SELECT count(*) FROM workshops"):
        return None
    return build(db)
