"""Vision files: the YAML format a facilitator imports (and the demo is built from).

Errors carry line numbers; a file with any problem is refused whole. See docs/vision-format.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from . import methods
from .errors import N_, DomainError, ImportErrors
from .model import MeasureInput, MeasureStatus, VotingRules, WorkshopKind, clean_text

MAX_FILE_BYTES = 1_000_000
# What is wrong and what to do: Excel saves "CSV" in Windows-1252 or UTF-16 unless told otherwise.
NOT_UTF8 = N_(
    "The file is not UTF-8 text. Save it again as UTF-8 (in Excel: “CSV UTF-8”; in a text editor: "
    "encoding UTF-8) and choose it once more."
)


class _AliasFound(yaml.MarkedYAMLError):
    """A YAML alias (``*name``): refused before it is expanded."""


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records the line of every mapping under the key ``__line__``, and refuses
    aliases: nested aliases expand a 443-byte file into gigabytes ("billion laughs"), and a vision
    file has no use for them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasFound(problem=str(event.anchor), problem_mark=event.start_mark)
        return super().compose_node(parent, index)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _scalar_text(value: object) -> object:
    """YAML reads ``2027`` or ``1.5`` as numbers; in a text field they are text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


@dataclass
class MeasureSpec:
    goal: int  # index into goals
    data: MeasureInput
    group: str | None = None
    status: str = "new"


@dataclass
class VisionFile:
    title: str
    description: str
    goals: list[tuple[str, str]]
    groups: list[str] = field(default_factory=list)
    workshop: dict[str, Any] = field(default_factory=dict)
    measures: list[MeasureSpec] = field(default_factory=list)
    rules: VotingRules | None = None
    demo: dict[str, Any] = field(default_factory=dict)


