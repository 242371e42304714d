"""A measure's original language and its translations (issue 20.1 and 20.2): who may write them
and when, what is refused (with nothing changed), and that merges, withdrawals, deletion and the
backup carry them."""

from __future__ import annotations

import json

import pytest

from tests.integration.test_services import PASSPHRASE, new_workshop, snapshot
from workshop import auth, backup, services
from workshop.errors import NotFound, PermissionDenied, ValidationError
from workshop.model import Made, MeasureInput, Phase, Translation
from workshop.store import Database

TR = MeasureInput("Harburg için yabancılar meclisi", "Göçmenlerin sesini duyuran bir meclis.")
DE = MeasureInput("Ein Ausländerbeirat für Harburg", "Ein Gremium, das Zugewanderten eine Stimme gibt.")
AR = MeasureInput("مقهى الديمقراطية الشهري في الحي", "لقاء شهري للحديث عن الحي.")


@pytest.fixture(scope="module")
def db(make_store):
    return make_store("translations")


@pytest.fixture(scope="module")
def fac(db):
    auth.ensure_passphrase(db, PASSPHRASE)
    return auth.login(db, PASSPHRASE, client="translation-tests")


@pytest.fixture
def hall(db, fac):
    """A workshop collecting proposals, and two participants of its first group."""
    ws, goal_ids, group_ids = new_workshop(db, fac)
    author, _t = services.join(db, ws.join_code, group_id=group_ids[0])
    other, _t = services.join(db, ws.join_code, group_id=group_ids[0])
    return ws, goal_ids, author, other


def test_a_proposal_keeps_its_language_and_the_authors_version_in_another(db, hall):
    ws, goals, author, _other = hall
    m = services.propose_measure(db, author, goals[0], TR, lang="tr", versions={"de": DE})
    assert (m.title, m.lang) == (TR.title, "tr")
    assert services.translations_of(db, m.id) == {
        "de": Translation(m.id, "de", DE.title, DE.description, Made.AUTHOR, reviewed=False)
    }
    assert services.list_translations(db, ws.id) == {m.id: services.translations_of(db, m.id)}
    # A proposal without a language (an import, an older client) is "not known", not German.
    assert services.propose_measure(db, author, goals[0], MeasureInput("Sprachcafé im Bürgerhaus")).lang == ""


@pytest.mark.parametrize(
    ("lang", "versions", "expected"),
    [
        ("xx", {}, "This language is not offered here."),
        ("tr", {"tr": DE}, "A translation must be in another language than the original."),
        ("tr", {"kl": DE}, "This language is not offered here."),
        ("tr", {"de": MeasureInput("x")}, "at least 3"),
        ("tr", {"de": MeasureInput("Ein Titel", "y" * 1001)}, "at most 1000"),
        ("tr", {"de": "Ein Ausländerbeirat"}, "malformed"),
        ("tr", ["de"], "malformed"),
    ],
)
def test_a_bad_language_or_version_refuses_the_whole_proposal(db, hall, lang, versions, expected):
    _ws, goals, author, _other = hall
    before = snapshot(db)
    with pytest.raises(ValidationError) as info:
        services.propose_measure(db, author, goals[0], TR, lang=lang, versions=versions)
    assert expected.lower() in info.value.message().lower()
    assert snapshot(db) == before, "nothing stored: not the proposal without its version either"


def test_the_author_translates_while_proposals_may_be_edited_and_nobody_else(db, fac, hall):
    ws, goals, author, other = hall
    m = services.propose_measure(db, author, goals[0], AR, lang="ar")
    t = services.translate_measure(db, author, m.id, "de", DE)
    assert (t.made, t.reviewed, t.title) == (Made.AUTHOR, False, DE.title)
    again = services.translate_measure(db, author, m.id, "de", MeasureInput("Monatliches Demokratie-Café"))
    assert again.title == "Monatliches Demokratie-Café" and len(services.translations_of(db, m.id)) == 1
    before = snapshot(db)
    with pytest.raises(PermissionDenied):
        services.translate_measure(db, other, m.id, "tr", TR)
    with pytest.raises(ValidationError, match="another language"):
        services.translate_measure(db, author, m.id, "ar", AR)
    with pytest.raises(NotFound):
        services.translate_measure(db, author, "no-such-measure", "de", DE)
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    with pytest.raises(PermissionDenied):
        services.translate_measure(db, author, m.id, "tr", TR)
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    now = snapshot(db)  # the phase changes wrote the audit log, the workshop row and its version
    assert now == {**before, "audit_log": now["audit_log"], "workshops": now["workshops"], "changes": now["changes"]}


