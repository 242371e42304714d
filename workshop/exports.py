"""Downloads for staff: the ranking as CSV and as an Excel workbook (pure functions, bytes out).

Inputs are the frames of ``views.ranking`` and ``views.votes_frame``; headers go through the
gettext callable ``_`` of the caller's language. Text typed by participants is written as text,
never as a spreadsheet formula.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import i18n, methods, scoring, translation, views, vocabulary
from .errors import N_
from .model import MEASURE_STATUS_LABELS, Criterion, Workshop, WorkshopKind

if TYPE_CHECKING:
    from .services.paper import Channels

Gettext = Callable[[str], str]


def identity(text: str) -> str:
    return text


# Ranks as a count reads them: equal scores share a place (scoring.shared_places); the order the
# tie-break gives is a column of its own.
_RANKING_COLUMNS = (
    ("place_overall", N_("Rank overall")),
    ("place_goal", N_("Rank in goal")),
    ("rank_overall", N_("Order after tie-break")),
    ("goal_title", N_("Goal")),
    ("title", N_("Title")),
    ("description", N_("Description")),
    ("group_name", N_("Working group")),
    ("score", N_("Score")),
    ("supporters", N_("Supporters")),
    ("responsible", N_("Responsible")),
    ("target_group", N_("Target group")),
    ("timeframe", N_("Timeframe")),
    ("cost", N_("Rough cost")),
    ("merged", N_("Merged into it")),
)
# Where a measure was written in another language than German (issue 20.5): after the columns
# above, so that no column a reader's sheet refers to moves.
_LANGUAGE_COLUMNS = (
    N_("Language of the original"),
    N_("German translation made"),  # how it was made: translation.made_label, or "not translated yet"
    N_("Title (German)"),
    N_("Description (German)"),
)
NOT_REVIEWED = N_("not reviewed")
NOT_TRANSLATED = N_("not translated yet")
# Where each ballot came from (issue 23): a column of the anonymised ballots, after the others.
CAST_ON = N_("Cast on")
CHANNEL_LABELS = {False: N_("Phone or tablet"), True: N_("Paper")}
# Fewer ballots than this on one channel, and the column would show how those few voted (the
# one person who asked for a paper ballot): it stays empty then, and the method sheet says why.
CHANNEL_MIN_BALLOTS = 5
CHANNEL_WITHHELD = N_(
    "Not shown per ballot: one channel brought too few ballots, and the column would show how they voted."
)
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def ranking_table(
    ranked: pd.DataFrame,
    _: Gettext = identity,
    criteria: Sequence[Criterion] = (),
    kind: WorkshopKind = WorkshopKind.VISION,
    *,
    method_key: str,
) -> pd.DataFrame:
    """The export columns of a ranking, best first, with translated headers and status labels
    (in the words of the workshop's kind: goal or guiding question; and of the method: supporters,
    raters or voters); for a ranking of ``views.ranking``, each original's language and German
    translation last."""
    ranked = ranked.sort_values("rank_overall", kind="mergesort").reset_index(drop=True)
    labels = {c.key: c.label for c in criteria}
    headers = {
        "place_goal": vocabulary.pick(kind, N_("Rank in goal"), N_("Rank in guiding question")),
        "goal_title": vocabulary.term(kind, "goal"),
        "supporters": scoring.METHODS[method_key].supporters_label,
    }
    out: dict[str, object] = {}
    for column, msgid in _RANKING_COLUMNS:
        out[_(headers.get(column, msgid))] = ranked[column] if column in ranked else ""
    for column in ranked.columns:
        if column.startswith("mean_"):
            key = column.removeprefix("mean_")
            out[_(N_("Mean {criterion}")).format(criterion=_(labels.get(key, key)))] = ranked[column]
    status = ranked["status"] if "status" in ranked else pd.Series("", index=ranked.index)
    out[_(N_("Status"))] = status.map(lambda s: _(MEASURE_STATUS_LABELS.get(s, s)) if s else "")
    if "lang" in ranked:  # a ranking from views.ranking: each measure's language and German translation
        rows = [_language_cells(row, _) for row in ranked.to_dict("records")]
        for i, msgid in enumerate(_LANGUAGE_COLUMNS):
            out[_(msgid)] = pd.Series([row[i] for row in rows], index=ranked.index, dtype=object)
    return pd.DataFrame(out, index=ranked.index)


def _language_cells(row: dict, _: Gettext) -> tuple[str, str, str, str]:
    """The original's language, how its German translation was made ("" for a German original;
    a machine translation no person reviewed says so), and the German title and description."""
    read = views.in_german(row)
    code = read.original_lang
    language = f"{i18n.LANGUAGES.get(code, code)} ({code})"
    if code == translation.MAIN_LANGUAGE:
        return language, "", "", ""
    if read.missing:
        return language, _(NOT_TRANSLATED), "", ""
    made = translation.made_label(views.german_translation(row), _)
    if read.machine:
        made = f"{made}, {_(NOT_REVIEWED)}"
    return language, made, read.title, read.description


def _defuse(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def ranking_csv(
    ranked: pd.DataFrame,
    *,
    sep: str = ",",
    _: Gettext = identity,
    criteria: Sequence[Criterion] = (),
    kind: WorkshopKind = WorkshopKind.VISION,
    method_key: str,
    channels: Channels | None = None,
) -> bytes:
    """The ranking as CSV in UTF-8 with BOM; ``sep=";"`` is the German-Excel variant with decimal commas.

    With ``channels`` (a vote that took paper ballots), the ballots by channel and the invalid
    paper ballots follow as the last columns, the same in every row: a CSV has no place for a
    note above its table, and columns a reader's sheet refers to do not move."""
    if sep not in (",", ";"):
        raise ValueError("sep must be ',' or ';'")
    table = ranking_table(ranked, _, criteria, kind, method_key=method_key)
    for header, count in _channel_facts(channels, _):
        table[header] = count
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = table[column].map(_defuse)
    text = table.to_csv(
        sep=sep, index=False, decimal="," if sep == ";" else ".", float_format="%.2f", lineterminator="\n"
    )
    return ("\ufeff" + text).encode("utf-8")