def parse(text: str | bytes) -> VisionFile:
    """Parse and validate a vision file; raises ImportErrors listing every problem with its line."""
    if not isinstance(text, str | bytes):
        raise ImportErrors([(None, NOT_UTF8, {})])
    if len(text) > MAX_FILE_BYTES:  # also as text: PyYAML reads a megabyte in seconds
        raise ImportErrors([(None, N_("The file is larger than {max} kB."), {"max": MAX_FILE_BYTES // 1000})])
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportErrors([(None, NOT_UTF8, {})]) from None
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except _AliasFound as exc:
        raise ImportErrors(
            [
                (
                    exc.problem_mark.line + 1,
                    N_("The file uses a YAML alias (*{name}); write the text out in full instead."),
                    {"name": exc.problem},
                )
            ]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and exc.problem_mark and exc.problem_mark.index >= len(text.rstrip()):
            mark = exc.context_mark  # e.g. an unclosed quote: name the line where it opens
        line = mark.line + 1 if mark else None
        raise ImportErrors([(line, N_("This is not valid YAML ({detail})."), {"detail": exc.problem or ""})]) from None
    except yaml.YAMLError:
        raise ImportErrors([(None, N_("This is not valid YAML."), {})]) from None
    except RecursionError:  # PyYAML composes nested lists and mappings recursively
        raise ImportErrors(
            [(None, N_("This is not valid YAML ({detail})."), {"detail": "nested too deeply"})]
        ) from None
    problems: list[tuple[int | None, str, dict]] = []
    if not isinstance(doc, dict):
        raise ImportErrors([(1, N_("The file must start with the key “vision:”."), {})])

    def text_field(obj: dict, key: str, label: str, line: int, **kw) -> str:
        try:
            return clean_text(obj.get(key, ""), field_label=label, **kw)
        except DomainError as exc:
            problems.append((line, exc.msgid, exc.params))
            return ""

    vision = doc.get("vision")
    if not isinstance(vision, dict):
        raise ImportErrors([(doc.get("__line__", 1), N_("The key “vision:” with a title and goals is missing."), {})])
    vline = vision["__line__"]
    title = text_field(vision, "title", N_("Guiding vision"), vline, min_len=3, max_len=200)
    description = text_field(vision, "description", N_("Description"), vline, max_len=2000, multiline=True)
    goals: list[tuple[str, str]] = []
    raw_goals = vision.get("goals")
    if not isinstance(raw_goals, list) or not raw_goals:
        problems.append((vline, N_("The vision needs a list “goals:” with at least one goal."), {}))
        raw_goals = []
    for item in raw_goals:
        if not isinstance(item, dict):
            problems.append((vline, N_("Each goal needs “title:” and may have “description:”."), {}))
            continue
        gl = item["__line__"]
        goals.append(
            (
                text_field(item, "title", N_("Goal"), gl, min_len=3, max_len=120),
                text_field(item, "description", N_("Short description"), gl, max_len=1000, multiline=True),
            )
        )
    titles = [g[0] for g in goals]
    if len(set(titles)) != len(titles):
        problems.append((vline, N_("Two goals have the same title."), {}))

    groups: list[str] = []
    raw_groups = doc.get("groups", [])
    if not isinstance(raw_groups, list):
        problems.append((doc["__line__"], N_("“groups:” must be a list of names."), {}))
        raw_groups = []
    for name in raw_groups:
        try:
            groups.append(clean_text(name, field_label=N_("Working group"), min_len=1, max_len=80))
        except DomainError as exc:
            problems.append((None, exc.msgid, exc.params))

    measures: list[MeasureSpec] = []
    raw_measures = doc.get("measures") or []
    if not isinstance(raw_measures, list):
        problems.append((doc["__line__"], N_("“measures:” must be a list."), {}))
        raw_measures = []
    for item in raw_measures:
        if not isinstance(item, dict):
            problems.append((None, N_("Each measure needs “goal:” and “title:”."), {}))
            continue
        ml = item["__line__"]
        goal_title = item.get("goal")
        if goal_title not in titles:
            problems.append((ml, N_("The goal “{goal}” is not in the vision."), {"goal": str(goal_title)}))
            continue
        group = item.get("group")
        if group is not None and group not in groups:
            problems.append((ml, N_("The working group “{name}” is not in “groups:”."), {"name": str(group)}))
            continue
        try:
            data = MeasureInput(
                **{
                    k: _scalar_text(item.get(k, ""))
                    for k in ("title", "description", "responsible", "target_group", "timeframe", "cost")
                }
            ).validated()
        except DomainError as exc:
            problems.append((ml, exc.msgid, exc.params))
            continue
        status = str(item.get("status", "new"))
        if status not in set(MeasureStatus):
            problems.append(
                (ml, N_("Unknown status “{status}” (allowed: {allowed})."), {"status": status, "allowed": _STATUSES})
            )
            continue
        measures.append(MeasureSpec(titles.index(goal_title), data, group, status))

    rules = None
    if "rules" in doc:
        raw = {k: v for k, v in doc["rules"].items() if k != "__line__"} if isinstance(doc["rules"], dict) else None
        try:
            if raw is None:
                raise ValueError
            if "criteria" in raw:
                raw["criteria"] = [{k: v for k, v in c.items() if k != "__line__"} for c in raw["criteria"]]
            rules = VotingRules.from_dict(raw).validated()
        except DomainError as exc:
            problems.append((doc["rules"]["__line__"], exc.msgid, exc.params))
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError):  # e.g. int(.inf)
            problems.append((None, N_("The voting rules in “rules:” are not valid."), {}))

    meta = doc.get("workshop", {}) or {}
    if meta and not isinstance(meta, dict):
        problems.append((doc["__line__"], N_("“workshop:” must have title, date and place."), {}))
        meta = {}
    if meta.get("date") is not None and not isinstance(meta.get("date"), date):
        problems.append((meta["__line__"], N_("The date must look like 2026-11-21."), {}))
    if "kind" in meta:
        kind = _KINDS.get(str(meta["kind"]).strip().casefold())
        if kind is None:
            problems.append((meta["__line__"], N_("“kind:” must be “vision” or “conference”."), {}))
        else:
            meta["kind"] = kind
    demo = doc.get("demo") or {}
    if not isinstance(demo, dict):
        problems.append((doc["__line__"], N_("“demo:” must be a mapping."), {}))
        demo = {}
    if problems:
        raise ImportErrors(problems)
    return VisionFile(
        title=title,
        description=description,
        goals=goals,
        groups=groups,
        workshop={k: v for k, v in meta.items() if k != "__line__"},
        measures=measures,
        rules=rules,
        demo={k: v for k, v in demo.items() if k != "__line__"},
    )


_STATUSES = ", ".join(MeasureStatus)
# The kind of workshop by its code or its German name.
_KINDS = {
    "vision": WorkshopKind.VISION,
    "planungswerkstatt": WorkshopKind.VISION,
    "conference": WorkshopKind.CONFERENCE,
    "integrationskonferenz": WorkshopKind.CONFERENCE,
}


def vision_args(spec: VisionFile) -> dict[str, Any]:
    """What a parsed file puts into a workshop, as the arguments of ``services.replace_vision``."""
    return {
        "title": spec.title,
        "description": spec.description,
        "goals": spec.goals,
        "groups": spec.groups or None,
        "rules": spec.rules,
        "kind": spec.workshop.get("kind"),
        "measures": [(m.goal, m.data, m.group, m.status) for m in spec.measures] or None,
    }


def summary(spec: VisionFile, gettext, ngettext) -> list[str]:
    """What an import will store besides the goals, one line each, for the preview."""
    _ = gettext
    lines = []
    if spec.workshop.get("kind") == WorkshopKind.CONFERENCE:
        lines.append(_("Kind: Integration conference (theme, guiding questions, recommendations)"))
    elif spec.workshop.get("kind") == WorkshopKind.VISION:
        lines.append(_("Kind: Planning workshop (guiding vision, goals, measures)"))
    if spec.groups:
        lines.append(_("Working groups: {names}").format(names=", ".join(spec.groups)))
    if spec.rules is not None:
        lines.append(_("Voting rules: {method}").format(method=_(methods.of(spec.rules.method).label)))
    if spec.measures:
        n = len(spec.measures)
        lines.append(ngettext("{n} measure (proposal)", "{n} measures (proposals)", n).format(n=n))
    return lines


_CSV_TITLE = {"goal", "title", "ziel", "titel", "themenfeld", "question", "leitfrage"}
_CSV_DESC = {"description", "beschreibung", "kurzbeschreibung"}


def parse_csv(data: bytes, *, title: str = "") -> VisionFile:
    """Goals from a CSV file: a header row with a title column (goal/Ziel/title) and an optional
    description column; comma or semicolon separated, UTF-8. Problems name their line."""
    import csv
    import io

    if not isinstance(data, bytes):
        raise ImportErrors([(None, NOT_UTF8, {})])
    if len(data) > MAX_FILE_BYTES:
        raise ImportErrors([(None, N_("The file is larger than {max} kB."), {"max": MAX_FILE_BYTES // 1000})])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportErrors([(None, NOT_UTF8, {})]) from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error:  # a field beyond the csv module's limit of 128 kB
        raise ImportErrors([(reader.line_num, N_("This is not valid CSV."), {})]) from None
    if not rows:
        raise ImportErrors([(1, N_("The file is empty."), {})])
    header = [h.strip().casefold() for h in rows[0]]
    t_col = next((i for i, h in enumerate(header) if h in _CSV_TITLE), None)
    d_col = next((i for i, h in enumerate(header) if h in _CSV_DESC), None)
    if t_col is None:
        raise ImportErrors([(1, N_("The first line needs a column “goal” (or “Ziel”)."), {})])
    problems: list[tuple[int | None, str, dict]] = []
    goals: list[tuple[str, str]] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            goal = clean_text(row[t_col] if t_col < len(row) else "", field_label=N_("Goal"), min_len=3, max_len=120)
            desc = clean_text(
                row[d_col] if d_col is not None and d_col < len(row) else "",
                field_label=N_("Short description"),
                max_len=1000,
                multiline=True,
            )
        except DomainError as exc:
            problems.append((line, exc.msgid, exc.params))
            continue
        goals.append((goal, desc))
    if not goals and not problems:
        problems.append((None, N_("The file has no goals."), {}))
    titles = [g for g, _d in goals]
    if len(set(titles)) != len(titles):
        problems.append((None, N_("Two goals have the same title."), {}))
    if problems:
        raise ImportErrors(problems)
    return VisionFile(title=title, description="", goals=goals)
