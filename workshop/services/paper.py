"""Paper ballots next to phones (issue 23): printed sheets, entered by staff, counted once.

A sheet is a voting card printed as a ballot (``print_sheets``): its number and QR code are the
card's, so a card votes once, on paper or on a phone. Staff enter what a sheet shows
(``enter_sheet``) on the facilitator's screen or with an entry link of their own
(``create_entry_key``). The same rules as the digital ballot hold; a sheet that breaks them is
entered as invalid with a reason and counted as such. With double entry (``set_paper_options``) a
second person enters each sheet independently: equal entries count, different ones wait for a
decision (``decide_sheet``). A correction replaces an entered sheet and is audit-logged. A counted
sheet is a ballot of channel ``paper``, for a device of its own that no token opens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from workshop import auth, methods
from workshop import paper as sheets
from workshop.errors import N_, NotFound, PermissionDenied, ValidationError
from workshop.methods.base import MALFORMED
from workshop.model import Phase, Workshop, clean_text
from workshop.queries import ballots as ballot_queries
from workshop.queries import paper as queries
from workshop.queries import tallies
from workshop.queries import workshops as workshop_queries
from workshop.store import Database

from .ballots import _ballot_types, _vote_rows, _voting_measures, ballot_size
from .cards import _generate
from .common import _audit, _key, new_id, normalize_code, token_hash
from .links import LinkKind, create_link, link_holder, link_works, list_links, revoke_link
from .workshops import _workshop, get_workshop

LINK_INVALID = N_("This link is not valid (any more). Please ask the facilitation team for a new one.")
PRINT_PHASES = (Phase.REVIEW, Phase.VOTE, Phase.RESULTS)  # the measures are final once reviewed
FACILITATION = sheets.FACILITATION


@dataclass(frozen=True)
class Clerk:
    """Who holds an entry link: paper ballots of one workshop, nothing else."""

    workshop_id: str
    key_id: str
    label: str


@dataclass(frozen=True)
class EntryKey:
    id: str
    label: str
    created_at: datetime
    revoked: bool


@dataclass(frozen=True)
class Entered:
    """What an entry did: the sheet's number and state (``workshop.paper.STATES``), its reason if invalid."""

    number: int
    state: str
    reason: str = ""


@dataclass(frozen=True)
class Sheet:
    """An entered sheet, for the list and the decision of a mismatch (entries as stored: who
    entered them, their marks as the method's payload or None, the reason if invalid)."""

    number: int
    state: str
    reason: str
    method: str
    entries: tuple[dict, ...]
    updated_at: datetime


@dataclass(frozen=True)
class PaperStats:
    printed: int  # sheets handed out for this ballot (not revoked, not used on a phone)
    counted: int
    invalid: int
    waiting: int  # double entry: one entry so far
    mismatch: int  # double entry: two entries differ
    stale: int = 0  # printed for a ballot that changed since (measures or rules), not entered

    @property
    def entered(self) -> int:
        """Sheets whose entry is done: counted or invalid."""
        return self.counted + self.invalid


@dataclass(frozen=True)
class Channels:
    """The ballots of a vote by channel, and the paper sheets counted as invalid."""

    digital: int
    paper: int
    invalid: int

    @property
    def valid(self) -> int:
        return self.digital + self.paper


# --- entry links ----------------------------------------------------------------------------


def _link_name(label: object) -> str:
    return clean_text(label, field_label=N_("Name of the link"), min_len=1, max_len=60)


ENTRY_LINKS = LinkKind("entry_keys", "entry_link", _link_name)


def create_entry_key(db: Database, fac: auth.Facilitator, workshop_id: str, label: object) -> tuple[EntryKey, str]:
    """A link for a person entering paper ballots (``label``: who or which laptop, shown in the
    entries and the audit log); it opens this workshop's paper entry and nothing else. The key is
    returned once."""
    kid, key = create_link(db, fac, workshop_id, ENTRY_LINKS, label)
    return next(k for k in list_entry_keys(db, fac, workshop_id) if k.id == kid), key


def list_entry_keys(db: Database, fac: auth.Facilitator, workshop_id: str) -> list[EntryKey]:
    return [EntryKey(*r) for r in list_links(db, fac, workshop_id, ENTRY_LINKS)]


def revoke_entry_key(db: Database, fac: auth.Facilitator, key_id: str) -> None:
    """The link stops working at its next request; audit-logged."""
    revoke_link(db, fac, ENTRY_LINKS, key_id)


