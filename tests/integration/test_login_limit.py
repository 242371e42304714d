"""The facilitator login's slow-down (issue 18.3): per client address, nothing waits in line, and
behind the shipped nginx setup the address is the real peer's, whatever header a client sends.

The nginx test runs the app behind ``scripts/nginx_site.py``'s configuration and connects from
different loopback addresses (127.0.0.2 guesses, 127.0.0.3 is the facilitator), as different
machines in the hall's network would.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from bench.client import element_id, string, trigger
from bench.server import Nginx, Server
from tests.integration import asyncrun
from tests.integration.test_access_ws import Tab, visible
from workshop import auth, i18n
from workshop.errors import PermissionDenied
from workshop.store import Database

PASSPHRASE = "login-limit-Passphrase-7c1e"
WRONG = "login-limit-Passphrase-7c1f"
tr = i18n.gettext_for(i18n.DEFAULT_LANGUAGE)
TOO_MANY = auth.TOO_SOON


@pytest.fixture
def db(make_store):
    database = make_store("login")
    auth.ensure_passphrase(database, PASSPHRASE)
    return database


def refusal(fn) -> str | None:
    try:
        fn()
    except PermissionDenied as exc:
        return exc.msgid
    return None


def test_a_try_during_the_wait_is_refused_at_once_without_a_check(db: Database) -> None:
    client = f"guesser-{uuid.uuid4()}"
    assert refusal(lambda: auth.login(db, WRONG, client=client)) == "Wrong passphrase."
    started = time.monotonic()
    # Even the right passphrase is not checked before the waiting time is over: a guess is not
    # told whether it was right.
    assert refusal(lambda: auth.login(db, PASSPHRASE, client=client)) == TOO_MANY
    assert time.monotonic() - started < 0.2, "the refusal waited instead of answering at once"
    time.sleep(0.55)
    assert refusal(lambda: auth.login(db, PASSPHRASE, client=client)) is None


def test_tries_sent_at_the_same_time_from_one_address_get_one_check(db: Database) -> None:
    client = f"parallel-{uuid.uuid4()}"
    outcomes: list[str | None] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        outcomes.append(refusal(lambda: auth.login(db, WRONG, client=client)))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("Wrong passphrase.") == 1 and outcomes.count(TOO_MANY) == 7, outcomes
    assert time.monotonic() - started < 2, "tries waited in line"


def test_guessers_do_not_delay_the_facilitator_from_another_address(db: Database) -> None:
    guesser = f"guesser-{uuid.uuid4()}"
    stop = threading.Event()

    def guess() -> None:
        while not stop.is_set():
            refusal(lambda: auth.login(db, WRONG, client=guesser))

    threads = [threading.Thread(target=guess) for _ in range(6)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        started = time.monotonic()
        auth.login(db, PASSPHRASE, client=f"facilitator-{uuid.uuid4()}")
        assert time.monotonic() - started < 2
    finally:
        stop.set()
        for t in threads:
            t.join()


# --- through nginx --------------------------------------------------------------------------------


async def log_in(port: int, source: str, passphrase: str, forged: str | None = None) -> tuple[str, float]:
    """One login through a fresh connection: ("ok" | the error shown, seconds from send to answer)."""
    tab = Tab(port, headers={"X-Forwarded-For": forged} if forged else None, source=source)
    await tab.connect()
    try:
        await tab.rerun()
        tab.goto("login")
        await tab.rerun()
        pw = element_id(tab.find("passphrase").element)
        submit = element_id(tab.find(kind="button").element)
        started = time.monotonic()
        await tab.rerun({pw: string(pw, passphrase), **trigger(submit)}, timeout=60)
        took = time.monotonic() - started
        if tab.find("passphrase") is None:  # the console opened
            return "ok", took
        errors = [visible(s) for s in tab.shown.values() if s.kind == "alert"]
        if errors and errors[0].startswith(tr(TOO_MANY).split("{seconds}")[0]):
            return "too soon", took  # the wait in seconds differs from try to try
        return (errors[0] if errors else "no answer"), took
    finally:
        await tab.close()


def test_behind_nginx_a_forged_header_does_not_lift_the_slow_down_and_guessers_cannot_lock_out(
    tmp_path: Path,
) -> None:
    server = Server(
        "app.py",
        env={"PW_DB_PATH": str(tmp_path / "proxy.duckdb"), "PW_PASSPHRASE": PASSPHRASE, "PW_DEMO": "0"},
        args=["--server.fileWatcherType", "none"],
        log=tmp_path / "app.log",
    ).start(timeout=90)
    # Not pytest's tmp_path: nginx's unprivileged workers cannot enter /tmp/pytest-of-<user>.
    proxy = Nginx(Path(tempfile.mkdtemp(prefix="pw-nginx-")) / "nginx", server.port).start()
    try:

        async def scenario() -> tuple[list[str], float, list[str], tuple[str, float]]:
            # One machine guesses fast, each try on a new connection claiming a new address.
            started = time.monotonic()
            quick = [(await log_in(proxy.port, "127.0.0.2", WRONG, forged=f"198.51.100.{i}"))[0] for i in range(1, 7)]
            quick_s = time.monotonic() - started
            # Then six guessers on that machine at once, again and again, while the facilitator
            # logs in from another machine.
            stop = asyncio.Event()
            flood: list[str] = []

            async def guesser(i: int) -> None:
                n = 0
                while not stop.is_set():
                    n += 1
                    flood.append((await log_in(proxy.port, "127.0.0.2", WRONG, forged=f"203.0.113.{i}{n}"))[0])

            guessers = [asyncio.create_task(guesser(i)) for i in range(6)]
            await asyncio.sleep(3)
            facilitator = await log_in(proxy.port, "127.0.0.3", PASSPHRASE)
            stop.set()
            await asyncio.gather(*guessers)
            return quick, quick_s, flood, facilitator

        quick, quick_s, flood, facilitator = asyncrun.run(scenario())
    finally:
        proxy.stop()
        server.stop()
    wrong, too_many = tr("Wrong passphrase."), "too soon"
    # Six quick tries: checked only as often as the slow-down allows one address in that time
    # (before: each forged address counted as a new client, and all six were checked).
    allowed = allowed_checks(quick_s)
    assert quick[0] == wrong and quick.count(wrong) <= allowed < 6 and too_many in quick, (quick, quick_s)
    assert flood.count(wrong) <= allowed_checks(quick_s + 10) and too_many in flood, flood
    assert facilitator[0] == "ok", facilitator
    assert facilitator[1] < 5, f"the facilitator's login waited {facilitator[1]:.1f} s behind the guessers"


def allowed_checks(seconds: float) -> int:
    """How many wrong passphrases one address can have checked within ``seconds``."""
    checks, spent = 1, 0.0
    while spent + min(auth.MAX_DELAY_S, 0.5 * 2 ** (checks - 1)) <= seconds:
        spent += min(auth.MAX_DELAY_S, 0.5 * 2 ** (checks - 1))
        checks += 1
    return checks
