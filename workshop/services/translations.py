"""Translations of measures and the translation desk (language mediators, Sprachmittler)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workshop import auth, i18n
from workshop.errors import N_, NP_, NotFound, PermissionDenied, ValidationError
from workshop.model import Action, Made, Measure, MeasureInput, Phase, Role, Translation, Workshop, clean_flag, require
from workshop.queries import translations as queries
from workshop.store import Database

from .common import NO_SUCH_MEASURE, _audit, _changed, _check_expected, _key, _phase_of
from .links import LinkKind, create_link, link_holder, link_works, list_links, revoke_link
from .measures import _language, _own, _put_translation, _version_input, get_measure, list_measures
from .participants import _actor_role
from .workshops import get_workshop


def _translatable(cur, measure_id: object, lang: object) -> tuple[str, str, str]:
    """(workshop id, title, original language) of a measure that may get a translation to ``lang``."""
    row = queries.translatable_measure(cur, _key(measure_id))
    if not row:
        raise NotFound(**NO_SUCH_MEASURE)
    if _language(lang) == row[2]:
        raise ValidationError(N_("A translation must be in another language than the original."))
    return row[0], row[1], row[2]


def translate_measure(
    db: Database,
    actor: object,
    measure_id: str,
    lang: str,
    data: MeasureInput,
    *,
    expected: tuple[str, str] | None = None,
) -> Translation:
    """Store ``measure_id``'s title and description in ``lang``: by its author while proposals may
    be edited (``Made.AUTHOR``), or by the facilitation team in moderation (``Made.FACILITATOR``,
    counted as reviewed and audit-logged). It replaces an earlier translation to ``lang``.
    ``expected``: the (title, description) the form showed ("", "" for none); refused if someone
    changed the translation in the meantime."""
    role = None if isinstance(actor, Mediator) else _actor_role(db, actor)
    version = _version_input(data)

    def tx(cur):
        wid, _title, _original = _translatable(cur, measure_id, lang)
        if role is None:
            _mediator_save(cur, _as_mediator(db, actor), measure_id, lang)
        if expected is not None:
            stored = queries.translation_text(cur, measure_id, lang)
            shown = tuple(expected) if isinstance(expected, list | tuple) else expected
            _check_expected(shown, tuple(stored) if stored else ("", ""))
        if role is None:
            before = queries.translation_title(cur, measure_id, lang)
            _put_translation(cur, wid, measure_id, lang, version, Made.MEDIATOR, reviewed=False)
            _audit(
                cur,
                wid,
                "mediator_translate",
                f"{actor.key_id}:{measure_id}:{lang}",
                before or "",
                version.title,
            )
        elif role == Role.PARTICIPANT:
            require(_phase_of(cur, wid), Role.PARTICIPANT, Action.EDIT_OWN)
            _own(cur, actor, measure_id)
            _put_translation(cur, wid, measure_id, lang, version, Made.AUTHOR, reviewed=False)
            _changed(cur, wid)
        else:
            require(_phase_of(cur, wid), Role.FACILITATOR, Action.TRANSLATE)
            before = queries.translation_title(cur, measure_id, lang)
            _put_translation(cur, wid, measure_id, lang, version, Made.FACILITATOR, reviewed=True)
            _audit(cur, wid, "translate", f"{measure_id}:{lang}", before or "", version.title)

    db.write(tx)
    return translations_of(db, measure_id)[lang]


def remove_translation(db: Database, fac: auth.Facilitator, measure_id: str, lang: str) -> None:
    """The facilitation team takes a translation back (a wrong one is worse than none)."""
    auth.check(db, fac)

    def tx(cur):
        wid, _title, _original = _translatable(cur, measure_id, lang)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.TRANSLATE)
        before = queries.translation_title(cur, measure_id, lang)
        if before is not None:
            queries.delete_translation(cur, measure_id, lang)
            _audit(cur, wid, "remove_translation", f"{measure_id}:{lang}", before, "")

    db.write(tx)


def set_measure_language(db: Database, actor: object, measure_id: str, lang: str) -> Measure:
    """Correct the language a measure is written in (its author while proposals may be edited, or
    the facilitation team): refused where a translation to that language exists (remove it first)."""
    role = _actor_role(db, actor)
    lang = _language(lang)

    def tx(cur):
        row = queries.measure_language(cur, _key(measure_id))
        if not row:
            raise NotFound(**NO_SUCH_MEASURE)
        wid, before = row
        if role == Role.PARTICIPANT:
            require(_phase_of(cur, wid), Role.PARTICIPANT, Action.EDIT_OWN)
            _own(cur, actor, measure_id)
        else:
            require(_phase_of(cur, wid), Role.FACILITATOR, Action.TRANSLATE)
        if queries.has_translation(cur, measure_id, lang):
            raise ValidationError(
                N_("There is a translation to this language already. Remove it first, then change the original's.")
            )
        queries.set_measure_language(cur, measure_id, lang)
        if role == Role.FACILITATOR:
            _audit(cur, wid, "measure_language", measure_id, before, lang)
        else:
            _changed(cur, wid)

    db.write(tx)
    return get_measure(db, measure_id)


def set_machine_translations(db: Database, fac: auth.Facilitator, workshop_id: str, shown: bool) -> Workshop:
    """Whether participants see the offline engine's translations until a person checked them
    (off: the original, marked as not translated yet). Audit-logged."""
    auth.check(db, fac)
    shown = clean_flag(shown)
    before = get_workshop(db, workshop_id)

    def tx(cur):
        queries.set_show_machine(cur, before.id, shown)
        _audit(cur, before.id, "show_machine_translations", "", before.show_machine, shown)

    db.write(tx)
    return get_workshop(db, workshop_id)


def translate_with_engine(db: Database, fac: auth.Facilitator, workshop_id: str, engine: object) -> int:
    """Fill in the engine's translation (``Made.ENGINE``, not reviewed) wherever a measure has none
    in a language the engine offers from its original; a person's translation is never replaced.
    Returns how many were made. The engine runs before the write (it may take seconds)."""
    from workshop import engine as engines

    auth.check(db, fac)
    ws = get_workshop(db, workshop_id)
    require(ws.phase, Role.FACILITATOR, Action.TRANSLATE)
    have = list_translations(db, ws.id)
    made: list[tuple[str, str, MeasureInput]] = []
    for m in list_measures(db, ws.id, include_hidden=True):
        source = m.lang or "de"
        for lang in i18n.available_languages():
            if lang == source or lang in have.get(m.id, {}):
                continue
            found = engines.suggest(engine, m.title, m.description, source, lang)
            if found is None:
                continue
            try:
                made.append((m.id, lang, MeasureInput(*found).validated()))
            except ValidationError:
                continue  # an engine's text the rules refuse (too long): a person translates it

    def tx(cur):
        n = 0
        for mid, lang, version in made:
            if not queries.has_translation(cur, mid, lang):  # a person saved one meanwhile: theirs stays
                _put_translation(cur, ws.id, mid, lang, version, Made.ENGINE, reviewed=False)
                n += 1
        _audit(cur, ws.id, "engine_translations", "", "", n)
        return n

    return db.write(tx)


# From the first proposal on: during the vote a translation reaches the phones' ballots (ui/api.py,
# the watch's ``tv``), after it the results and the report for the district assembly.
MEDIATOR_PHASES = (Phase.COLLECT, Phase.REVIEW, Phase.VOTE, Phase.RESULTS)
MEDIATOR_SAVES_PER_MINUTE = 30


@dataclass(frozen=True)
class Mediator:
    """Who holds a mediator link: one workshop, one target language, nothing else."""

    workshop_id: str
    lang: str
    key_id: str


@dataclass(frozen=True)
class MediatorKey:
    id: str
    lang: str
    created_at: datetime
    revoked: bool


MEDIATOR_LINKS = LinkKind("mediator_keys", "mediator_link", _language)


def create_mediator_key(db: Database, fac: auth.Facilitator, workshop_id: str, lang: str) -> tuple[MediatorKey, str]:
    """A link key for a language mediator translating into ``lang`` (audit-logged): it opens the
    translation desk of this workshop for that language and nothing else. Returns the key once."""
    kid, key = create_link(db, fac, workshop_id, MEDIATOR_LINKS, lang)
    return next(k for k in list_mediator_keys(db, fac, workshop_id) if k.id == kid), key


def list_mediator_keys(db: Database, fac: auth.Facilitator, workshop_id: str) -> list[MediatorKey]:
    return [MediatorKey(*r) for r in list_links(db, fac, workshop_id, MEDIATOR_LINKS)]


def revoke_mediator_key(db: Database, fac: auth.Facilitator, key_id: str) -> None:
    """The link stops working at once (its next request is refused); audit-logged."""
    revoke_link(db, fac, MEDIATOR_LINKS, key_id)


def mediator(db: Database, key: object) -> Mediator | None:
    """The mediator of a link key, or None for a key that is unknown, malformed or revoked."""
    row = link_holder(db, MEDIATOR_LINKS, key)
    return Mediator(workshop_id=row[0], lang=row[2], key_id=row[1]) if row else None


def _as_mediator(db: Database, actor: object) -> Mediator:
    """A mediator whose key still works (a revoked link stops at its next request)."""
    if not isinstance(actor, Mediator):
        raise PermissionDenied(N_("This link is not valid (any more). Please ask the facilitation team for a new one."))
    if not link_works(db, MEDIATOR_LINKS, actor.key_id):
        raise PermissionDenied(N_("This link is not valid (any more). Please ask the facilitation team for a new one."))
    return actor


@dataclass(frozen=True)
class QueueItem:
    """A measure at the desk: what is there in the mediator's language, if anything."""

    measure: Measure
    translation: Translation | None

    @property
    def done(self) -> bool:
        """Translated by a person and checked: nothing left to do."""
        t = self.translation
        return t is not None and not t.stale and (t.reviewed or t.made == Made.MEDIATOR)