def clerk(db: Database, key: object) -> Clerk | None:
    """The holder of an entry link key, or None for a key that is unknown, malformed or revoked."""
    row = link_holder(db, ENTRY_LINKS, key)
    return Clerk(workshop_id=row[0], key_id=row[1], label=row[2]) if row else None


def _who(db: Database, actor: object, workshop_id: str) -> tuple[str, str]:
    """(id, label) of the person entering: the facilitation team, or an entry link that still works."""
    if isinstance(actor, auth.Facilitator):
        auth.check(db, actor)
        # One login is one person: two of the team, logged in on two laptops, may double-enter.
        return "facilitator:" + token_hash(actor.session_key)[:16], ""
    if isinstance(actor, Clerk) and actor.workshop_id == workshop_id and link_works(db, ENTRY_LINKS, actor.key_id):
        return actor.key_id, actor.label
    raise PermissionDenied(LINK_INVALID)


# --- printing and options -------------------------------------------------------------------


def print_sheets(db: Database, fac: auth.Facilitator, workshop_id: str, count: int) -> list[tuple[int, str]]:
    """N new paper ballots: (number, code) pairs for ``workshop.cards.sheets_pdf``; only the codes'
    hashes are stored, so print them right away. From the review on: the sheet lists the measures."""
    auth.check(db, fac)
    ws = get_workshop(db, workshop_id)
    if ws.phase not in PRINT_PHASES:
        raise ValidationError(
            N_("Paper ballots can be printed once the proposals are reviewed: the sheet lists them."),
            conference=N_("Paper ballots can be printed once the recommendations are reviewed: the sheet lists them."),
        )
    return _generate(db, fac, workshop_id, count, sheet_ballot=_made_for(db, ws))


def _made_for(q, ws: Workshop) -> str:
    """The ballot a sheet printed now is made for (``paper.fingerprint``)."""
    return sheets.fingerprint(ws.rules, _voting_measures(q, ws))


def entry_open(workshop: Workshop) -> bool:
    """Paper ballots may be entered during the vote, and after it until the facilitator ends it."""
    return workshop.phase == Phase.VOTE or (workshop.phase == Phase.RESULTS and not workshop.paper_closed)


def set_paper_options(
    db: Database,
    fac: auth.Facilitator,
    workshop_id: str,
    *,
    double: bool | None = None,
    closed: bool | None = None,
    wall: bool | None = None,
) -> Workshop:
    """Double entry, the end (or reopening) of entry after the vote, the count on the projector."""
    auth.check(db, fac)
    before = get_workshop(db, workshop_id)
    changes = {"paper_double": double, "paper_closed": closed, "wall_paper": wall}
    if any(v is not None and not isinstance(v, bool) for v in changes.values()):
        raise ValidationError(MALFORMED)
    if closed is not None and before.phase != Phase.RESULTS:
        raise ValidationError(N_("Entering paper ballots can be ended once the vote is over."))

    def tx(cur):
        for column, on in changes.items():
            if on is not None and on != getattr(before, column):
                queries.set_option(cur, workshop_id, column, on)
                _audit(cur, workshop_id, column, "", getattr(before, column), on)

    db.write(tx)
    return get_workshop(db, workshop_id)


# --- entering -------------------------------------------------------------------------------