def test_the_facilitator_translates_in_moderation_reviewed_and_logged(db, fac, hall):
    ws, goals, author, _other = hall
    m = services.propose_measure(db, author, goals[0], TR, lang="tr", versions={"de": DE})
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    t = services.translate_measure(db, fac, m.id, "de", MeasureInput("Ein Beirat für Zugewanderte", DE.description))
    assert (t.made, t.reviewed) == (Made.FACILITATOR, True)
    ls = services.translate_measure(db, fac, m.id, "ls", MeasureInput("Ein Rat für Menschen aus anderen Ländern"))
    assert ls.lang == "ls", "Leichte Sprache is a target like any other"
    services.remove_translation(db, fac, m.id, "ls")
    assert set(services.translations_of(db, m.id)) == {"de"}
    log = db.fetchall(
        "SELECT action, subject, value_before, value_after FROM audit_log WHERE workshop_id = $1", [ws.id]
    )
    assert ("translate", f"{m.id}:de", DE.title, "Ein Beirat für Zugewanderte") in log
    assert ("remove_translation", f"{m.id}:ls", "Ein Rat für Menschen aus anderen Ländern", "") in log
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    # The originals are final while voting; their translations are not (they change no ballot).
    with pytest.raises(PermissionDenied):
        services.moderate_edit(db, fac, m.id, TR)
    assert services.translate_measure(db, fac, m.id, "de", DE).title == DE.title


def test_the_original_language_can_be_corrected_unless_a_translation_has_it(db, fac, hall):
    ws, goals, author, other = hall
    m = services.propose_measure(db, author, goals[0], TR, lang="de", versions={"ar": AR})
    assert services.set_measure_language(db, author, m.id, "tr").lang == "tr"
    with pytest.raises(PermissionDenied):
        services.set_measure_language(db, other, m.id, "de")
    with pytest.raises(ValidationError, match="Remove it first"):
        services.set_measure_language(db, fac, m.id, "ar")
    services.remove_translation(db, fac, m.id, "ar")
    assert services.set_measure_language(db, fac, m.id, "ar").lang == "ar"
    assert ("measure_language", m.id, "tr", "ar") in db.fetchall(
        "SELECT action, subject, value_before, value_after FROM audit_log WHERE workshop_id = $1", [ws.id]
    )


def test_a_merged_source_keeps_its_translations_a_withdrawn_one_takes_them_along(db, fac, hall):
    ws, goals, author, _other = hall
    target = services.propose_measure(db, author, goals[0], DE, lang="de", versions={"tr": TR})
    source = services.propose_measure(db, author, goals[0], TR, lang="tr", versions={"de": DE})
    gone = services.propose_measure(db, author, goals[0], AR, lang="ar", versions={"de": DE})
    services.withdraw_own_measure(db, author, gone.id)
    assert services.translations_of(db, gone.id) == {}
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.merge_measures(db, fac, target.id, [source.id])
    assert services.translations_of(db, source.id)["de"].title == DE.title
    assert set(services.list_translations(db, ws.id)) == {target.id, source.id}
    services.delete_workshop(db, fac, ws.id)
    assert db.scalar("SELECT count(*) FROM translations WHERE workshop_id = $1", [ws.id]) == 0


def test_the_backup_carries_languages_and_translations_and_refuses_bad_ones(db, fac, hall, make_store):
    ws, goals, author, _other = hall
    m = services.propose_measure(db, author, goals[0], TR, lang="tr", versions={"de": DE})
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.translate_measure(db, fac, m.id, "ar", AR)
    text = backup.dumps(backup.export_workshop(db, ws.id))
    data = json.loads(text)
    assert data["format_version"] == 3
    assert {(t["lang"], t["made"], t["reviewed"]) for t in data["translations"]} == {
        ("de", "author", False),
        ("ar", "facilitator", True),
    }

    def restored(data, name: str) -> tuple[Database, str]:
        fresh = make_store(name)
        try:
            return fresh, backup.restore(fresh, data)
        except Exception:
            fresh.close()
            raise

    def edited(change) -> dict:
        copy = json.loads(text)
        change(copy)
        copy["checksum"] = backup.checksum(copy)
        return copy

    fresh, wid = restored(text, "same")
    assert services.list_measures(fresh, wid)[0].lang == "tr"
    assert services.list_translations(fresh, wid) == services.list_translations(db, ws.id)
    fresh.close()
    with pytest.raises(ValidationError, match="another language"):
        restored(edited(lambda d: d["translations"][0].update(lang="tr")), "original-again")
    with pytest.raises(ValidationError, match="damaged"):
        restored(edited(lambda d: d["translations"][0].update(made="oracle")), "made-by-whom")
    with pytest.raises(ValidationError, match="damaged"):
        restored(edited(lambda d: d["translations"][0].update(measure_id="nowhere")), "of-nothing")

    # A backup from before (format 2): no languages, no translations.
    def as_format_2(d: dict) -> None:
        d.pop("translations")
        for row in d["measures"]:
            row.pop("lang")
        d["format_version"] = 2

    older = edited(as_format_2)
    fresh, wid = restored(older, "older")
    assert services.list_measures(fresh, wid)[0].lang == "" and services.list_translations(fresh, wid) == {}
    fresh.close()


