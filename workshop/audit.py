"""The audit log as the facilitation team reads it: each action in words of their language and of
the workshop's kind, what it concerns by name (a measure's or goal's title, a link's name) rather
than by id, phases and yes/no in words. Pure: the entries (``services.audit_log``) and the names
(``services.audit_names``) come in, a table goes out. What is stored stays as it was written."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime

import pandas as pd

from . import i18n, methods, paper
from .errors import N_
from .model import MEASURE_STATUS_LABELS, PHASE_LABELS, MeasureStatus, Method, Phase, WorkshopKind
from .vocabulary import pick

Gettext = Callable[[str], str]

# action -> its words; a pair where a Planungswerkstatt and an Integrationskonferenz say it differently.
ACTIONS: dict[str, str | tuple[str, str]] = {
    "create_workshop": N_("Workshop created"),
    "import_vision": (N_("Guiding vision imported"), N_("Theme imported")),
    "vision_text": (N_("Guiding vision edited"), N_("Theme edited")),
    "set_privacy": N_("Privacy settings changed"),
    "groups": N_("Working groups changed"),
    "add_goal": (N_("Goal added"), N_("Guiding question added")),
    "edit_goal": (N_("Goal edited"), N_("Guiding question edited")),
    "remove_goal": (N_("Goal removed"), N_("Guiding question removed")),
    "move_goal": (N_("Goal moved in the order"), N_("Guiding question moved in the order")),
    "phase": N_("Phase changed"),
    "timer": N_("Timer set"),
    "rules": N_("Voting rules changed"),
    "reveal_results": N_("Results shown to everyone"),
    "wall_view": N_("Projector view changed"),
    "add_measure": (N_("Measure proposed"), N_("Recommendation proposed")),
    "edit_measure": (N_("Measure edited"), N_("Recommendation edited")),
    "hide": (N_("Measure hidden"), N_("Recommendation hidden")),
    "unhide": (N_("Measure shown again"), N_("Recommendation shown again")),
    "move": (N_("Measure moved to another goal"), N_("Recommendation moved to another guiding question")),
    "status": (N_("Status of a measure changed"), N_("Status of a recommendation changed")),
    "merge": N_("Duplicates merged"),
    "unmerge": N_("Merge undone"),
    "measure_language": (N_("Language of a measure changed"), N_("Language of a recommendation changed")),
    "translate": N_("Translation saved"),
    "remove_translation": N_("Translation removed"),
    "review_translation": N_("Translation checked"),
    "mediator_translate": N_("Translation saved by a language mediator"),
    "engine_translations": N_("Machine translations made"),
    "show_machine_translations": N_("Machine translations shown"),
    "mediator_link": N_("Link for a language mediator created"),
    "mediator_link_revoked": N_("Link for a language mediator revoked"),
    "cards": N_("Voting cards printed"),
    "revoke_card": N_("Voting card revoked"),
    "paper_sheets": N_("Paper ballots printed"),
    "entry_link": N_("Entry link for paper ballots created"),
    "entry_link_revoked": N_("Entry link for paper ballots revoked"),
    "paper_double": N_("Double entry of paper ballots"),
    "paper_closed": N_("Entry of paper ballots ended"),
    "wall_paper": N_("Count of paper ballots on the projector"),
    "paper_entered": N_("Paper ballot entered"),
    "paper_corrected": N_("Paper ballot corrected"),
    "paper_decided": N_("Paper ballot decided (its two entries differed)"),
    "restore_altered": N_("Restored from a changed backup file"),
}
WHEN = N_("When")
# The table's columns: each entry's field and its header.
COLUMNS = (
    ("logged_at", WHEN),
    ("action", N_("Action")),
    ("subject", N_("Concerns")),
    ("value_before", N_("Before")),
    ("value_after", N_("After")),
)


# The voting rules' fields (``VotingRules.to_dict``) by the set-up form's labels.
RULE_LABELS: dict[str, str | tuple[str, str]] = {
    "method": N_("Method"),
    "dots_per_person": N_("Dots per person"),
    "max_per_measure": (N_("Maximum dots per measure"), N_("Maximum dots per recommendation")),
    "goal_budget": (N_("Dot budget per goal (0 = none)"), N_("Dot budget per guiding question (0 = none)")),
    "approval_limit": N_("Approval limit (0 = none)"),
    "criteria": N_("Rating criteria and their weights"),
    "shortlist_size": N_("Shortlist size for ranking"),
    "shortlist": N_("Shortlist"),
    "cards_required": N_("Voting cards required (single-use codes, printed in the console)"),
}


def _say(words: str | tuple[str, str], kind: WorkshopKind | str, _: Gettext) -> str:
    """A msgid, or a (Planungswerkstatt, Integrationskonferenz) pair of them, in the reader's words."""
    return _(pick(kind, *words) if isinstance(words, tuple) else words)