def enter_sheet(
    db: Database,
    actor: object,
    workshop_id: str,
    typed: object,
    ballot: methods.Ballot | None = None,
    *,
    invalid: str | None = None,
    correct: bool = False,
) -> Entered:
    """Enter one sheet: ``typed`` its number or code (or the QR code's link), ``ballot`` what it
    shows as the method's ballot, or ``invalid`` the reason it does not count (``"rules"``: the
    marks given as ``ballot`` break the rules; None where they make no ballot at all, such as two
    measures with the same place). Marks that break the rules without ``invalid`` are refused with
    ``paper.BreaksRules``: the person entering decides. ``correct`` replaces a sheet entered before.

    Single entry counts at once; with double entry the first entry waits for a second person's,
    equal ones count and different ones wait for ``decide_sheet``. Anything refused stores nothing."""
    workshop_id = _key(workshop_id)
    who, label = _who(db, actor, workshop_id)
    target = sheets.read_typed(typed)
    if invalid is not None and invalid not in sheets.INVALID_REASONS:
        raise ValidationError(N_("Choose why the sheet is invalid."))
    if ballot is None and invalid is None:
        raise ValidationError(N_("Mark what the sheet shows, or enter it as invalid."))
    if ballot is not None and not isinstance(ballot, _ballot_types()):
        raise ValidationError(N_("This ballot does not fit the voting method of the workshop."))
    if not isinstance(correct, bool):
        raise ValidationError(MALFORMED)
    outcome: list[Entered] = []

    def tx(cur):
        outcome.clear()  # a write retried after a conflict runs again from the start
        ws, card = _open_sheet(cur, workshop_id, target)
        card_id, number = card[0], card[1]
        method = str(ws.rules.method)
        open_measures = _voting_measures(cur, ws)
        entry = _entry(who, label, ballot, invalid, ws, open_measures)
        stored = queries.sheet_row(cur, card_id)
        if stored is not None and stored[5] != method:
            raise sheets.SheetClosed(N_("Paper ballot {number} was entered for an earlier vote."), number=number)
        state = stored[0] if stored else None
        if stored is None and ws.paper_double:
            _paper_device(cur, ws.id, card)  # the card is used from the first entry on: no phone votes with it
            _save(cur, ws, card, method, sheets.WAITING, entry, None, "", None)
            _audit(cur, ws.id, "paper_entered", str(number), "", {"entry": 1, "by": label or FACILITATION})
            outcome.append(Entered(number, sheets.WAITING))
            return
        if stored is not None and correct and ws.paper_double:
            # A correction is one person's entry like any other: what the sheet counted for goes,
            # and the sheet counts again once a second person's entry agrees.
            tallies.add_votes(cur, [], _withdraw(cur, ws, card))
            _save(cur, ws, card, method, sheets.WAITING, entry, None, "", None)
            _audit(cur, ws.id, "paper_corrected", str(number), [_public(e) for e in _entries(stored)], _public(entry))
            outcome.append(Entered(number, sheets.WAITING))
            return
        if stored is None or correct:
            before = [_public(e) for e in _entries(stored)]
            outcome.append(_apply(cur, ws, card, entry, open_measures, entries=(entry,)))
            action = "paper_corrected" if stored is not None else "paper_entered"
            _audit(cur, ws.id, action, str(number), before, _public(entry))
            return
        if state in (sheets.COUNTED, sheets.INVALID):
            raise ValidationError(
                N_("Paper ballot {number} has already been entered. To change it, enter it as a correction."),
                number=number,
            )
        if state == sheets.MISMATCH:
            raise sheets.SheetClosed(
                N_("The two entries of paper ballot {number} differ: decide which is right first."), number=number
            )
        first = json.loads(stored[1])
        if first.get("by") == who and not ws.paper_double:
            # Double entry was switched off while this sheet waited: this entry counts.
            outcome.append(_apply(cur, ws, card, entry, open_measures, entries=(entry,)))
            _audit(cur, ws.id, "paper_entered", str(number), [_public(first)], _public(entry))
            return
        if first.get("by") == who:
            raise sheets.SheetClosed(
                N_("You entered paper ballot {number} already: the second entry must come from another person."),
                number=number,
            )
        if _same(first, entry):
            outcome.append(_apply(cur, ws, card, entry, open_measures, entries=(first, entry)))
            _audit(
                cur, ws.id, "paper_entered", str(number), "", {"entry": 2, "by": label or FACILITATION, "match": True}
            )
        else:
            _save(cur, ws, card, method, sheets.MISMATCH, first, entry, "", None)
            _audit(
                cur, ws.id, "paper_entered", str(number), "", {"entry": 2, "by": label or FACILITATION, "match": False}
            )
            outcome.append(Entered(number, sheets.MISMATCH))

    db.write(tx)
    return outcome[0]


