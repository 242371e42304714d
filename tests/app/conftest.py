"""AppTest fixtures: the app on its own temporary database with a known passphrase."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from workshop import auth, services
from workshop.config import ROOT
from workshop.store import Database

PASSPHRASE = "apptest-passphrase"


@pytest.fixture(scope="session")
def app_db(tmp_path_factory) -> Database:
    """Point the app at a fresh file; the first run builds the demo there."""
    import streamlit as st

    from ui import common

    path = tmp_path_factory.mktemp("app") / "app.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setenv("PW_DB_PATH", str(path))
    mp.setenv("PW_PASSPHRASE", PASSPHRASE)
    st.cache_resource.clear()
    db = common.get_db()
    yield db
    st.cache_resource.clear()
    mp.undo()


@pytest.fixture(scope="session")
def facilitator(app_db) -> auth.Facilitator:
    return auth.login(app_db, PASSPHRASE)


@pytest.fixture
def app(app_db):
    def make(query: dict | None = None, *, facilitator=None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        if facilitator is not None:
            at.session_state["facilitator"] = facilitator
        return at

    return make


@pytest.fixture
def workshop(app_db):
    return services.current_workshop(app_db)
