"""Issue 21.3: what several app processes on one PostgreSQL database must share is in the database:
the login slow-down per address, the limits on voting-card tries and joins, and a device's
half-typed proposal. Two store objects on one database stand for two processes (each has its
own connection pool and nothing in common but the server)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import drop_postgres_database, fresh_postgres_database
from workshop import auth, demo, services
from workshop.errors import PermissionDenied, ValidationError
from workshop.model import Phase
from workshop.pgstore import PostgresDatabase

PASSPHRASE = "shared-state-passphrase"


@pytest.fixture(scope="module")
def two():
    url = fresh_postgres_database()
    a = PostgresDatabase(url)
    b = PostgresDatabase(url)
    auth.ensure_passphrase(a, PASSPHRASE)
    ws = demo.build(a)
    yield a, b, ws
    a.close()
    b.close()
    drop_postgres_database(url)


def test_a_wrong_passphrase_on_one_process_slows_the_next_try_on_another(two):
    a, b, _ws = two
    client = f"guesser-{uuid.uuid4()}"
    with pytest.raises(PermissionDenied, match="Wrong passphrase"):
        auth.login(a, "wrong", client=client)
    with pytest.raises(PermissionDenied) as refused:
        auth.login(b, PASSPHRASE, client=client)
    assert refused.value.msgid == auth.TOO_SOON, "the other process knows of the wrong try"


def test_card_tries_count_across_processes(two, monkeypatch):
    a, b, ws = two
    fac = auth.system_session(a)
    services.set_phase(a, fac, ws.id, Phase.REVIEW)
    services.generate_cards(a, fac, ws.id, 2)
    participant, _token = services.join(a, ws.join_code)
    limit = services.CARD_ATTEMPTS_PER_MINUTE
    for i in range(limit):
        with pytest.raises(ValidationError):
            services.redeem_card(a if i % 2 else b, participant, f"WRONG{i:04d}")
    with pytest.raises(PermissionDenied, match="Too many tries"):
        services.redeem_card(a, participant, "WRONG9999")


def test_a_half_typed_proposal_is_found_by_the_other_process(two):
    a, b, ws = two
    participant, _token = services.join(a, ws.join_code)
    services.keep_draft(a, participant, {"title": "Sprachcafé am Samstag", "goal": "g1"})
    assert services.get_draft(b, participant) == {"title": "Sprachcafé am Samstag", "goal": "g1"}
    services.keep_draft(b, participant, {})
    assert services.get_draft(a, participant) == {}