def translation_queue(db: Database, actor: Mediator) -> list[QueueItem]:
    """The desk's queue for the mediator's language: the measures of the workshop not written in
    it, those still to do first (nothing, a machine suggestion or the author's unchecked version),
    newest first; the done ones after them."""
    actor = _as_mediator(db, actor)
    measures = [m for m in list_measures(db, actor.workshop_id) if (m.lang or "de") != actor.lang]
    found = list_translations(db, actor.workshop_id)
    items = [QueueItem(m, found.get(m.id, {}).get(actor.lang)) for m in measures]
    return sorted(items, key=lambda i: (i.done, -i.measure.seq))


def _mediator_save(cur, actor: Mediator, measure_id: object, lang: object) -> str:
    """Checks of a mediator's write: their workshop, their language, the phase, the rate."""
    if lang != actor.lang:
        raise PermissionDenied(N_("This link is for another language."))
    wid, _title, _original = _translatable(cur, measure_id, lang)
    if wid != actor.workshop_id:
        raise NotFound(**NO_SUCH_MEASURE)
    if _phase_of(cur, wid) not in MEDIATOR_PHASES:
        raise PermissionDenied(N_("Translations can be made once proposals are collected."))
    if queries.mediator_saves_last_minute(cur, wid, actor.key_id) >= MEDIATOR_SAVES_PER_MINUTE:
        raise ValidationError(
            NP_(
                "You saved {max} translation in the last minute. Please wait a moment before the next one.",
                "You saved {max} translations in the last minute. Please wait a moment before the next one.",
            ),
            max=MEDIATOR_SAVES_PER_MINUTE,
        )
    return wid