def _yes_no(value: bool, _: Gettext) -> str:
    return _(N_("yes")) if value else _(N_("no"))


def _rule(key: str, value: object, kind: WorkshopKind | str, names: Mapping[str, str], _: Gettext) -> str:
    """One field of the voting rules in words: "Dots per person: 5"."""
    said = _say(RULE_LABELS[key], kind, _) if key in RULE_LABELS else key
    if key == "method" and isinstance(value, str) and value in {str(m) for m in Method}:
        shown = _(methods.of(value).label)
    elif key == "criteria" and isinstance(value, list):
        shown = ", ".join(f"{_(c.get('label', ''))} ×{c.get('weight')}" for c in value if isinstance(c, dict))
    elif key == "shortlist" and isinstance(value, list):
        shown = "; ".join(names.get(str(m), str(m)) for m in value)
    elif isinstance(value, bool):
        shown = _yes_no(value, _)
    elif value is None:
        shown = "0"
    else:
        shown = str(value)
    return f"{said}: {shown}"


def _rules_change(before: str, after: str, kind, names, _: Gettext) -> tuple[str, str] | None:
    """The fields of the voting rules that changed, before and after, in words; None where the
    values are not two rule sets."""
    try:
        old, new = json.loads(before), json.loads(after)
    except ValueError:
        return None
    if not isinstance(old, dict) or not isinstance(new, dict):
        return None
    changed = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
    return (
        "; ".join(_rule(k, old.get(k), kind, names, _) for k in changed),
        "; ".join(_rule(k, new.get(k), kind, names, _) for k in changed),
    )


def action_label(action: str, kind: WorkshopKind | str, _: Gettext) -> str:
    """The action in words; an action this version does not know (a newer backup) as written."""
    return _say(ACTIONS[action], kind, _) if action in ACTIONS else action


# Values logged by what they stand for: the projector's two views that are no goal.
WALL_VIEWS = {"": N_("Ranking overall"), "matrix": N_("Rating matrix")}
KINDS = {"vision": N_("Planungswerkstatt"), "conference": N_("Integrationskonferenz")}
# The keys of logged structures (a paper entry, an import, a removed goal) in words; a pair where
# the workshop's kind says it differently.
KEY_LABELS: dict[str, str | tuple[str, str]] = {
    "kind": N_("Kind of workshop"),
    "goals": (N_("Goals"), N_("Guiding questions")),
    "measures": (N_("Measures"), N_("Recommendations")),
    "rules": N_("Voting rules"),
    "title": N_("Title"),
    "description": N_("Description"),
    "by": N_("Entered by"),
    "entry": N_("Entry"),
    "marks": N_("Marks"),
    "invalid": N_("Invalid"),
    "pick": N_("Decision"),
    "match": N_("Both entries agree"),
    "moved": (N_("Measures moved"), N_("Recommendations moved")),
    "to": (N_("To goal"), N_("To guiding question")),
}
# Actions whose value is a language's code.
LANGUAGE_VALUES = {"mediator_link", "mediator_link_revoked", "measure_language"}


