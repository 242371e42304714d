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
from workshop.store import Database


@pytest.fixture
def setup(tmp_path):
    db = Database(tmp_path / "cards.duckdb")
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
    alice, _t = services.join(db, ws.join_code)
    services.redeem_card(db, alice, code)
    services.submit_ballot(db, alice, _ballot(db, ws), uuid.uuid4().hex)
    before = services.count_ballots(db, ws.id)
    services.revoke_card(db, fac, ws.id, number)
    assert services.count_ballots(db, ws.id) == before - 1
    assert not services.has_card(db, alice)
    with pytest.raises(ValidationError):
        services.redeem_card(db, alice, code)
    ((_n2, code2),) = services.generate_cards(db, fac, ws.id, 1)
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