def anonymise_votes(votes: pd.DataFrame, rng: random.Random | None = None) -> pd.DataFrame:
    """Vote rows with each ballot renamed to a random number valid for this export only.

    Only ``ballot, measure_id, criterion, value`` are kept, and ``paper`` (the ballot's channel)
    where the rows carry it: no ballot id, device id or time, so two exports cannot be joined and
    no row points back to a device.
    """
    source = "ballot_id" if "ballot_id" in votes else "ballot"
    ballots = list(dict.fromkeys(votes[source]))
    numbers = list(range(1, len(ballots) + 1))
    (rng or random.SystemRandom()).shuffle(numbers)
    mapping = dict(zip(ballots, numbers, strict=True))
    out = pd.DataFrame(
        {
            "ballot": votes[source].map(mapping).astype("int64"),
            "measure_id": votes["measure_id"],
            "criterion": votes["criterion"],
            "value": votes["value"],
        }
    )
    if "paper" in votes:
        out["paper"] = votes["paper"].astype(bool)
    return out.sort_values(["ballot", "measure_id", "criterion"], kind="mergesort").reset_index(drop=True)


_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique worksheet name (≤ 31 characters, none of []:*?/\\); records it in ``taken``."""
    base = " ".join(_INVALID_SHEET_CHARS.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", name)).split())
    base = base[:31].strip().strip("'") or "Sheet"
    title, n = base, 2
    while title.casefold() in taken or title.casefold() == "history":  # "History" is reserved by Excel
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)].rstrip() + suffix
        n += 1
    taken.add(title.casefold())
    return title


def _cell_value(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _write_table(ws: Worksheet, frame: pd.DataFrame) -> None:
    """A table with a bold, frozen header row, an autofilter and widths that fit the content."""
    ws.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        ws.append([_cell_value(v) for v in row])
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # typed text stays text, even when it starts with "="
            elif isinstance(cell.value, float):
                cell.number_format = "0.00"
    _format(ws)
    if len(frame):
        ws.auto_filter.ref = ws.dimensions


def _shown_length(value: object) -> int:
    text = f"{value:.2f}" if isinstance(value, float) else str(value)
    return max(map(len, text.splitlines() or [""]))


def _format(ws: Worksheet, max_width: int = 60) -> None:
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for index, column in enumerate(ws.iter_cols(), start=1):
        longest = max((_shown_length(c.value) for c in column if c.value is not None), default=0)
        ws.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 8), max_width)
        if longest > max_width:
            for cell in column[1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def ranking_xlsx(
    workshop: Workshop,
    ranked: pd.DataFrame,
    votes_anonymised: pd.DataFrame,
    _: Gettext = identity,
    *,
    method_key: str | None = None,
    rng: random.Random | None = None,
    channels: Channels | None = None,
) -> bytes:
    """The ranking as an Excel workbook: summary, one sheet per goal, raw ballots, method.

    ``votes_anonymised`` are the vote rows of the ranked method (``views.votes_frame``); their
    ballot ids are replaced by random per-export numbers here in any case. With their channel
    (``views.votes_frame(..., channel=True)``) the raw ballots say where each was cast; ``channels``
    (``services.channel_counts``) puts the ballots per channel and the invalid paper ballots on
    the method sheet.
    """
    method = scoring.METHODS[method_key or scoring.METHOD_FOR_BALLOTS[workshop.rules.method]]
    criteria = workshop.rules.criteria
    ranked = ranked.sort_values("rank_overall", kind="mergesort").reset_index(drop=True)
    table = ranking_table(ranked, _, criteria, workshop.kind, method_key=method.key)
    taken: set[str] = set()
    wb = Workbook()
    summary = wb.active
    summary.title = sheet_title(_(N_("Summary")), taken)
    _write_table(summary, table)

    if len(ranked):
        goals = ranked.assign(_position=ranked.get("goal_position", 0)).groupby("goal_id", sort=False)
        for _goal_id, part in sorted(goals, key=lambda item: (item[1]["_position"].iloc[0], item[1].index[0])):
            title = part["goal_title"].iloc[0] if "goal_title" in part else ""
            position = part["_position"].iloc[0]
            name = f"{position} {title}" if "goal_position" in ranked else str(title)
            sheet = wb.create_sheet(sheet_title(name, taken))
            _write_table(sheet, table.loc[part.sort_values("rank_goal").index])

    anon = anonymise_votes(votes_anonymised, rng)
    raw, withheld = _ballot_rows(anon, ranked, workshop, method, _)
    _write_table(wb.create_sheet(sheet_title(_(N_("Ballots (anonymised)")), taken)), raw)

    about = pd.DataFrame(
        [
            (_(N_("Workshop")), workshop.title),
            (_(N_("Date")), workshop.date.isoformat() if workshop.date else ""),
            (_(N_("Venue")), workshop.place),
            (_(N_("Scoring method")), _(method.label)),
            (_(N_("How the score is computed")), _(method.explain(workshop.kind))),
            (_(N_("Tie-break rule")), _(method.tie_break(workshop.kind))),
            (_(N_("Ballots")), channels.valid if channels is not None else int(anon["ballot"].nunique())),
            *_channel_facts(channels, _),
            *([(_(CAST_ON), _(CHANNEL_WITHHELD))] if withheld else []),
            (_(vocabulary.term(workshop.kind, "measures_ranked")), len(ranked)),
        ],
        columns=[_(N_("Item")), _(N_("Value"))],
    )
    _write_table(wb.create_sheet(sheet_title(_(N_("Method")), taken)), about)

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _ballot_rows(
    anon: pd.DataFrame, ranked: pd.DataFrame, workshop: Workshop, method: scoring.ScoringMethod, _: Gettext
) -> tuple[pd.DataFrame, bool]:
    """The sheet of anonymised ballots in the ranking's order, and whether their channel is
    withheld (``CHANNEL_MIN_BALLOTS``)."""
    titles = dict(zip(ranked["measure_id"], ranked["title"], strict=True))
    order = {m: i for i, m in enumerate(ranked["measure_id"])}
    labels = {c.key: _(c.label) for c in workshop.rules.criteria}
    anon = anon.assign(_order=anon["measure_id"].map(order).fillna(len(order)))
    anon = anon.sort_values(["ballot", "_order", "criterion"], kind="mergesort")
    if len(anon) and (anon["value"] % 1 == 0).all():  # dots, places and ratings are whole numbers
        anon["value"] = anon["value"].astype("int64")
    raw = pd.DataFrame(
        {
            _(N_("Ballot")): anon["ballot"],
            _(vocabulary.term(workshop.kind, "measure")): anon["measure_id"].map(titles).fillna(""),
            _(N_("Criterion")): anon["criterion"].map(lambda k: labels.get(k, k)),
            _(methods.of(method.ballot_method).value_label): anon["value"],
            _(vocabulary.term(workshop.kind, "measure_id")): anon["measure_id"],
        }
    )
    withheld = False
    if "paper" in anon:
        per_channel = anon.drop_duplicates("ballot")["paper"].value_counts()
        withheld = len(per_channel) == 2 and int(per_channel.min()) < CHANNEL_MIN_BALLOTS
        raw[_(CAST_ON)] = None if withheld else anon["paper"].map(lambda on: _(CHANNEL_LABELS[bool(on)]))
    return raw, withheld


def _channel_facts(channels: Channels | None, _: Gettext) -> list[tuple[str, int]]:
    """The method sheet's ballots per channel and the paper ballots counted as invalid."""
    if channels is None:
        return []
    return [
        (_(N_("Ballots from phones and tablets")), channels.digital),
        (_(N_("Ballots on paper")), channels.paper),
        (_(N_("Invalid paper ballots")), channels.invalid),
    ]
