"""The store layer's statements: every SQL statement the services run, as a named function.

The services (``workshop.services``) keep the rules: permissions, validation, orchestration and
the audit log. What they read and write goes through the functions of this package, one module
per section of the services (``queries.measures`` for ``services.measures``, ...). A function
takes ``q``: the store itself (``store.Store``, for a read on its own) or the cursor that
``Store.write`` hands its function (a step of one transaction), and returns rows, a row or a
value, never a domain object: turning rows into ``Measure`` or ``Workshop`` is the services' job.

Both engines (DuckDB, PostgreSQL) run the same text where their dialects agree: positional ``$1``
parameters, ``unnest(CAST($n AS VARCHAR[]))`` for a list, ``ON CONFLICT`` upserts. Where they
differ, the function writes each engine's statement and picks it by ``engine(q)``; there is no
translator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
import pandas as pd

from workshop.store import Store


def engine(q: Any) -> str:
    """``duckdb`` or ``postgresql``: the engine behind a store or one of its cursors."""
    if isinstance(q, Store):
        return q.engine
    return "duckdb" if isinstance(q, duckdb.DuckDBPyConnection) else "postgresql"


def rows(q: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    if isinstance(q, Store):
        return q.fetchall(sql, list(params))
    return q.execute(sql, list(params)).fetchall()


def row(q: Any, sql: str, params: Sequence[Any] = ()) -> tuple | None:
    if isinstance(q, Store):
        return q.fetchone(sql, list(params))
    return q.execute(sql, list(params)).fetchone()


def value(q: Any, sql: str, params: Sequence[Any] = ()) -> Any:
    found = row(q, sql, params)
    return found[0] if found else None


def run(q: Any, sql: str, params: Sequence[Any] = ()) -> None:
    """A write: ``q`` is a transaction's cursor (a store writes in its own transaction)."""
    if isinstance(q, Store):
        q.write(lambda cur: cur.execute(sql, list(params)))
    else:
        q.execute(sql, list(params))


def run_many(q: Any, sql: str, params: Iterable[Sequence[Any]]) -> None:
    """The same write for each parameter row, inside the caller's transaction."""
    batch = [list(p) for p in params]
    if batch:
        q.executemany(sql, batch)


def frame(q: Any, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    if isinstance(q, Store):
        return q.df(sql, list(params))
    found = q.execute(sql, list(params)).fetchall()
    return pd.DataFrame(found, columns=[column[0] for column in q.description])
