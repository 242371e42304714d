"""Voting cards: single use, required for a ballot when switched on, revocable; the PDF's QR codes
decode (with a real QR reader) to the join links."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from dataclasses import replace

import pytest

from workshop import auth, cards, demo, services
from workshop.errors import PermissionDenied, ValidationError
from workshop.model import DotBallot, Phase


@pytest.fixture
def setup(make_store):
    db = make_store("cards")
    ws = demo.build(db)
    fac = auth.system_session(db, minutes=30)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.set_rules(
        db,
        fac,
        ws.id,
        replace(ws.rules, cards_required=True),
        confirm_affected=services.count_ballots(db, ws.id, "dots"),
    )
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    return db, services.get_workshop(db, ws.id), fac


def _ballot(db, ws):
    first = services.list_measures(db, ws.id)[0]
    return DotBallot({first.id: 1})


def test_a_ballot_needs_a_card_and_a_card_works_once(setup):
    db, ws, fac = setup
    ((number, code),) = services.generate_cards(db, fac, ws.id, 1)
    alice, _t = services.join(db, ws.join_code)
    bob, _t = services.join(db, ws.join_code)
    before = services.count_ballots(db, ws.id)
    with pytest.raises(PermissionDenied):
        services.submit_ballot(db, alice, _ballot(db, ws), uuid.uuid4().hex)
    assert services.count_ballots(db, ws.id) == before

    services.redeem_card(db, alice, code.lower())  # typed in lower case: still the same card
    services.submit_ballot(db, alice, _ballot(db, ws), uuid.uuid4().hex)
    assert services.count_ballots(db, ws.id) == before + 1
    with pytest.raises(ValidationError):
        services.redeem_card(db, bob, code)
    assert services.card_stats(db, ws.id) == {"cards": 1, "used": 1, "revoked": 0}


def test_revoking_a_lost_card_removes_its_ballot_and_a_new_card_works(setup):
    db, ws, fac = setup
    ((number, code),) = services.generate_cards(db, fac, ws.id, 1)
    assert services.card_use(db, fac, ws.id, number) == "unused"
    alice, _t = services.join(db, ws.join_code)
    services.redeem_card(db, alice, code)
    assert services.card_use(db, fac, ws.id, number) == "in_use"
    services.submit_ballot(db, alice, _ballot(db, ws), uuid.uuid4().hex)
    assert services.card_use(db, fac, ws.id, number) == "voted"  # the console warns: the ballot goes
    before = services.count_ballots(db, ws.id)
    services.revoke_card(db, fac, ws.id, number)
    assert services.card_use(db, fac, ws.id, number) == "revoked"
    assert services.count_ballots(db, ws.id) == before - 1
    assert not services.has_card(db, alice)
    with pytest.raises(ValidationError):
        services.redeem_card(db, alice, code)
    with pytest.raises(ValidationError) as refused:  # a phone opening its link is told before joining
        services.check_card_before_joining(db, ws.id, code)
    assert refused.value.msgid == services.CARD_INVALID
    ((_n2, code2),) = services.generate_cards(db, fac, ws.id, 1)
    services.check_card_before_joining(db, ws.id, code2)  # a fresh card passes
    services.redeem_card(db, alice, code2)
    services.submit_ballot(db, alice, _ballot(db, ws), uuid.uuid4().hex)
    assert services.count_ballots(db, ws.id) == before


def test_guessing_is_rate_limited(setup):
    db, ws, fac = setup
    services.generate_cards(db, fac, ws.id, 1)
    mallory, _t = services.join(db, ws.join_code)
    for _ in range(services.CARD_ATTEMPTS_PER_MINUTE):
        with pytest.raises(ValidationError):
            services.redeem_card(db, mallory, "AAAAAAAA")
    with pytest.raises(PermissionDenied):
        services.redeem_card(db, mallory, "AAAAAAAA")


def test_only_hashes_of_card_codes_are_stored(setup):
    db, ws, fac = setup
    codes = [c for _n, c in services.generate_cards(db, fac, ws.id, 5)]
    stored = {r[0] for r in db.fetchall("SELECT code_hash FROM cards")}
    assert not stored & set(codes)


def test_generating_cards_needs_the_facilitator(setup):
    db, ws, _fac = setup
    with pytest.raises(PermissionDenied):
        services.generate_cards(db, auth.Facilitator("forged"), ws.id, 3)
    assert services.card_stats(db, ws.id)["cards"] == 0


@pytest.mark.skipif(not shutil.which("zbarimg") or not shutil.which("pdftoppm"), reason="needs zbar-tools, poppler")
def test_card_pdf_qr_codes_decode_to_join_links(tmp_path):
    link = "http://192.168.1.20:8501/?code=ABC234"
    codes = [(i, f"CARD{i:04d}") for i in range(1, 11)]  # 10 cards: two pages of 8
    pdf = tmp_path / "cards.pdf"
    pdf.write_bytes(cards.cards_pdf("Planungswerkstatt Harburg", link, codes))
    subprocess.run(["pdftoppm", "-png", "-r", "110", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    decoded = set()
    for page in pages:
        out = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True, text=True).stdout
        decoded |= set(out.split())
    assert decoded == {cards.card_url(link, c) for _n, c in codes}
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "CARD 0001" in text and "Voting card 10" in text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler")
def test_an_arabic_workshop_title_on_the_cards_reads_right_to_left(tmp_path):
    """Issue 17.5's sibling: the voting cards print the workshop's title with the same shaping."""
    import re

    pdf = tmp_path / "cards.pdf"
    pdf.write_bytes(cards.cards_pdf("مؤتمر هاربورغ", "http://127.0.0.1:8501/?code=ABCDEF", [(1, "ABCD2345")]))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "مؤتمر هاربورغ" in " ".join(re.sub("[\u202a-\u202e]", "", text).split())


def test_fresh_devices_from_one_address_cannot_add_up_their_card_guesses(setup):
    """Issue 18.8: 71 fresh joins gave 426 guesses a minute (5 per device); now the address and the
    workshop have limits of their own."""
    db, ws, fac = setup
    ((_number, code),) = services.generate_cards(db, fac, ws.id, 1)
    address = f"198.51.100.{uuid.uuid4().int % 250}"
    per_address = services._settings.card_tries_per_address_minute
    wrong = 0
    for _ in range(per_address // services.CARD_ATTEMPTS_PER_MINUTE + 2):
        device, _t = services.join(db, ws.join_code)  # this machine: joins are not limited
        for _ in range(services.CARD_ATTEMPTS_PER_MINUTE):
            try:
                services.redeem_card(db, device, "ZZZZZZZZ", client=address)
            except ValidationError:
                wrong += 1
            except PermissionDenied:
                pass
    assert wrong == per_address, "fresh devices from one address guessed past the address's limit"
    fresh, _t = services.join(db, ws.join_code)
    with pytest.raises(PermissionDenied, match="Too many tries"):
        services.redeem_card(db, fresh, code, client=address)  # unchecked, even the right one
    services.redeem_card(db, fresh, code, client="192.0.2.77")  # another phone in the hall


def test_the_workshop_has_a_limit_of_its_own_for_wrong_card_codes(setup, monkeypatch):
    db, ws, _fac = setup
    monkeypatch.setattr(services.cards, "_card_attempts_by_workshop", services.cards.limits.Window("card_workshop", 12))
    refused = 0
    for i in range(20):
        device, _t = services.join(db, ws.join_code)
        try:
            services.redeem_card(db, device, "ZZZZZZZZ", client=f"192.0.2.{i}")
        except PermissionDenied:
            refused += 1
        except ValidationError:
            pass
    assert refused == 8


def test_new_devices_per_address_and_minute_are_limited(setup):
    db, ws, _fac = setup
    address = f"203.0.113.{uuid.uuid4().int % 250}"
    limit = services._settings.joins_per_address_minute
    tokens = [services.join(db, ws.join_code, client=address)[1] for _ in range(limit)]
    with pytest.raises(PermissionDenied, match="Too many new devices"):
        services.join(db, ws.join_code, client=address)
    # A device that joined comes back (a reload, another tab) without counting again.
    assert services.join(db, ws.join_code, token=tokens[0], client=address)[1] == tokens[0]
    services.join(db, ws.join_code, client="203.0.113.254")  # another address
    services.join(db, ws.join_code)  # this machine itself