def decide_sheet(db: Database, actor: object, workshop_id: str, number: object, pick: object) -> Entered:
    """The decision on two entries that differ: ``pick`` 1 or 2 applies that entry (it counts, or
    counts as invalid); 0 discards both, and the sheet is entered again. Audit-logged."""
    workshop_id = _key(workshop_id)
    who, label = _who(db, actor, workshop_id)
    if isinstance(number, bool) or not isinstance(number, int) or isinstance(pick, bool) or pick not in (0, 1, 2):
        raise ValidationError(MALFORMED)
    outcome: list[Entered] = []

    def tx(cur):
        outcome.clear()  # a write retried after a conflict runs again from the start
        ws, card = _open_sheet(cur, workshop_id, number)
        stored = queries.sheet_row(cur, card[0])
        if stored is None or stored[0] != sheets.MISMATCH:
            raise ValidationError(N_("Paper ballot {number} has no entries to decide between."), number=number)
        entries = _entries(stored)
        if pick == 0:
            queries.forget_sheet(cur, card[0])
            outcome.append(Entered(number, ""))
        else:
            chosen = entries[pick - 1]
            outcome.append(_apply(cur, ws, card, chosen, _voting_measures(cur, ws), entries=entries))
        _audit(cur, ws.id, "paper_decided", str(number), "", {"pick": pick, "by": label or FACILITATION})

    db.write(tx)
    return outcome[0]


def _open_sheet(cur, workshop_id: str, target: int | str) -> tuple[Workshop, tuple]:
    """The workshop (entry open) and the card of the sheet ``target`` (number or code), which may
    be entered: a paper ballot of this workshop, printed for the ballot as it is now, not revoked,
    not used by a phone."""
    row = workshop_queries.workshop_row(cur, workshop_id)
    if row is None:
        raise NotFound(N_("This workshop does not exist."))
    ws = _workshop(row)
    if not entry_open(ws):
        if ws.phase == Phase.RESULTS:
            raise ValidationError(
                N_("Entering paper ballots has ended. The facilitation team can open it again on the console.")
            )
        raise ValidationError(N_("Paper ballots can be entered once the vote has started."))
    if isinstance(target, str):
        found = queries.card_by_code(cur, token_hash(normalize_code(target)))
        if found is None:
            raise NotFound(N_("There is no paper ballot with this code. Please check it, or type the sheet's number."))
        if found[0] != workshop_id:
            raise sheets.SheetClosed(N_("This paper ballot belongs to another workshop."))
        target = found[1]
    if not 1 <= target <= 2**31 - 1:
        raise NotFound(N_("There is no paper ballot with the number {number}."), number=target)
    card = queries.sheet_card(cur, workshop_id, target)
    if card is None:
        raise NotFound(N_("There is no paper ballot with the number {number}."), number=target)
    _card_id, number, is_sheet, revoked, device_id, on_paper, made_for = card
    if not is_sheet:
        raise ValidationError(N_("Number {number} is a voting card, not a paper ballot."), number=number)
    if revoked:
        raise sheets.SheetClosed(N_("Paper ballot {number} was revoked and does not count."), number=number)
    if made_for != _made_for(cur, ws):
        raise sheets.SheetClosed(
            N_(
                "Paper ballot {number} was printed for the ballot as it was before a change (measures or voting "
                "rules). Its boxes no longer match: print new sheets."
            ),
            number=number,
        )
    if device_id is not None and not on_paper:
        raise sheets.SheetClosed(
            N_("The code of paper ballot {number} was used on a phone or tablet: the sheet cannot count as well."),
            number=number,
        )
    return ws, card


def _entry(who: str, label: str, ballot, invalid: str | None, ws: Workshop, open_measures: dict[str, str]) -> dict:
    """One person's entry of a sheet, as stored; the marks are checked against the rules here."""
    method = methods.of(ws.rules.method)
    marks = None
    if ballot is not None and invalid in (None, "rules"):
        if not isinstance(ballot, method.ballot):
            raise ValidationError(N_("This ballot does not fit the voting method of the workshop."))
        if ballot_size(ballot) > len(open_measures) * max(1, len(ws.rules.criteria)):
            raise ValidationError(N_("This ballot has more entries than there are proposals to vote on."))
        try:
            marks = json.loads(json.dumps(method.payload(ballot)))
        except (TypeError, ValueError, AttributeError):
            raise ValidationError(MALFORMED) from None
        try:
            ballot.validate(ws.rules, open_measures)
        except ValidationError as exc:
            if invalid is None:
                raise sheets.BreaksRules.of(exc) from None
        else:
            if invalid == "rules":
                raise ValidationError(N_("These marks keep the voting rules: the sheet is valid."))
    return {"by": who, "label": label, "marks": marks, "invalid": invalid}


def _same(a: dict, b: dict) -> bool:
    return (a.get("marks"), a.get("invalid")) == (b.get("marks"), b.get("invalid"))


