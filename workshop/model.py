"""The workshop domain: phases, roles, the permission table, voting rules and typed ballots."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import date

from .errors import N_, NP_, PermissionDenied, ValidationError


class Phase(enum.StrEnum):
    SETUP = "setup"
    COLLECT = "collect"
    REVIEW = "review"
    VOTE = "vote"
    RESULTS = "results"


PHASE_ORDER: tuple[Phase, ...] = tuple(Phase)
PHASE_LABELS = {
    Phase.SETUP: N_("Setup"),
    Phase.COLLECT: N_("Collect proposals"),
    Phase.REVIEW: N_("Review"),
    Phase.VOTE: N_("Vote"),
    Phase.RESULTS: N_("Results"),
}


class Role(enum.StrEnum):
    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"


class Action(enum.StrEnum):
    JOIN = "join"
    VIEW_MEASURES = "view_measures"
    PROPOSE = "propose"
    EDIT_OWN = "edit_own"
    WITHDRAW_OWN = "withdraw_own"
    SUBMIT_BALLOT = "submit_ballot"
    VIEW_RESULTS = "view_results"
    EDIT_VISION = "edit_vision"
    EDIT_GROUPS = "edit_groups"
    SET_RULES = "set_rules"
    CHANGE_PHASE = "change_phase"
    MODERATE = "moderate"
    TRANSLATE = "translate"  # add, correct, check or remove a translation (never the original)
    REVEAL_RESULTS = "reveal_results"
    EXPORT = "export"
    DELETE_WORKSHOP = "delete_workshop"


P, F = Role.PARTICIPANT, Role.FACILITATOR
_A = Action
# Translations in every phase: a translation changes no ballot, and the report for the district
# assembly needs German versions of what was proposed in other languages, also after the vote.
_FACILITATOR_ALWAYS = {
    _A.CHANGE_PHASE,
    _A.VIEW_MEASURES,
    _A.VIEW_RESULTS,
    _A.EXPORT,
    _A.DELETE_WORKSHOP,
    _A.TRANSLATE,
}

# The one table of who may do what in which phase. The service layer checks it on every call.
PERMISSIONS: dict[Phase, dict[Role, frozenset[Action]]] = {
    Phase.SETUP: {
        P: frozenset({_A.JOIN}),
        F: frozenset(_FACILITATOR_ALWAYS | {_A.EDIT_VISION, _A.EDIT_GROUPS, _A.SET_RULES, _A.PROPOSE, _A.MODERATE}),
    },
    Phase.COLLECT: {
        P: frozenset({_A.JOIN, _A.VIEW_MEASURES, _A.PROPOSE, _A.EDIT_OWN, _A.WITHDRAW_OWN}),
        F: frozenset(_FACILITATOR_ALWAYS | {_A.EDIT_VISION, _A.EDIT_GROUPS, _A.SET_RULES, _A.PROPOSE, _A.MODERATE}),
    },
    Phase.REVIEW: {
        P: frozenset({_A.JOIN, _A.VIEW_MEASURES}),
        F: frozenset(_FACILITATOR_ALWAYS | {_A.EDIT_VISION, _A.EDIT_GROUPS, _A.SET_RULES, _A.PROPOSE, _A.MODERATE}),
    },
    Phase.VOTE: {
        P: frozenset({_A.JOIN, _A.VIEW_MEASURES, _A.SUBMIT_BALLOT}),
        # Rules, vision and measures are locked while voting runs: ballots refer to them.
        F: frozenset(_FACILITATOR_ALWAYS),
    },
    Phase.RESULTS: {
        P: frozenset({_A.JOIN, _A.VIEW_MEASURES, _A.VIEW_RESULTS}),
        F: frozenset(_FACILITATOR_ALWAYS | {_A.SET_RULES, _A.REVEAL_RESULTS}),
    },
}


def allowed(phase: Phase, role: Role, action: Action) -> bool:
    return action in PERMISSIONS[Phase(phase)][Role(role)]


def require(phase: Phase, role: Role, action: Action) -> None:
    """Refuse an action the table does not allow, with a message that names the phase."""
    if not allowed(phase, role, action):
        raise PermissionDenied(N_("This is not possible in the phase “{phase}”."), phase=PHASE_LABELS[Phase(phase)])


# --- text validation -------------------------------------------------------------------------

TITLE_MIN, TITLE_MAX = 3, 120
DESCRIPTION_MAX = 1000
SHORT_FIELD_MAX = 200
_ALLOWED_CONTROL = {"\n", "\t"}


def _has_control(text: str, allow_newlines: bool) -> bool:
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc" and not (allow_newlines and ch in _ALLOWED_CONTROL):
            return True
        if cat in ("Zl", "Zp") and not allow_newlines:  # line/paragraph separators break a one-line field
            return True
    return False


# Letters that show nothing: the Hangul fillers and the blank braille pattern.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def visible_length(text: str) -> int:
    """Characters that show something: not spaces, format characters (U+200B, U+202E, U+2060),
    combining marks on their own, or blank letters (U+3164). A minimum length counts these."""
    return sum(
        1
        for ch in text
        if unicodedata.category(ch) not in ("Zs", "Cf", "Mn", "Me", "Cc", "Zl", "Zp") and ch not in _BLANK_LETTERS
    )


def clean_text(
    value: object,
    *,
    field_label: str,
    min_len: int = 0,
    max_len: int = SHORT_FIELD_MAX,
    multiline: bool = False,
) -> str:
    """Validate one text field: a string, trimmed, within its length, no control characters.

    Text is stored as typed (only outer whitespace is trimmed and line breaks normalised);
    it is never interpreted as Markdown or HTML anywhere it is shown.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(N_("“{field}” must be text."), field=field_label)
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.strip()
    # The length first: a megabyte of text is refused without a character-by-character scan.
    if len(text) > max_len:
        raise ValidationError(
            NP_(
                "“{field}” may have at most {max} character (it has {length}).",
                "“{field}” may have at most {max} characters (it has {length}).",
            ),
            field=field_label,
            max=max_len,
            length=len(text),
        )
    if _has_control(text, allow_newlines=multiline):
        raise ValidationError(N_("“{field}” contains control characters."), field=field_label)
    if min_len and visible_length(text) < min_len:
        if min_len <= 1:
            raise ValidationError(N_("“{field}” must not be empty."), field=field_label)
        raise ValidationError(
            NP_("“{field}” needs at least {min} character.", "“{field}” needs at least {min} characters."),
            field=field_label,
            min=min_len,
        )
    return text