# --- the translation desk: a mediator link per language -------------------------------------------


def test_a_mediator_link_translates_its_language_in_its_workshop_and_nothing_else(db, fac, hall):
    ws, goals, author, _other = hall
    turkish = services.propose_measure(db, author, goals[0], TR, lang="tr")
    german = services.propose_measure(db, author, goals[0], DE, lang="de", versions={"ar": AR})
    other_ws, other_goals, _groups = new_workshop(db, fac)
    elsewhere = services.propose_measure(db, fac, other_goals[0], MeasureInput("Sprachcafé"), lang="de")
    link, key = services.create_mediator_key(db, fac, ws.id, "ar")
    mediator = services.mediator(db, key)
    assert mediator == services.Mediator(ws.id, "ar", link.id)
    assert services.mediator(db, "x" * 32) is None and services.mediator(db, None) is None

    queue = services.translation_queue(db, mediator)
    assert [(i.measure.id, i.done) for i in queue] == [(german.id, False), (turkish.id, False)], "newest first"
    assert queue[0].translation.made == Made.AUTHOR, "the author's Arabic version waits for a check"
    t = services.translate_measure(db, mediator, turkish.id, "ar", MeasureInput("مجلس الأجانب في هاربورغ"))
    assert (t.made, t.reviewed) == (Made.MEDIATOR, False)
    assert services.review_translation(db, mediator, german.id, "ar").reviewed
    assert [i.done for i in services.translation_queue(db, mediator)] == [True, True]

    before = snapshot(db)
    refusals = [
        lambda: services.translate_measure(db, mediator, turkish.id, "de", DE),  # another language
        lambda: services.translate_measure(db, mediator, elsewhere.id, "ar", AR),  # another workshop
        lambda: services.moderate_edit(db, mediator, turkish.id, DE),
        lambda: services.set_hidden(db, mediator, turkish.id, True),
        lambda: services.remove_translation(db, mediator, turkish.id, "ar"),
        lambda: services.set_measure_language(db, mediator, turkish.id, "de"),
        lambda: services.propose_measure(db, mediator, goals[0], TR),
        lambda: services.create_mediator_key(db, mediator, ws.id, "tr"),
        lambda: services.translation_queue(db, services.Mediator(other_ws.id, "ar", "forged")),
    ]
    for refused in refusals:
        with pytest.raises((PermissionDenied, NotFound, ValidationError)):
            refused()
    assert snapshot(db) == before

    # While voting and after it the desk works on (a translation changes no ballot); before the
    # first proposal (set-up) it does not.
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    assert services.translate_measure(db, mediator, turkish.id, "ar", AR).title == AR.title
    services.set_phase(db, fac, ws.id, Phase.SETUP)
    with pytest.raises(PermissionDenied):
        services.translate_measure(db, mediator, turkish.id, "ar", AR)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.revoke_mediator_key(db, fac, link.id)
    assert services.mediator(db, key) is None
    with pytest.raises(PermissionDenied):
        services.translate_measure(db, mediator, turkish.id, "ar", AR)  # a page still open: refused
    log = [r[0] for r in db.fetchall("SELECT action FROM audit_log WHERE workshop_id = $1 ORDER BY id", [ws.id])]
    assert {"mediator_link", "mediator_translate", "mediator_link_revoked"} <= set(log)
    assert [k.revoked for k in services.list_mediator_keys(db, fac, ws.id)] == [True]


def test_a_mediator_saves_at_most_so_many_translations_a_minute(db, fac, hall, monkeypatch):
    ws, goals, author, _other = hall
    monkeypatch.setattr(services.translations, "MEDIATOR_SAVES_PER_MINUTE", 2)
    ids = [services.propose_measure(db, author, goals[0], MeasureInput(f"Vorschlag {n}"), lang="de").id for n in "abc"]
    mediator = services.mediator(db, services.create_mediator_key(db, fac, ws.id, "tr")[1])
    for mid in ids[:2]:
        services.translate_measure(db, mediator, mid, "tr", TR)
    with pytest.raises(ValidationError, match="in the last minute"):
        services.translate_measure(db, mediator, ids[2], "tr", TR)


