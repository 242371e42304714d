"""Read models: aggregate queries returning DataFrames for pages and charts."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from . import i18n, methods, scoring
from .model import Made, Measure, Method, Translation, Workshop
from .queries import tallies
from .store import Database
from .translation import MAIN_LANGUAGE, Reading, reading


def measures_frame(db: Database, workshop_id: str, *, include_hidden: bool = False) -> pd.DataFrame:
    """The rankable measures with their goal and working group, original language and German
    translation (``LANGUAGE_COLUMNS``)."""
    hidden = "" if include_hidden else "AND NOT m.hidden"
    return db.df(
        "SELECT m.id, m.goal_id, g.position AS goal_position, g.title AS goal_title, m.title, m.description, "
        "m.responsible, m.target_group, m.timeframe, m.cost, m.status, m.hidden, m.seq, "
        "coalesce(gr.name, '') AS group_name, m.lang, coalesce(t.title, '') AS german_title, "
        "coalesce(t.description, '') AS german_description, coalesce(t.made, '') AS german_made, "
        "coalesce(t.reviewed, false) AS german_reviewed "
        "FROM measures m JOIN goals g ON g.id = m.goal_id LEFT JOIN groups gr ON gr.id = m.group_id "
        "LEFT JOIN translations t ON t.measure_id = m.id AND t.lang = $1 AND NOT t.stale "
        f"WHERE m.workshop_id = $2 AND m.merged_into IS NULL {hidden} ORDER BY g.position, m.seq",
        [MAIN_LANGUAGE, workshop_id],
    )


# A measure's original language ('' = not known: German) and its translation to German, the
# language of the exports and the report for the district assembly ('' where there is none; the
# translation's ``made`` and ``reviewed``: model.Translation).
LANGUAGE_COLUMNS = ("lang", "german_title", "german_description", "german_made", "german_reviewed")


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def german_translation(row: Mapping) -> Translation | None:
    """The German translation in a row of ``measures_frame`` or ``ranking`` (None: there is none)."""
    made = _text(row.get("german_made"))
    if not made:
        return None
    title, description = _text(row.get("german_title")), _text(row.get("german_description"))
    return Translation(
        _text(row.get("measure_id")), MAIN_LANGUAGE, title, description, Made(made), bool(row.get("german_reviewed"))
    )


def in_german(row: Mapping) -> Reading:
    """A row of ``ranking`` as the exports and the report show it to German readers: the German
    translation where the original is in another language, also the engine's (``Reading.machine``
    marks it until a person reviewed it), else the original (``missing`` where it is not German)."""
    measure = Measure("", "", "", _text(row.get("title")), _text(row.get("description")), lang=_text(row.get("lang")))
    found = german_translation(row)
    return reading(measure, {MAIN_LANGUAGE: found} if found else None, MAIN_LANGUAGE, machine=True)


def for_reader(
    ranked: pd.DataFrame, translations: Mapping[str, Mapping[str, Translation]], lang: str, *, machine: bool = False
) -> pd.DataFrame:
    """A ranking (or ``measures_frame``) as a reader of ``lang`` sees it: ``title`` and
    ``description`` in their language where a translation may be shown (``translation.reading``;
    ``machine``: also the engine's), ``original`` the original title where the shown one is a
    translation ("" elsewhere), and ``reading`` what the page needs for its note ("Translated
    from: Türkçe"; ``translation.note``). ``translations``: ``services.list_translations``."""
    if ranked.empty or "lang" not in ranked:
        return ranked
    key = "measure_id" if "measure_id" in ranked else "id"
    readings = [
        reading(
            Measure(row[key], "", "", _text(row["title"]), _text(row.get("description")), lang=_text(row["lang"])),
            translations.get(row[key]),
            lang,
            machine=machine,
        )
        for row in ranked.to_dict("records")
    ]
    out = ranked.copy()
    out["title"] = [r.title for r in readings]
    out["description"] = [r.description for r in readings]
    out["original"] = [t if r.translated else "" for r, t in zip(readings, ranked["title"], strict=True)]
    out["reading"] = readings
    return out


_VOTES_SQL = """
    SELECT v.ballot_id, v.measure_id, v.criterion, v.value{channel}
    FROM votes v JOIN ballots b ON b.id = v.ballot_id
    WHERE b.workshop_id = $1 AND b.method = $2
"""


def votes_frame(db: Database, workshop_id: str, method: Method | str, *, channel: bool = False) -> pd.DataFrame:
    """The vote rows of a method; ``channel`` adds ``paper`` (the ballot was entered from a paper
    sheet), a boolean column so that a million rows stay small."""
    extra = ", b.channel = 'paper' AS paper" if channel else ""
    return db.df(_VOTES_SQL.format(channel=extra), [workshop_id, str(Method(method))])


# The aggregates of scoring.aggregate: on PostgreSQL from the tallies kept with the votes (a few
# hundred rows whatever the number of votes), on DuckDB from the votes (queries.tallies says why).
# Voters of a rated measure are its leading rows (one per ballot and measure, store.MARK_LEADS).
CELL_COLUMNS = ["measure_id", "criterion", "n", "total", "points", "positive", "leads"]


def _cells(db: Database, workshop_id: str, method: Method, counted: list[str]) -> pd.DataFrame:
    """The cells of the measures ``counted`` (their number is a ranking's list length).

    From the tallies: a ranking's places are closed up over the counted measures (scoring.aggregate). A ballot whose
    measures are all counted has the places the tallies summed (``place_sum``), so its votes earn
    ``n_list - place`` each: ``n * n_list - place_sum``. Only ballots that also named a measure
    not counted (hidden or off the shortlist after they were cast) are read vote by vote, and the
    tallies of their votes are replaced by their exact points."""
    if not tallies.kept(db):
        cells = tallies.cells_from_votes(db, workshop_id, str(method), counted, places=methods.of(method).places)
        return cells.astype({"n": int, "total": float, "points": float})[CELL_COLUMNS]
    with db.snapshot() as cur:  # the tallies and the ballots read one by one: one moment
        return _cells_from_tallies(cur, workshop_id, method, counted)


def _cells_from_tallies(cur, workshop_id: str, method: Method, counted: list[str]) -> pd.DataFrame:
    tallied = tallies.cells(cur, workshop_id, str(method))
    counted_set = set(counted)
    cells = tallied[tallied["measure_id"].isin(counted_set)].copy()
    cells = cells.astype({"n": int, "total": float, "positive": int, "leads": int, "place_sum": float})
    if not methods.of(method).places:
        return cells.assign(points=0.0)[CELL_COLUMNS].reset_index(drop=True)
    n_list = len(counted)
    cells["points"] = cells["n"] * n_list - cells["place_sum"]
    outside = sorted(set(tallied["measure_id"]) - counted_set)
    if outside:
        votes = tallies.votes_of_ballots_naming(cur, str(method), outside)
        votes = votes.sort_values(["ballot_id", "criterion", "value", "measure_id"], kind="stable")
        own = votes.assign(place=votes.groupby(["ballot_id", "criterion"]).cumcount() + 1)
        inside = votes[votes["measure_id"].isin(counted_set)]
        inside = inside.assign(place=inside.groupby(["ballot_id", "criterion"]).cumcount() + 1)
        key = ["measure_id", "criterion"]
        tallied_part = own.groupby(key).agg(n=("value", "size"), place_sum=("place", "sum"))
        exact = (n_list - inside["place"]).clip(lower=0).groupby([inside["measure_id"], inside["criterion"]]).sum()
        fix = tallied_part.join(exact.rename("exact"), how="outer").fillna(0).reset_index()
        cells = cells.merge(fix, on=key, how="left", suffixes=("", "_dirty")).fillna(
            {"n_dirty": 0, "place_sum_dirty": 0, "exact": 0}
        )
        cells["points"] -= cells["n_dirty"] * n_list - cells["place_sum_dirty"]
        cells["points"] += cells["exact"]
    return cells[CELL_COLUMNS].reset_index(drop=True)


def ranking(db: Database, workshop: Workshop, method_key: str | None = None) -> pd.DataFrame:
    """The ranking of a workshop's measures by a scoring method (default: the workshop's own), with
    their details (``DETAILS``), original language and German translation (``LANGUAGE_COLUMNS``)."""
    key = method_key or scoring.METHOD_FOR_BALLOTS[workshop.rules.method]
    method = scoring.METHODS[key].ballot_method
    voting = methods.of(method)
    measures = measures_frame(db, workshop.id)
    if voting.uses_shortlist and workshop.rules.shortlist:
        measures = measures[measures["id"].isin(workshop.rules.shortlist)]
    # The tallies (a million votes → a few hundred rows); pandas scores and orders.
    cells = _cells(db, workshop.id, method, [str(i) for i in measures["id"]])
    voters = scoring.voters_from_cells(cells, rated=voting.per_criterion)
    ranked = scoring.rank_aggregated(key, cells, voters, measures, workshop.rules.criteria)
    info = measures[["id", "goal_title", "goal_position", "group_name", *DETAILS, "status", *LANGUAGE_COLUMNS]]
    merged = merged_titles(db, workshop.id)
    info = info.assign(merged=[merged.get(i, "") for i in info["id"]])
    return ranked.merge(info, left_on="measure_id", right_on="id", how="left").drop(columns="id")


# What a district assembly needs next to each measure (the proposal form's fields).
DETAILS = ("description", "responsible", "target_group", "timeframe", "cost")
MERGED_SEPARATOR = " · "


def merged_titles(db: Database, workshop_id: str) -> dict[str, str]:
    """Per measure, the titles of the proposals merged into it (in the order they were proposed),
    each written in another language than German with that language's name: "Harburg için
    yabancılar meclisi (Türkçe) · Sprachcafé"."""
    names = i18n.available_languages()
    rows = db.fetchall(
        "SELECT merged_into, title, lang FROM measures WHERE workshop_id = $1 AND merged_into IS NOT NULL "
        "ORDER BY merged_into, seq",
        [workshop_id],
    )
    out: dict[str, list[str]] = {}
    for target, title, lang in rows:
        tagged = f"{title} ({names.get(lang, lang)})" if lang and lang != MAIN_LANGUAGE else title
        out.setdefault(target, []).append(tagged)
    return {target: MERGED_SEPARATOR.join(titles) for target, titles in out.items()}


def proposals_per_goal(db: Database, workshop_id: str) -> pd.DataFrame:
    return db.df(
        "SELECT g.title AS goal, g.position, count(m.id) AS proposals FROM goals g "
        "LEFT JOIN measures m ON m.goal_id = g.id AND NOT m.hidden AND m.merged_into IS NULL "
        "WHERE g.workshop_id = $1 GROUP BY g.title, g.position ORDER BY g.position",
        [workshop_id],
    )


def turnout_per_group(db: Database, workshop: Workshop) -> pd.DataFrame:
    """Devices joined and ballots submitted per working group (devices without a group: '').

    Phones and tablets only: a paper ballot has no working group and no device anyone joined with
    (its device only holds it), so it would pass for a group-less device that voted and lift the
    turnout of devices; ``counts`` and ``services.channel_counts`` give paper ballots beside it."""
    return db.df(
        "SELECT coalesce(gr.name, '') AS group_name, coalesce(gr.position, 1e9) AS position, "
        "count(DISTINCT d.id) AS devices, count(DISTINCT b.id) AS ballots "
        "FROM devices d LEFT JOIN groups gr ON gr.id = d.group_id "
        "LEFT JOIN ballots b ON b.device_id = d.id AND b.method = $1 "
        "WHERE d.workshop_id = $2 AND NOT d.paper GROUP BY 1, 2 ORDER BY 2",
        [str(workshop.rules.method), workshop.id],
    )


def counts(db: Database, workshop: Workshop) -> dict[str, int]:
    """Live counters for the console and the projector, in one query: ``devices`` joined (phones
    and tablets, not the devices paper ballots are stored for), ``measures``, ``ballots`` of the
    workshop's method, and these by channel: ``digital`` (phones and tablets), ``paper`` and the
    paper sheets counted as ``invalid`` (not among the ballots)."""
    row = db.fetchone(
        "SELECT (SELECT count(*) FROM devices WHERE workshop_id = $1 AND NOT paper), "
        "(SELECT count(*) FROM measures WHERE workshop_id = $1 AND NOT hidden AND merged_into IS NULL), "
        "(SELECT count(*) FROM ballots WHERE workshop_id = $1 AND method = $2 AND channel <> 'paper'), "
        "(SELECT count(*) FROM ballots WHERE workshop_id = $1 AND method = $2 AND channel = 'paper'), "
        "(SELECT count(*) FROM paper_sheets WHERE workshop_id = $1 AND method = $2 AND state = 'invalid')",
        [workshop.id, str(workshop.rules.method)],
    )
    digital, paper, invalid = int(row[2]), int(row[3]), int(row[4])
    return {
        "devices": int(row[0]),
        "measures": int(row[1]),
        "ballots": digital + paper,
        "digital": digital,
        "paper": paper,
        "invalid": invalid,
    }