# A value no page sends (a list where a flag belongs, a string where a list belongs): a broken
# or forged request, refused as a whole rather than guessed at.
MALFORMED = N_("This submission is malformed; please reload the page.")


def clean_flag(value: object) -> bool:
    """A yes/no switch; the truthiness of "false" or 0.0 is not a decision anyone made."""
    if not isinstance(value, bool):
        raise ValidationError(MALFORMED)
    return value


# --- entities ---------------------------------------------------------------------------------


class WorkshopKind(enum.StrEnum):
    VISION = "vision"  # Leitbild with goals -> measures
    CONFERENCE = "conference"  # Integrationskonferenz: theme with guiding questions -> recommendations


class MeasureStatus(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    REJECTED = "rejected"


MEASURE_STATUS_LABELS = {
    MeasureStatus.NEW: N_("new"),
    MeasureStatus.OPEN: N_("open"),
    MeasureStatus.IN_PROGRESS: N_("in progress"),
    MeasureStatus.DONE: N_("implemented"),
    MeasureStatus.REJECTED: N_("rejected"),
}


@dataclass(frozen=True)
class Goal:
    id: str
    workshop_id: str
    position: int
    title: str
    description: str = ""


@dataclass(frozen=True)
class Group:
    id: str
    workshop_id: str
    position: int
    name: str


@dataclass(frozen=True)
class Measure:
    id: str
    workshop_id: str
    goal_id: str
    title: str
    description: str = ""
    responsible: str = ""
    target_group: str = ""
    timeframe: str = ""
    cost: str = ""
    group_id: str | None = None
    status: MeasureStatus = MeasureStatus.NEW
    hidden: bool = False
    merged_into: str | None = None
    seq: int = 0
    lang: str = ""  # the language it was written in (the author's screen language); "" = not known


class Made(enum.StrEnum):
    """Who made a translation of a measure."""

    AUTHOR = "author"  # the person who proposed it, while proposing or editing
    MEDIATOR = "mediator"  # a language mediator (Sprachmittler) at the translation desk
    ENGINE = "engine"  # the offline translation engine: a suggestion until a person reviews it
    FACILITATOR = "facilitator"  # the facilitation team, in moderation


@dataclass(frozen=True)
class Translation:
    """A measure's title and description in another language than its original, and how it was
    made; ``reviewed`` once a person (mediator or facilitator) checked it."""

    measure_id: str
    lang: str
    title: str
    description: str = ""
    made: Made = Made.MEDIATOR
    reviewed: bool = False
    stale: bool = False  # the original was edited after it: to be translated or checked again

    @property
    def by_machine(self) -> bool:
        """Made by the engine and not yet checked by a person."""
        return self.made == Made.ENGINE and not self.reviewed


@dataclass(frozen=True)
class MeasureInput:
    """What a person types for a measure; ``validated()`` returns a clean copy or raises."""

    title: str
    description: str = ""
    responsible: str = ""
    target_group: str = ""
    timeframe: str = ""
    cost: str = ""

    def validated(self) -> MeasureInput:
        return MeasureInput(
            title=clean_text(self.title, field_label=N_("Title"), min_len=TITLE_MIN, max_len=TITLE_MAX),
            description=clean_text(
                self.description, field_label=N_("Description"), max_len=DESCRIPTION_MAX, multiline=True
            ),
            responsible=clean_text(self.responsible, field_label=N_("Responsible")),
            target_group=clean_text(self.target_group, field_label=N_("Target group")),
            timeframe=clean_text(self.timeframe, field_label=N_("Timeframe")),
            cost=clean_text(self.cost, field_label=N_("Rough cost")),
        )


# --- voting rules ----------------------------------------------------------------------------


class Method(enum.StrEnum):
    DOTS = "dots"
    APPROVAL = "approval"
    RATING = "rating"
    RANKING = "ranking"


RATING_MIN, RATING_MAX = 1, 5


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: float = 1.0


DEFAULT_CRITERIA = (
    Criterion("impact", N_("Impact"), 1.0),
    Criterion("feasibility", N_("Feasibility"), 1.0),
)


@dataclass(frozen=True)
class VotingRules:
    method: Method = Method.DOTS
    dots_per_person: int = 10
    max_per_measure: int = 3
    goal_budget: int | None = None
    approval_limit: int | None = None
    criteria: tuple[Criterion, ...] = DEFAULT_CRITERIA
    shortlist_size: int = 5
    shortlist: tuple[str, ...] = ()
    cards_required: bool = False

    def validated(self) -> VotingRules:
        try:
            method = Method(self.method)
        except ValueError:
            raise ValidationError(N_("Unknown voting method.")) from None
        _int_in(self.dots_per_person, 1, 100, N_("Dots per person"))
        _int_in(self.max_per_measure, 1, 100, N_("Maximum dots per measure"))
        if self.max_per_measure > self.dots_per_person:
            raise ValidationError(
                N_("The maximum per measure cannot exceed the dots per person."),
                conference=N_("The maximum per recommendation cannot exceed the dots per person."),
            )
        if self.goal_budget is not None:
            _int_in(self.goal_budget, 1, 100, N_("Dot budget per goal"))
        if self.approval_limit is not None:
            _int_in(self.approval_limit, 1, 1000, N_("Approval limit"))
        _int_in(self.shortlist_size, 2, 50, N_("Shortlist size"))
        if not isinstance(self.criteria, tuple | list) or not all(isinstance(c, Criterion) for c in self.criteria):
            raise ValidationError(MALFORMED)
        if not isinstance(self.shortlist, tuple | list) or not all(isinstance(m, str) for m in self.shortlist):
            raise ValidationError(MALFORMED)
        if not self.criteria:
            raise ValidationError(N_("Rating needs at least one criterion."))
        criteria = []
        for c in self.criteria:
            key = clean_text(c.key, field_label=N_("Criterion"), min_len=1, max_len=60)
            label = clean_text(c.label, field_label=N_("Criterion"), min_len=1, max_len=60)
            if isinstance(c.weight, bool) or not (isinstance(c.weight, int | float) and 0 < float(c.weight) <= 100):
                raise ValidationError(N_("A criterion's weight must be a number above 0 and at most 100."))
            criteria.append(Criterion(key, label, c.weight))
        if len({c.key for c in criteria}) != len(criteria):
            raise ValidationError(N_("Each criterion needs its own name."))
        return VotingRules(
            method=method,
            dots_per_person=self.dots_per_person,
            max_per_measure=self.max_per_measure,
            goal_budget=self.goal_budget,
            approval_limit=self.approval_limit,
            criteria=tuple(criteria),
            shortlist_size=self.shortlist_size,
            shortlist=tuple(self.shortlist),
            cards_required=clean_flag(self.cards_required),
        )

    def to_dict(self) -> dict:
        return {
            "method": str(self.method),
            "dots_per_person": self.dots_per_person,
            "max_per_measure": self.max_per_measure,
            "goal_budget": self.goal_budget,
            "approval_limit": self.approval_limit,
            "criteria": [{"key": c.key, "label": c.label, "weight": c.weight} for c in self.criteria],
            "shortlist_size": self.shortlist_size,
            "shortlist": list(self.shortlist),
            "cards_required": bool(self.cards_required),
        }

    @classmethod
    def from_dict(cls, data: dict) -> VotingRules:
        crit = tuple(Criterion(c["key"], c["label"], float(c.get("weight", 1.0))) for c in data.get("criteria", []))
        return cls(
            method=Method(data.get("method", "dots")),
            dots_per_person=int(data.get("dots_per_person", 10)),
            max_per_measure=int(data.get("max_per_measure", 3)),
            goal_budget=data.get("goal_budget"),
            approval_limit=data.get("approval_limit"),
            criteria=crit or DEFAULT_CRITERIA,
            shortlist_size=int(data.get("shortlist_size", 5)),
            shortlist=tuple(data.get("shortlist", ())),
            cards_required=bool(data.get("cards_required", False)),
        )


def _int_in(value: object, lo: int, hi: int, label: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValidationError(N_("“{field}” must be a whole number from {min} to {max}."), field=label, min=lo, max=hi)


# --- typed ballots ---------------------------------------------------------------------------
# A ballot is validated against the rules and the measures open for voting (id -> goal id),
# then flattened to vote rows (measure_id, criterion, value) for the store and the scoring.

VoteRow = tuple[str, str, float]


def _known(measure_id: object, measures: dict[str, str]) -> str:
    if not isinstance(measure_id, str) or measure_id not in measures:
        raise ValidationError(
            N_("The ballot names a measure that is not open for voting."),
            conference=N_("The ballot names a recommendation that is not open for voting."),
        )
    return measure_id


@dataclass(frozen=True)
class Workshop:
    id: str
    title: str
    date: date | None
    place: str
    join_code: str
    kind: WorkshopKind = WorkshopKind.VISION
    vision_title: str = ""
    vision_description: str = ""
    phase: Phase = Phase.SETUP
    results_revealed: bool = False
    rules: VotingRules = VotingRules()
    previous_id: str | None = None
    phase_ends_at: object | None = None
    privacy_contact: str = ""
    retention_months: int = 6
    wall_view: str = ""  # what the projector shows once results are revealed (services.WALL_*)
    show_machine: bool = False  # participants see the engine's translations until a person checked them
    paper_double: bool = False  # two people enter each paper ballot; a mismatch waits for a decision
    paper_closed: bool = False  # paper entry ended after the vote (during the vote it is always open)
    wall_paper: bool = False  # the projector shows how many paper ballots are entered during the vote


# The ballot types live with their voting methods (workshop/methods/), which build on the types
# above; they are found here too, on first use (PEP 562), for code that knows them as model types.
_MOVED = {
    "DotBallot": "workshop.methods.dots",
    "ApprovalBallot": "workshop.methods.approval",
    "RatingBallot": "workshop.methods.rating",
    "RankingBallot": "workshop.methods.ranking",
}


def __getattr__(name: str):
    import importlib

    if name in _MOVED:
        return getattr(importlib.import_module(_MOVED[name]), name)
    if name == "Ballot":
        from workshop import methods

        return methods.Ballot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