# --- the offline engine: machine translations, and the facilitator's switch ------------------------


class Tagging:
    """An engine double (no model can be downloaded here): Turkish to German and to Arabic."""

    def pairs(self):
        return {("tr", "de"), ("tr", "ar")}

    def translate(self, text, source, target):
        if (source, target) not in self.pairs():
            raise LookupError((source, target))
        return f"[{target}] {text}"


def test_the_engine_fills_in_what_is_missing_and_never_replaces_a_person(db, fac, hall):
    ws, goals, author, _other = hall
    m = services.propose_measure(db, author, goals[0], TR, lang="tr", versions={"de": DE})
    german = services.propose_measure(db, author, goals[0], DE, lang="de")
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    assert services.translate_with_engine(db, fac, ws.id, Tagging()) == 1
    made = services.translations_of(db, m.id)
    assert made["de"].made == Made.AUTHOR, "the author's German version stays"
    assert (made["ar"].title, made["ar"].made, made["ar"].reviewed) == (f"[ar] {TR.title}", Made.ENGINE, False)
    assert services.translations_of(db, german.id) == {}, "no pair from German: nothing"
    assert services.translate_with_engine(db, fac, ws.id, Tagging()) == 0, "nothing twice"
    assert services.translate_with_engine(db, fac, ws.id, None) == 0, "no engine: nothing, no error"
    services.set_phase(db, fac, ws.id, Phase.RESULTS)
    assert services.translate_with_engine(db, fac, ws.id, Tagging()) == 0, "after the vote too: nothing missing"


def test_participants_see_machine_translations_only_when_the_facilitator_allows_it(db, fac, hall):
    from workshop import participation, translation

    ws, goals, author, _other = hall
    m = services.propose_measure(db, author, goals[0], TR, lang="tr")
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.translate_with_engine(db, fac, ws.id, Tagging())
    found = services.translations_of(db, m.id)
    off = services.get_workshop(db, ws.id)
    assert translation.reading(m, found, "ar", machine=off.show_machine).missing
    on = services.set_machine_translations(db, fac, ws.id, True)
    read = translation.reading(m, found, "ar", machine=on.show_machine)
    assert (read.title, read.machine) == (f"[ar] {TR.title}", True)
    assert participation.screen_version(on) != participation.screen_version(off), "the phones redraw"
    assert ("show_machine_translations", "false", "true") in db.fetchall(
        "SELECT action, value_before, value_after FROM audit_log WHERE workshop_id = $1", [ws.id]
    )
    with pytest.raises(PermissionDenied):
        services.set_machine_translations(db, author, ws.id, False)


def test_an_edited_original_outdates_its_translations_until_a_person_looks_again(db, fac, hall):
    """Found by a walk: the author changed her proposal after the vote was reopened; the German
    version still said the old thing, 'checked', and the desk counted it done."""
    from workshop import translation

    ws, goals, author, _other = hall
    m = services.propose_measure(db, author, goals[0], TR, lang="tr", versions={"de": DE})
    holder = services.mediator(db, services.create_mediator_key(db, fac, ws.id, "de")[1])
    services.review_translation(db, holder, m.id, "de")
    assert [i.done for i in services.translation_queue(db, holder)] == [True]
    services.edit_own_measure(db, author, m.id, goals[0], MeasureInput(TR.title, TR.description))  # no change
    assert not services.translations_of(db, m.id)["de"].stale
    youth = MeasureInput("Harburg için gençlik meclisi", TR.description)
    services.edit_own_measure(db, author, m.id, goals[0], youth)
    stale = services.translations_of(db, m.id)["de"]
    assert (stale.stale, stale.reviewed) == (True, False)
    read = translation.reading(services.get_measure(db, m.id), {"de": stale}, "de")
    assert (read.title, read.missing) == (youth.title, True), "readers see the new original, marked"
    assert [i.done for i in services.translation_queue(db, holder)] == [False], "back in the desk's queue"
    assert "outdated" in translation.made_label(stale, lambda s: s)
    services.translate_measure(db, holder, m.id, "de", MeasureInput("Ein Jugendbeirat für Harburg"))
    assert not services.translations_of(db, m.id)["de"].stale
    # The facilitator's correction of the original outdates them too; a check makes one current again.
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.moderate_edit(db, fac, m.id, MeasureInput("Harburg gençlik meclisi", TR.description))
    assert services.translations_of(db, m.id)["de"].stale
    assert not services.review_translation(db, holder, m.id, "de").stale
