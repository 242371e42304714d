"""Backup and restore of one workshop on DuckDB files: no tokens out, identical rankings back in."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from workshop import backup, demo, scoring, services, views
from workshop.errors import ValidationError
from workshop.store import Database

TABLES = ("workshops", "goals", "groups", "measures", "devices", "ballots", "votes", "audit_log")


@pytest.fixture(scope="module")
def source(make_store):
    """The demo workshop (ballots of every method) in its own file, built once for the module."""
    db = make_store("source")
    ws = demo.build(db)
    yield db, ws
    db.close()


@pytest.fixture(scope="module")
def text(source):
    db, ws = source
    return backup.dumps(backup.export_workshop(db, ws.id))


@pytest.fixture(scope="module")
def restored(make_store, text):
    """The backup restored into a fresh file whose measure sequence is already far ahead."""
    db = make_store("restored")
    db.write(lambda cur: cur.execute("SELECT max(nextval('seq_measure')) FROM generate_series(1, 1000)"))
    wid = backup.restore(db, text.encode("utf-8"))
    yield db, services.get_workshop(db, wid)
    db.close()


def snapshot(db: Database) -> dict[str, object]:
    """Every row of every workshop table, to show that a refused restore changed nothing."""
    return {t: sorted(db.fetchall(f"SELECT * FROM {t}"), key=repr) for t in TABLES}


@pytest.fixture
def empty(make_store):
    db = make_store("empty")
    yield db
    db.close()


# --- export -----------------------------------------------------------------------------------


def test_backup_is_json_with_format_marker_and_every_table(source, text):
    db, ws = source
    data = json.loads(text)
    assert data["format"] == backup.FORMAT
    assert data["format_version"] == backup.FORMAT_VERSION
    assert data["workshop"]["id"] == ws.id
    assert data["workshop"]["rules"] == ws.rules.to_dict()  # parsed JSON, not a string
    for table in TABLES[1:]:
        count = db.scalar(
            f"SELECT count(*) FROM {table} WHERE workshop_id = $1"
            if table != "votes"
            else "SELECT count(*) FROM votes v JOIN ballots b ON b.id = v.ballot_id WHERE b.workshop_id = $1",
            [ws.id],
        )
        assert count > 0
        assert len(data[table]) == count, table


def test_backup_never_contains_tokens_or_token_hashes(source, text):
    db, ws = source
    assert "token" not in text
    hashes = [h for (h,) in db.fetchall("SELECT token_hash FROM devices WHERE workshop_id = $1", [ws.id])]
    assert len(hashes) > 10
    assert not any(h in text for h in hashes)
    assert all(
        set(device) == {"id", "workshop_id", "group_id", "kiosk", "created_at", "paper"}
        for device in json.loads(text)["devices"]
    )


def test_backup_keeps_umlauts_dates_and_hidden_columns_readable(text):
    assert "Bürgerzentrum" in text  # ensure_ascii=False
    data = json.loads(text)
    measure = data["measures"][0]
    assert {"hidden", "merged_into", "seq", "status", "created_at", "author_device_id"} <= set(measure)
    assert isinstance(measure["created_at"], str) and "T" in measure["created_at"]
    assert text == backup.dumps(json.loads(text))  # sorted keys: stable text for the same data


# --- restore ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(scoring.METHODS))
def test_restore_into_fresh_file_gives_identical_rankings(source, restored, key):
    (db, ws), (db2, ws2) = source, restored
    before, after = views.ranking(db, ws, key), views.ranking(db2, ws2, key)
    assert len(before) == 20
    assert before["score"].sum() > 0
    pd.testing.assert_frame_equal(before, after)


def test_restore_reproduces_the_backup_exactly(text, restored):
    db2, ws2 = restored
    again = backup.export_workshop(db2, ws2.id)
    original = json.loads(text)
    for data in (again, original):
        data.pop("exported_at")
        data.pop("checksum")  # over exported_at too
        for entry in data["audit_log"]:
            entry.pop("id")  # audit ids are drawn fresh; their order is kept
    assert again == original  # includes every measure's seq, though the file's sequence was ahead


def test_restored_devices_get_fresh_unusable_token_hashes(source, restored):
    (db, ws), (db2, ws2) = source, restored
    old = dict(db.fetchall("SELECT id, token_hash FROM devices WHERE workshop_id = $1", [ws.id]))
    new = dict(db2.fetchall("SELECT id, token_hash FROM devices WHERE workshop_id = $1", [ws2.id]))
    assert new.keys() == old.keys()
    assert not set(new.values()) & set(old.values())
    assert all(len(h) == 64 for h in new.values())


def test_restore_moves_the_measure_sequence_past_the_restored_seqs(empty, text):
    wid = backup.restore(empty, text)
    highest = empty.scalar("SELECT max(seq) FROM measures WHERE workshop_id = $1", [wid])
    assert highest >= 20
    assert empty.scalar("SELECT nextval('seq_measure')") > highest


def test_restore_accepts_dict_and_bytes_with_bom(make_store, text):
    for i, data in enumerate((json.loads(text), b"\xef\xbb\xbf" + text.encode("utf-8"))):
        db = make_store(f"w{i}")
        wid = backup.restore(db, data)
        assert services.get_workshop(db, wid).title == json.loads(text)["workshop"]["title"]
        db.close()


def test_restoring_twice_is_refused_and_changes_nothing(restored, text):
    db2, _ws2 = restored
    before = snapshot(db2)
    with pytest.raises(ValidationError, match="already exists"):
        backup.restore(db2, text)
    assert snapshot(db2) == before


def _as_other_workshop(text: str, wid: str = "another-id") -> dict:
    data = json.loads(text)
    data["workshop"]["id"] = wid
    for table in ("goals", "groups", "measures", "devices", "ballots", "cards", "audit_log"):
        for row in data[table]:
            row["workshop_id"] = wid
    data["checksum"] = backup.checksum(data)  # exported so: not an altered file
    return data


def test_restore_refuses_a_join_code_that_is_taken(restored, text):
    db2, _ws2 = restored
    data = _as_other_workshop(text)
    before = snapshot(db2)
    with pytest.raises(ValidationError, match="join code") as info:
        backup.restore(db2, data)
    assert info.value.params["code"] == data["workshop"]["join_code"]
    assert snapshot(db2) == before


def test_restore_refuses_records_that_already_exist(restored, text):
    db2, _ws2 = restored
    data = _as_other_workshop(text)
    data["workshop"]["join_code"] = "ZZZZZZ"
    data["checksum"] = backup.checksum(data)
    before = snapshot(db2)
    with pytest.raises(ValidationError, match="already exist"):
        backup.restore(db2, data)
    assert snapshot(db2) == before


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda text: text[: len(text) // 2], id="truncated"),
        pytest.param(lambda text: "", id="empty"),
        pytest.param(lambda text: b"\x89PNG\r\n\x1a\n\x00\xff\xfe", id="binary-garbage"),
        pytest.param(lambda text: "[1, 2, 3]", id="json-but-not-a-backup"),
        pytest.param(lambda text: json.dumps({"format": "something-else"}), id="other-format"),
    ],
)
def test_unreadable_files_are_refused_with_nothing_written(empty, text, damage):
    with pytest.raises(ValidationError, match="not a workshop backup"):
        backup.restore(empty, damage(text))
    assert all(not rows for rows in snapshot(empty).values())


def _edit(text: str, change) -> dict:
    data = json.loads(text)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["measures"][3].pop("seq"), "measures[3].seq"),
        (lambda d: d["measures"][0].update(seq="7"), "measures[0].seq"),
        (lambda d: d["votes"][5].update(ballot_id="no-such-ballot"), "votes[5].ballot_id"),
        (lambda d: d["measures"][2].update(goal_id="no-such-goal"), "measures[2].goal_id"),
        (lambda d: d["ballots"][0].update(method="lottery"), "ballots[0].method"),
        (lambda d: d["workshop"].update(phase="party"), "workshop.phase"),
        (lambda d: d["workshop"].update(rules={"method": "dots", "dots_per_person": -1}), "workshop.rules"),
        (lambda d: d["devices"][1].update(created_at="yesterday"), "devices[1].created_at"),
        (lambda d: d["goals"].append(dict(d["goals"][0])), "goals.id (duplicate)"),
        (lambda d: d.pop("votes"), "votes"),
    ],
)
def test_damaged_backups_are_refused_with_nothing_written(empty, text, change, where):
    with pytest.raises(ValidationError, match="damaged") as info:
        backup.restore(empty, _edit(text, change))
    assert info.value.params["detail"] == where
    assert all(not rows for rows in snapshot(empty).values())


def test_other_format_version_is_refused(empty, text):
    with pytest.raises(ValidationError, match="format version") as info:
        backup.restore(empty, _edit(text, lambda d: d.update(format_version=99)))
    assert info.value.params == {"found": 99, "expected": backup.FORMAT_VERSION}
    assert all(not rows for rows in snapshot(empty).values())


def test_a_failure_midway_rolls_back_the_whole_restore(empty, text, monkeypatch):
    real_insert = backup._insert

    def failing_insert(cur, engine, table, rows, cols):
        if table == "votes":  # workshop, goals, groups, measures, devices and ballots are in by now
            raise RuntimeError("disk full")
        real_insert(cur, engine, table, rows, cols)

    monkeypatch.setattr(backup, "_insert", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        backup.restore(empty, text)
    assert all(not rows for rows in snapshot(empty).values())
    monkeypatch.undo()
    wid = backup.restore(empty, text)  # and the same file restores cleanly afterwards
    assert services.get_workshop(empty, wid).id == json.loads(text)["workshop"]["id"]


# --- issue 17: cards, a checksum, and the services' rules ------------------------------------


def test_voting_cards_are_in_the_backup_as_their_hashes(tmp_path):
    """Issue 17.10: 10 cards, some used and one revoked, before; none after a restore."""
    from workshop import auth

    db = Database(tmp_path / "cards.duckdb")
    ws = demo.build(db)
    fac = auth.system_session(db)
    codes = services.generate_cards(db, fac, ws.id, 10)
    device = db.scalar("SELECT id FROM devices WHERE workshop_id = $1 ORDER BY id LIMIT 1", [ws.id])
    db.write(lambda cur: cur.execute("UPDATE cards SET device_id = $1 WHERE number <= 3", [device]))
    db.write(lambda cur: cur.execute("UPDATE cards SET revoked = TRUE WHERE number = 10"))
    columns = "number, code_hash, device_id, revoked"
    before = db.fetchall(f"SELECT {columns} FROM cards WHERE workshop_id = $1 ORDER BY number", [ws.id])
    data = backup.export_workshop(db, ws.id)
    assert len(data["cards"]) == 10 and all(codes[0][1] not in json.dumps(c) for c in data["cards"]), "hashes only"
    fresh = Database(tmp_path / "fresh.duckdb")
    wid = backup.restore(fresh, backup.dumps(data))
    assert fresh.fetchall(f"SELECT {columns} FROM cards WHERE workshop_id = $1 ORDER BY number", [wid]) == before
    db.close()
    fresh.close()


def _retyped(text: str, change) -> dict:
    """A backup changed by hand after its export (well-typed: only the rules can tell)."""
    return _edit(text, change)


def _first_dots_vote(data: dict) -> dict:
    dots = {b["id"] for b in data["ballots"] if b["method"] == "dots"}
    return next(v for v in data["votes"] if v["ballot_id"] in dots)


def _second_ballot(data: dict) -> None:
    first = next(b for b in data["ballots"] if b["method"] == "dots")
    data["ballots"].append({**first, "id": "twin", "submission_id": "twin-submission"})
    data["votes"].append({**_first_dots_vote(data), "ballot_id": "twin"})


@pytest.mark.parametrize(
    ("change", "where"),
    [
        pytest.param(lambda d: _first_dots_vote(d).update(value=1000), "votes[", id="1000-dots-past-the-cap"),
        pytest.param(lambda d: _first_dots_vote(d).update(value=-50), "votes[", id="minus-50-dots"),
        pytest.param(_second_ballot, "ballots[", id="second-dots-ballot-of-a-device"),
        pytest.param(lambda d: d["votes"].append(dict(_first_dots_vote(d))), "votes[", id="duplicated-vote-row"),
        pytest.param(lambda d: d["measures"][0].update(title="x" * 5000), "measures[0]", id="5000-character-title"),
        pytest.param(lambda d: _first_dots_vote(d).update(value=1.5), "votes[", id="half-a-dot"),
    ],
)
def test_a_tampered_backup_breaks_the_rules_and_is_refused(empty, text, change, where):
    """Issue 17.12: even restored deliberately (accept_altered), a record the services would have
    refused is named and nothing is written."""
    data = _retyped(text, change)
    with pytest.raises(ValidationError, match="changed after it was exported"):
        backup.restore(empty, data)
    with pytest.raises(ValidationError, match="breaks a rule") as info:
        backup.restore(empty, data, accept_altered=True)
    assert info.value.params["where"].startswith(where), info.value.params
    assert all(not rows for rows in snapshot(empty).values())


def test_a_vote_for_an_unknown_measure_or_a_nan_value_is_damage(empty, text):
    """Issue 17.11: NaN gave a raw TransactionException after eight retries."""
    unknown = _edit(text, lambda d: _first_dots_vote(d).update(measure_id="no-such-measure"))
    with pytest.raises(ValidationError, match="damaged"):
        backup.restore(empty, unknown, accept_altered=True)
    nan = text.replace('"value": 1.0', '"value": NaN', 1)
    assert nan != text
    with pytest.raises(ValidationError, match="damaged") as info:
        backup.restore(empty, nan, accept_altered=True)
    assert info.value.params["detail"].endswith(".value")
    assert all(not rows for rows in snapshot(empty).values())


def test_an_altered_backup_restored_deliberately_is_in_the_audit_log(empty, text, tmp_path):
    data = _edit(text, lambda d: d["workshop"].update(place="Rathaus Harburg"))
    wid = backup.restore(empty, data, accept_altered=True)
    actions = [a for (a,) in empty.fetchall("SELECT action FROM audit_log WHERE workshop_id = $1", [wid])]
    assert "restore_altered" in actions
    clean = Database(tmp_path / "clean.duckdb")
    wid = backup.restore(clean, text)
    assert "restore_altered" not in [
        a for (a,) in clean.fetchall("SELECT action FROM audit_log WHERE workshop_id = $1", [wid])
    ]
    clean.close()


def test_a_format_1_backup_has_no_checksum_and_is_restored_only_deliberately(empty, text):
    old = _edit(text, lambda d: [d.pop("checksum"), d.pop("cards"), d.update(format_version=1)])
    with pytest.raises(ValidationError, match="older version without one"):
        backup.restore(empty, old)
    wid = backup.restore(empty, old, accept_altered=True)
    assert services.get_workshop(empty, wid).title == json.loads(text)["workshop"]["title"]


# --- issue 23: paper ballots -----------------------------------------------------------------


@pytest.fixture(scope="module")
def on_paper(make_store):
    """The demo vote with paper ballots: two counted, one invalid, one waiting for its second
    entry (double entry switched on after the others), the count on the projector, an entry link."""
    from workshop import auth
    from workshop.model import DotBallot

    db = make_store("paper")
    ws = demo.build(db)
    fac = auth.system_session(db, minutes=30)
    first, second = (m.id for m in services.list_measures(db, ws.id)[:2])
    numbers = [n for n, _code in services.print_sheets(db, fac, ws.id, 5)]
    services.enter_sheet(db, fac, ws.id, str(numbers[0]), DotBallot({first: 2}))
    services.enter_sheet(db, fac, ws.id, str(numbers[1]), DotBallot({first: 1, second: 1}))
    services.enter_sheet(db, fac, ws.id, str(numbers[2]), None, invalid="unclear")
    services.set_paper_options(db, fac, ws.id, double=True, wall=True)
    services.enter_sheet(db, fac, ws.id, str(numbers[3]), DotBallot({second: 1}))
    _link, key = services.create_entry_key(db, fac, ws.id, "Laptop Empfang")
    yield db, services.get_workshop(db, ws.id), key
    db.close()


def _facilitator(db: Database):
    from workshop import auth

    return auth.system_session(db, minutes=5)


def paper_picture(db: Database, wid: str) -> dict[str, object]:
    """What a restore must keep of the paper ballots: the counts, and every sheet, card and device."""
    ws = services.get_workshop(db, wid)
    return {
        "channels": services.channel_counts(db, wid),
        "stats": services.paper_stats(db, wid),
        "counts": views.counts(db, ws),
        "options": (ws.paper_double, ws.paper_closed, ws.wall_paper),
        "sheets": db.fetchall(
            "SELECT card_id, number, method, state, first_entry, second_entry, reason, ballot_id FROM paper_sheets "
            "WHERE workshop_id = $1 ORDER BY number",
            [wid],
        ),
        "cards": db.fetchall("SELECT id, number, sheet, device_id FROM cards WHERE workshop_id = $1 ORDER BY 2", [wid]),
        "devices": db.fetchall("SELECT id FROM devices WHERE workshop_id = $1 AND paper ORDER BY id", [wid]),
        "ballots": db.fetchall("SELECT id, channel FROM ballots WHERE workshop_id = $1 ORDER BY id", [wid]),
        "listed": services.list_sheets(db, _facilitator(db), wid),
    }


def test_a_restore_keeps_the_paper_ballots_and_the_split_by_channel(on_paper, make_store):
    db, ws, key = on_paper
    before = paper_picture(db, ws.id)
    assert before["channels"] == services.Channels(digital=64, paper=2, invalid=1)
    assert (before["stats"].printed, before["stats"].waiting) == (5, 1)
    assert before["counts"]["devices"] == 72, "the devices of the sheets are no devices that joined"
    assert before["options"] == (True, False, True)
    text = backup.dumps(backup.export_workshop(db, ws.id))
    data = json.loads(text)
    assert [s["state"] for s in data["paper_sheets"]] == ["counted", "counted", "invalid", "waiting"]
    assert data["paper_sheets"][2]["reason"] == "unclear"
    assert isinstance(data["paper_sheets"][0]["first_entry"], dict), "an entry as the object it is"
    assert "entry_keys" not in data and key not in text, "entry links are secrets: not in a backup"

    fresh = make_store("paper-restored")
    wid = backup.restore(fresh, text)
    assert paper_picture(fresh, wid) == before
    assert fresh.scalar("SELECT count(*) FROM entry_keys") == 0, "a restore issues no entry links"
    assert services.clerk(fresh, key) is None


def test_a_backup_from_before_paper_ballots_restores_as_all_digital(empty, text):
    """A format-3 file written before issue 23: no channels, sheets, paper devices or options."""

    def older(d: dict) -> None:
        for name in ("paper_double", "paper_closed", "wall_paper"):
            d["workshop"].pop(name)
        for table, column in (("ballots", "channel"), ("cards", "sheet"), ("devices", "paper")):
            for row in d[table]:
                row.pop(column)
        d.pop("paper_sheets")
        d["checksum"] = backup.checksum(d)

    data = _edit(text, older)
    assert data["format_version"] == 3 and "paper" not in json.dumps(data)
    wid = backup.restore(empty, data)
    ws = services.get_workshop(empty, wid)
    assert (ws.paper_double, ws.paper_closed, ws.wall_paper) == (False, False, False)
    split = [services.channel_counts(empty, wid, m) for m in ("dots", "approval", "rating", "ranking")]
    assert sum(c.digital for c in split) == len(data["ballots"]) and not any(c.paper or c.invalid for c in split)
    assert views.counts(empty, ws)["devices"] == len(data["devices"])


def _paper_ballot(d: dict) -> dict:
    return next(b for b in d["ballots"] if b["channel"] == "paper")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["paper_sheets"][0].update(ballot_id="no-such-ballot"), "paper_sheets[0].ballot_id"),
        (lambda d: d["paper_sheets"][0].update(card_id="no-such-card"), "paper_sheets[0].card_id"),
        (lambda d: d["paper_sheets"][2].update(ballot_id=_paper_ballot(d)["id"]), "paper_sheets[2].ballot_id"),
        (lambda d: d["paper_sheets"][0].update(state="lost"), "paper_sheets[0].state"),
        (lambda d: d["paper_sheets"][2].update(reason="torn"), "paper_sheets[2].reason"),
        (lambda d: d["paper_sheets"][2].update(reason=""), "paper_sheets[2].reason"),
        (lambda d: d["paper_sheets"][0].update(first_entry="{}"), "paper_sheets[0].first_entry"),
        (lambda d: d["paper_sheets"][1].update(number=99), "paper_sheets[1].number"),
        (lambda d: d["paper_sheets"].append(dict(d["paper_sheets"][0])), "paper_sheets.card_id (duplicate)"),
        (lambda d: d["ballots"][0].update(channel="fax"), "ballots[0].channel"),
        (lambda d: d["paper_sheets"].pop(0), "ballots["),  # a paper ballot on no sheet
        (lambda d: d["workshop"].update(wall_paper="yes"), "workshop.wall_paper"),
    ],
)
def test_paper_ballots_that_do_not_add_up_are_damage(on_paper, empty, change, where):
    db, ws, _key = on_paper
    text = backup.dumps(backup.export_workshop(db, ws.id))
    with pytest.raises(ValidationError, match="damaged") as info:
        backup.restore(empty, _edit(text, change), accept_altered=True)
    assert info.value.params["detail"].startswith(where)
    assert all(not rows for rows in snapshot(empty).values())