def _public(entry: dict) -> dict:
    """An entry as the audit log keeps it: what it says, and by whom (an entry link's name)."""
    return {"by": entry.get("label") or FACILITATION, "marks": entry.get("marks"), "invalid": entry.get("invalid")}


def _entries(stored: tuple | None) -> tuple[dict, ...]:
    if stored is None:
        return ()
    return tuple(json.loads(e) for e in stored[1:3] if e)


def _paper_device(cur, workshop_id: str, card: tuple) -> str:
    """The device a sheet's ballot belongs to: made and bound to the card at its first entry."""
    card_id, device_id = card[0], card[4]
    if device_id is None:
        device_id = new_id()
        queries.insert_paper_device(cur, device_id=device_id, workshop_id=workshop_id)
        queries.bind_card(cur, card_id, device_id)
    return device_id


def _withdraw(cur, ws: Workshop, card: tuple) -> list:
    """The sheet no longer counts: its ballot is deleted; returns the votes the tallies lose
    (``tallies.add_votes``), or [] where there was none or the engine keeps no tallies."""
    device_id = card[4]
    old = None if device_id is None else queries.ballot_of_device(cur, device_id, str(ws.rules.method))
    if old is None:
        return []
    taken = tallies.stored_votes(cur, [old]) if tallies.kept(cur) else []
    queries.delete_ballot(cur, old)
    return taken


def _apply(cur, ws: Workshop, card: tuple, entry: dict, open_measures: dict[str, str], *, entries) -> Entered:
    """The sheet counts as ``entry`` says: its ballot (replacing one stored before) or invalid."""
    method = str(ws.rules.method)
    device_id = _paper_device(cur, ws.id, card)
    taken = _withdraw(cur, ws, card)
    ballot_id, added = None, []
    if entry.get("invalid") is None:
        try:
            ballot = methods.of(method).from_payload(entry["marks"]).validate(ws.rules, open_measures)
        except (TypeError, ValueError, AttributeError, KeyError):
            raise ValidationError(MALFORMED) from None
        ballot_id = new_id()
        queries.insert_paper_ballot(
            cur,
            ballot_id=ballot_id,
            workshop_id=ws.id,
            device_id=device_id,
            method=method,
            submission_id=f"paper-{card[0]}",
        )
        votes = list(_vote_rows(ballot_id, ballot.rows()))
        ballot_queries.insert_votes(cur, votes)
        added = [(ws.id, method, *v) for v in votes]
    tallies.add_votes(cur, added, taken)
    state = sheets.COUNTED if ballot_id else sheets.INVALID
    reason = entry.get("invalid") or ""
    first, second = (list(entries) + [None])[:2]
    _save(cur, ws, card, method, state, first, second, reason, ballot_id)
    return Entered(card[1], state, reason)


def _save(cur, ws: Workshop, card: tuple, method: str, state: str, first, second, reason: str, ballot_id) -> None:
    queries.save_sheet(
        cur,
        card_id=card[0],
        workshop_id=ws.id,
        number=card[1],
        method=method,
        state=state,
        first_entry=json.dumps(first, sort_keys=True),
        second_entry=None if second is None else json.dumps(second, sort_keys=True),
        reason=reason,
        ballot_id=ballot_id,
    )


# --- what is in -----------------------------------------------------------------------------


def list_sheets(db: Database, actor: object, workshop_id: str) -> list[Sheet]:
    """The entered sheets of the workshop, by number (every vote's)."""
    workshop_id = _key(workshop_id)
    _who(db, actor, workshop_id)
    return [
        Sheet(r[0], r[1], r[2], r[3], tuple(json.loads(e) for e in (r[4], r[5]) if e), r[6])
        for r in queries.sheets_of(db, workshop_id)
    ]


def paper_stats(db: Database, workshop_id: str) -> PaperStats:
    """Sheets handed out and how far their entry is, for the workshop's current vote."""
    ws = get_workshop(db, workshop_id)
    with db.cursor() as cur:
        return PaperStats(*queries.sheet_counts(cur, ws.id, str(ws.rules.method), _made_for(cur, ws)))


def channel_counts(db: Database, workshop_id: str, method: object = None) -> Channels:
    """The ballots of a vote (the workshop's method, or ``method``) from phones and tablets and
    from paper, and the paper sheets counted as invalid."""
    ws = get_workshop(db, workshop_id)
    key = str(ws.rules.method) if method is None else _key(str(method))
    return Channels(*queries.channel_counts(db, ws.id, key))