def review_translation(db: Database, actor: object, measure_id: str, lang: str) -> Translation:
    """A mediator (their language) or the facilitation team checked a translation as it is."""

    def tx(cur):
        if isinstance(actor, Mediator):
            wid = _mediator_save(cur, _as_mediator(db, actor), measure_id, lang)
            _audit(cur, wid, "mediator_translate", f"{actor.key_id}:{measure_id}:{lang}", "", "reviewed")
        else:
            auth.check(db, actor)
            wid, _title, _original = _translatable(cur, measure_id, lang)
            require(_phase_of(cur, wid), Role.FACILITATOR, Action.TRANSLATE)
            _audit(cur, wid, "review_translation", f"{measure_id}:{lang}", "", "reviewed")
        if not queries.mark_reviewed(cur, measure_id, lang):
            raise NotFound(N_("There is no translation to check yet."))

    db.write(tx)
    return translations_of(db, measure_id)[lang]


def _translation(row: tuple) -> Translation:
    return Translation(row[0], row[1], row[2], row[3], Made(row[4]), bool(row[5]), bool(row[6]))


def translations_of(db: Database, measure_id: str) -> dict[str, Translation]:
    """One measure's translations by language."""
    return {r[1]: _translation(r) for r in queries.translations_of(db, _key(measure_id))}


def list_translations(db: Database, workshop_id: str) -> dict[str, dict[str, Translation]]:
    """Every translation of a workshop's measures: measure id -> language -> translation."""
    out: dict[str, dict[str, Translation]] = {}
    for r in queries.translations_in(db, _key(workshop_id)):
        out.setdefault(r[0], {})[r[1]] = _translation(r)
    return out
