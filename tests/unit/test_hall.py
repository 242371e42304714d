"""The join link's address: the server's real port and base path, and a loopback-only server."""

from __future__ import annotations

import pytest

from workshop import hall


def test_the_lan_fallback_uses_the_servers_port_and_base_path(monkeypatch):
    monkeypatch.setattr(hall, "lan_addresses", lambda: ["192.168.4.20"])
    base = hall.base_url(None, "localhost:8600", port=8600, base_path="/pw/")
    assert base == "http://192.168.4.20:8600/pw"
    assert hall.join_url(base, "ABC234") == "http://192.168.4.20:8600/pw/?code=ABC234"
    assert hall.base_url(None, "127.0.0.1:9000", port=9000) == "http://192.168.4.20:9000"


def test_the_browsers_own_address_keeps_its_port_and_gets_the_base_path(monkeypatch):
    monkeypatch.setattr(hall, "lan_addresses", lambda: ["192.168.4.20"])
    assert hall.base_url(None, "10.0.0.5:8600", port=8600, base_path="pw") == "http://10.0.0.5:8600/pw"
    assert hall.base_url("https://werkstatt.example.org/harburg/", "10.0.0.5:8600", port=8600) == (
        "https://werkstatt.example.org/harburg"
    )


def test_without_a_lan_address_the_link_is_local_and_says_its_port(monkeypatch):
    monkeypatch.setattr(hall, "lan_addresses", lambda: [])
    base = hall.base_url(None, None, port=8765)
    assert base == "http://localhost:8765"
    assert hall.is_local(base)


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        (None, False),
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.4.20", False),
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
    ],
)
def test_a_server_bound_to_loopback_is_recognised(address, loopback):
    assert hall.listens_on_loopback(address) is loopback