def _value(action: str, text: str, names: Mapping[str, str], kind: WorkshopKind | str, _: Gettext) -> str:
    """A logged value in words: a phase, a status, the projector's view, yes/no, an id by its
    name; a structure (a paper entry, what was printed) as "key: value" with ids by name; anything
    else as stored."""
    if text in ("true", "false"):
        return _yes_no(text == "true", _)
    if action == "phase" and text in {str(p) for p in Phase}:
        return _(PHASE_LABELS[Phase(text)])
    if action == "status" and text in {str(s) for s in MeasureStatus}:
        return _(MEASURE_STATUS_LABELS[MeasureStatus(text)])
    if action == "wall_view" and text in WALL_VIEWS:
        return _(WALL_VIEWS[text])
    if action in LANGUAGE_VALUES and text in i18n.LANGUAGES:
        return i18n.LANGUAGES[text]
    if action == "timer" and text:
        try:  # when the phase's timer runs out
            return datetime.fromisoformat(text).strftime("%H:%M")
        except ValueError:
            return text
    if text in names:
        return names[text]
    if text[:1] in "[{":
        try:
            found = json.loads(text)
        except ValueError:
            return text
        if isinstance(found, dict) and set(found) == {"generated"}:
            return str(found["generated"])  # how many cards or sheets were printed
        return _plain(found, names, kind, _)
    return text


def _plain(value: object, names: Mapping[str, str], kind: WorkshopKind | str, _: Gettext) -> str:
    """A logged structure without JSON's braces and quotes, its keys and ids by name, empty parts
    left out."""
    if isinstance(value, dict):
        parts = []
        for k, v in value.items():
            if v in (None, "", [], {}) or not (shown := _plain(v, names, kind, _)):
                continue
            said = _say(KEY_LABELS[str(k)], kind, _) if str(k) in KEY_LABELS else names.get(str(k), k)
            parts.append(f"{said}: {shown}")
        return "; ".join(parts)
    if isinstance(value, list):
        return ", ".join(shown for v in value if (shown := _plain(v, names, kind, _)))
    if isinstance(value, bool):
        return _yes_no(value, _)
    if value == paper.FACILITATION:
        return _(N_("Facilitation team"))
    if isinstance(value, str) and value in KINDS:
        return _(KINDS[value])
    return names.get(str(value), str(value))


def _subject(subject: str, names: Mapping[str, str]) -> str:
    """Ids by name: "measure id:lang" -> "its title: Türkçe"; a sheet's number or a title as is."""
    if subject in names:
        return names[subject]
    parts = subject.split(":")
    if len(parts) > 1 and any(p in names or p in i18n.LANGUAGES for p in parts):
        return ": ".join(names.get(p) or i18n.LANGUAGES.get(p) or p for p in parts)
    return subject


def readable(entries: pd.DataFrame, names: Mapping[str, str], kind: WorkshopKind | str, _: Gettext) -> pd.DataFrame:
    """The audit log's entries (``logged_at, action, subject, value_before, value_after``) with
    translated headers, newest first."""
    actions = list(entries["action"])
    raw_before = [str(v or "") for v in entries["value_before"]]
    raw_after = [str(v or "") for v in entries["value_after"]]
    before = [_value(a, v, names, kind, _) for a, v in zip(actions, raw_before, strict=True)]
    after = [_value(a, v, names, kind, _) for a, v in zip(actions, raw_after, strict=True)]
    for i, action in enumerate(actions):
        if action == "rules" and (change := _rules_change(raw_before[i], raw_after[i], kind, names, _)):
            before[i], after[i] = change  # only what changed, by the set-up form's labels
    cells = {
        "logged_at": entries["logged_at"].reset_index(drop=True),
        "action": [action_label(a, kind, _) for a in actions],
        "subject": [_subject(str(s or ""), names) for s in entries["subject"]],
        "value_before": before,
        "value_after": after,
    }
    out = pd.DataFrame({_(header): cells[field] for field, header in COLUMNS})
    return out.iloc[::-1].reset_index(drop=True)
