"""Ballots: the group-committed writer, receipts, a device's stored ballot, the shortlist."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from workshop import auth, methods
from workshop.errors import N_, DomainError, NotFound, PermissionDenied, ValidationError
from workshop.model import Action, Method, Role, VoteRow, Workshop, require
from workshop.queries import ballots as queries
from workshop.queries import tallies
from workshop.store import Database

from .common import Participant, _key, _sequence, new_id, token_hash
from .measures import list_measures
from .participants import _joined, _token_shape
from .workshops import _workshop, get_workshop, set_rules


def count_ballots(db: Database, workshop_id: str, method: Method | str | None = None) -> int:
    return queries.ballot_count(db, _key(workshop_id), None if method is None else _key(str(method)))


def voting_measures(db: Database, workshop: Workshop) -> dict[str, str]:
    """The measures open for voting (id -> goal id): visible ones, or the shortlist for ranking."""
    if not isinstance(workshop, Workshop):
        raise NotFound(N_("This workshop does not exist."))
    with db.cursor() as cur:
        return _voting_measures(cur, workshop)


def _voting_measures(cur, workshop: Workshop) -> dict[str, str]:
    visible = dict(queries.voting_measure_rows(cur, workshop.id))
    if methods.of(workshop.rules.method).uses_shortlist and workshop.rules.shortlist:
        return {m: visible[m] for m in workshop.rules.shortlist if m in visible}
    return visible


@dataclass(frozen=True)
class Receipt:
    ballot_id: str
    submission_id: str
    submitted_at: datetime
    # Whether this submission replaced an earlier ballot: informative only, not part of identity
    # (a resend of the same submission returns an equal receipt).
    replaced: bool = field(default=False, compare=False)


def submit_ballot(db: Database, participant: Participant, ballot: methods.Ballot, submission_id: str) -> Receipt:
    """Store a device's ballot; the last one submitted counts.

    ``submission_id`` is chosen by the page for one press of the submit button: a resend of the
    same submission (a double tap, a reconnect) stores nothing new and returns the same receipt.
    """
    participant = _joined(participant)
    _check_ballot(ballot, submission_id)
    # Everything that needs the database (phase, rules, measures, device, card) is checked in the
    # write itself: one transaction for all ballots waiting, and no reads before it. Under a burst
    # each read handed the GIL to hundreds of other sessions and waited for it again (BENCHMARKS.md).
    pending = _PendingBallot(participant.workshop_id, participant.device_id, submission_id, ballot)
    return db.write_batched(pending, _write_ballots, key=_PendingBallot.key)


LINK_INVALID = N_("This link is no longer valid. Please join again.")


def submit_ballot_by_token(db: Database, token: object, ballot: methods.Ballot, submission_id: str) -> Receipt:
    """``submit_ballot`` for the device of a ballot token (the ballot endpoint, ui/api.py): the
    device is looked up in the write, one query for every ballot of a burst instead of a read
    per request (700 ballots at once: 0.13–0.16 s instead of 0.64–0.80 s, bench/endpoint.py)."""
    if not _token_shape(token):
        raise PermissionDenied(LINK_INVALID)
    _check_ballot(ballot, submission_id)
    pending = _PendingBallot(None, None, submission_id, ballot, token_hash=token_hash(token))
    return db.write_batched(pending, _write_ballots, key=_PendingBallot.key)


def _check_ballot(ballot: object, submission_id: object) -> None:
    if not isinstance(submission_id, str) or not 8 <= len(submission_id) <= 64:
        raise ValidationError(N_("This submission is malformed; please reload the page."))
    if not isinstance(ballot, _ballot_types()):
        raise ValidationError(N_("This ballot does not fit the voting method of the workshop."))


@dataclass(frozen=True)
class _PendingBallot:
    workshop_id: str | None  # None until the token is looked up
    device_id: str | None
    submission_id: str
    ballot: methods.Ballot  # as sent: validated in the transaction against the rules stored then
    token_hash: str | None = None

    def key(self) -> str:
        """Ballots of one device never share a batch (write_batched)."""
        return self.device_id or f"token:{self.token_hash}"


def _resolve_tokens(cur, ballots: list[_PendingBallot]) -> list[_PendingBallot | DomainError]:
    """Each ballot with its device: those sent with a token are looked up (one query); an unknown
    token is refused, as is a second ballot of one device in the batch (one sent with its token,
    one with its device: the two ways never meet in the app)."""
    hashes = [b.token_hash for b in ballots if b.token_hash is not None]
    found = {}
    if hashes:
        found = {row[0]: row[1:] for row in queries.devices_of_tokens(cur, hashes)}
    items: list[_PendingBallot | DomainError] = []
    seen: set[str] = set()
    for b in ballots:
        if b.token_hash is not None:
            if b.token_hash not in found:
                items.append(PermissionDenied(LINK_INVALID))
                continue
            workshop_id, device_id = found[b.token_hash]
            b = replace(b, workshop_id=workshop_id, device_id=device_id)
        if b.device_id in seen:
            items.append(ValidationError(N_("Your vote arrived twice at the same moment. Please send it again.")))
            continue
        seen.add(b.device_id)
        items.append(b)
    return items


def _write_ballots(cur, ballots: list[_PendingBallot]) -> list[Receipt | DomainError]:
    """Store several devices' ballots in one transaction (group commit, see Database.write_batched);
    a ballot that may not be stored gets its error and writes nothing. At most one per device."""
    # Checked inside the transaction, against the rules and measures stored now. Simple queries
    # over the id lists: a join against the unnested lists cost 3-4 ms to plan.
    items = _resolve_tokens(cur, ballots)
    ballots = [b for b in items if isinstance(b, _PendingBallot)]
    if not ballots:  # every one refused: nothing to read or write (an empty list has no type to unnest)
        return items
    workshops = {
        row[0]: _workshop(row) for row in queries.workshops_by_id(cur, sorted({b.workshop_id for b in ballots}))
    }
    measures: dict[str, dict[str, str]] = {}  # per workshop, read once for the batch when needed
    devices = [b.device_id for b in ballots]
    joined = set(queries.device_workshops(cur, devices))
    stored = {(row[0], row[1]): row[2:] for row in queries.stored_ballots(cur, devices)}
    carded = set()
    if any(ws.rules.cards_required for ws in workshops.values()):
        carded = {row[0] for row in queries.carded_devices(cur, devices)}
    now = datetime.now()
    outcomes: list[Receipt | DomainError] = []
    replaced: dict[str, str] = {}  # ballot id -> submission id
    new: list[tuple[str, str, str, str, str]] = []  # ballots rows: id, workshop, device, method, submission
    votes: list[tuple[str, str, str, float, bool]] = []  # ballot, measure, criterion, value, leads
    counted_as: dict[str, tuple[str, str]] = {}  # ballot id -> (workshop, method): the tallies it adds to
    for b in items:
        if isinstance(b, DomainError):
            outcomes.append(b)
            continue
        try:
            workshop = workshops.get(b.workshop_id)
            if workshop is None:
                raise NotFound(N_("This workshop does not exist."))
            require(workshop.phase, Role.PARTICIPANT, Action.SUBMIT_BALLOT)
            rules = workshop.rules
            if not isinstance(b.ballot, methods.of(rules.method).ballot):
                raise ValidationError(N_("This ballot does not fit the voting method of the workshop."))
            if b.workshop_id not in measures:
                measures[b.workshop_id] = _voting_measures(cur, workshop)
            open_measures = measures[b.workshop_id]
            if ballot_size(b.ballot) > len(open_measures) * max(1, len(rules.criteria)):
                # More entries than there can be: refuse before looking at them one by one.
                raise ValidationError(N_("This ballot has more entries than there are proposals to vote on."))
            rows = b.ballot.validate(rules, open_measures).rows()
            if (b.device_id, b.workshop_id) not in joined:
                raise PermissionDenied(N_("Please join the workshop first."))
            if rules.cards_required and b.device_id not in carded:
                raise PermissionDenied(N_("Voting needs a valid voting card."))
        except DomainError as exc:
            outcomes.append(exc)
            continue
        method = str(rules.method)
        ballot_id, stored_submission, stored_at = stored.get((b.device_id, method), (None, None, None))
        if ballot_id is not None and stored_submission == b.submission_id:
            # The same submission again: a resend (stored already) if it carries the same votes;
            # other votes under a used id are refused, so that "saved" always means saved.
            if _stored_rows(cur, ballot_id) == sorted((m, c, float(v)) for m, c, v in rows):
                outcomes.append(Receipt(ballot_id, b.submission_id, stored_at, replaced=False))
            else:
                outcomes.append(
                    DomainError(
                        N_("This vote was sent before with other choices. Please reload the page and vote again.")
                    )
                )
            continue
        if ballot_id is not None:
            replaced[ballot_id] = b.submission_id
        else:
            ballot_id = new_id()
            new.append((ballot_id, b.workshop_id, b.device_id, method, b.submission_id))
        votes.extend(_vote_rows(ballot_id, rows))
        counted_as[ballot_id] = (b.workshop_id, method)
        outcomes.append(Receipt(ballot_id, b.submission_id, now, replaced=ballot_id in replaced))
    # A few statements for everyone (lists unnested by DuckDB), however many ballots there are;
    # the tallies lose what the replaced ballots gave and gain what the batch's ballots give.
    taken = tallies.stored_votes(cur, list(replaced)) if replaced and tallies.kept(cur) else []
    if replaced:
        queries.delete_votes_of_ballots(cur, list(replaced))
        queries.resubmit_ballots(cur, replaced, now)
    if new:
        queries.insert_ballots(cur, new, now)
    if votes:
        queries.insert_votes(cur, votes)
    tallies.add_votes(cur, ((*counted_as[v[0]], *v) for v in votes), taken)
    return outcomes


def _stored_rows(cur, ballot_id: str) -> list[tuple[str, str, float]]:
    return sorted((m, c, float(v)) for m, c, v in queries.ballot_votes(cur, ballot_id))


def _vote_rows(ballot_id: str, rows: list[VoteRow]):
    """The stored rows of a ballot: the first row of each measure leads (see store.MARK_LEADS)."""
    named: set[str] = set()
    for measure_id, criterion, value in rows:
        yield ballot_id, measure_id, criterion, float(value), measure_id not in named
        named.add(measure_id)


def _ballot_types() -> tuple[type, ...]:
    return tuple(m.ballot for m in methods.all_methods())


def ballot_size(ballot: methods.Ballot) -> int:
    """The number of entries a ballot carries, as sent (before validation); a ballot whose
    entries are not the container its type holds (a list of dots, a number) is refused."""
    size = ballot.size() if isinstance(ballot, _ballot_types()) else None
    if size is None:
        raise ValidationError(N_("This ballot does not fit the voting method of the workshop."))
    return size


def get_ballot(db: Database, participant: Participant, method: Method | str | None = None) -> methods.Ballot | None:
    """The device's last submitted ballot for the workshop's (or the given) method."""
    participant = _joined(participant)
    if method is None:
        method = get_workshop(db, participant.workshop_id).rules.method
    try:
        method = Method(method)
    except ValueError:
        raise ValidationError(N_("Unknown voting method.")) from None
    ballot_id = queries.device_ballot(db, participant.device_id, str(method))
    if ballot_id is None:
        return None
    return methods.of(method).ballot.from_rows(queries.ballot_votes(db, ballot_id))


def set_shortlist(db: Database, fac: auth.Facilitator, workshop_id: str, measure_ids: list[str]) -> Workshop:
    """The measures a ranking vote puts in order (for example the top k of an earlier round)."""
    ws = get_workshop(db, workshop_id)
    visible = {m.id for m in list_measures(db, workshop_id)}
    chosen = tuple(dict.fromkeys(map(_key, _sequence(measure_ids))))
    if not chosen or any(m not in visible for m in chosen):
        raise ValidationError(
            N_("The shortlist must name visible measures of this workshop."),
            conference=N_("The shortlist must name visible recommendations of this workshop."),
        )
    return set_rules(
        db,
        fac,
        workshop_id,
        replace(ws.rules, shortlist=chosen),
        confirm_affected=count_ballots(db, workshop_id, ws.rules.method),
    )
