"""Domain errors: each carries an English msgid and parameters, translated by the page."""

from __future__ import annotations

import string
from collections.abc import Callable


def N_(msgid: str) -> str:
    """Mark a string for extraction without translating it (translated later, per session)."""
    return msgid


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a sentence with a number (``ngettext``'s singular and plural) for extraction; a
    ``DomainError`` given one says it in the plural form its number needs (``_count``)."""
    return singular, plural


Msgid = str | tuple[str, str]


def _english_ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def ngettext_of(gettext: Callable[[str], str] | None) -> Callable[[str, str, int], str]:
    """The ``ngettext`` of the catalog ``gettext`` belongs to (``i18n.gettext_for`` hands out a
    catalog's bound method); English's rule for any other function, or none."""
    return getattr(getattr(gettext, "__self__", None), "ngettext", None) or _english_ngettext


class DomainError(Exception):
    """A refusal the user should see: bad input, a wrong phase, a missing permission.

    The message is an English msgid; ``message(_)`` translates it for the session's language.
    A sentence that names the Planungswerkstatt's words (goal, measure) has a second msgid in an
    Integrationskonferenz's words (guiding question, recommendation), ``conference=``;
    ``message(_, kind)`` says the one of the workshop's kind (workshop.vocabulary).
    """

    def __init__(self, msgid: Msgid, *, conference: Msgid | None = None, **params: object) -> None:
        self.msgid = msgid
        self.conference = conference
        self.params = params
        super().__init__(self.message())

    def message(self, gettext: Callable[[str], str] | None = None, kind: str | None = None) -> str:
        """The sentence in ``gettext``'s language (English without), in the words of ``kind``."""
        conference = kind == CONFERENCE
        msgid = self.conference if self.conference and conference else self.msgid
        params = self.params
        if conference and params.get("field") in CONFERENCE_FIELDS:  # "“Goal” needs at least 3 characters"
            params = {**params, "field": CONFERENCE_FIELDS[params["field"]]}
        return _render(msgid, params, gettext)


# The value of WorkshopKind.CONFERENCE (workshop.model imports this module, not the reverse).
CONFERENCE = "conference"

# A field named in a refusal, in an Integrationskonferenz's words (workshop.vocabulary's terms).
CONFERENCE_FIELDS = {N_("Goal"): N_("Guiding question"), N_("Guiding vision"): N_("Theme")}

# Parameters that are themselves msgids (a field's label, a phase's name) are translated too.
_TRANSLATED_PARAMS = frozenset({"field", "phase", "reason"})


def _count(singular: str, params: dict) -> int:
    """The number a plural sentence is about: its first parameter that holds a whole number
    ("“{field}” may have at most {max} characters (it has {length})": ``max``)."""
    for _literal, name, _spec, _conversion in string.Formatter().parse(singular):
        value = params.get(name) if name else None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0


def _render(msgid: Msgid, params: dict, gettext: Callable[[str], str] | None) -> str:
    """``msgid`` in ``gettext``'s language with its parameters filled in; a plural one (``NP_``)
    in the form its number needs, from the catalog that ``gettext`` belongs to."""
    tr = gettext or (lambda s: s)
    if isinstance(msgid, tuple):
        template = ngettext_of(gettext)(msgid[0], msgid[1], _count(msgid[0], params))
    else:
        template = tr(msgid)
    if not params:
        return template
    values = {k: tr(v) if k in _TRANSLATED_PARAMS and isinstance(v, str) else v for k, v in params.items()}
    return template.format(**values)


class ValidationError(DomainError):
    """Input that breaks a rule of the domain (length, range, unknown id)."""


class PermissionDenied(DomainError):
    """An action the role may not take in the current phase, or without the passphrase."""


class NotFound(DomainError):
    """An id or code that does not exist (or is not visible to the caller)."""


class StoreLocked(DomainError):
    """The database file is held by another process. Its message names the file (for the
    console and the command line); ``PUBLIC`` is what a participant's screen says instead."""

    PUBLIC = N_("The app cannot reach its database right now. Please tell the facilitation team.")


class StoreUnreachable(StoreLocked):
    """The database server (PostgreSQL) does not answer: at start, or gone mid-vote. It may come
    back by itself (a restart, the network), so the app keeps serving and says so on every screen."""


class StoreDamaged(DomainError):
    """The database file or its write-ahead log is damaged (a crash, a failing disk) and cannot be
    opened. Its message names the file and what to do; participants see ``StoreLocked.PUBLIC``."""


class StoreUnwritable(DomainError):
    """The database cannot be written (disk full, a read-only file or file system): nothing of the
    write was stored; the same write may succeed once the cause is gone."""


class ImportErrors(ValidationError):
    """A vision file with one or more problems, each with its line number."""

    def __init__(self, problems: list[tuple[int | None, Msgid, dict]]) -> None:
        super().__init__(N_("Problems in the file: {count}. Nothing was saved."), count=len(problems))
        self.problems = problems

    def lines(self, gettext: Callable[[str], str] | None = None) -> list[str]:
        out = []
        for line, msgid, params in self.problems:
            text = _render(msgid, params, gettext)
            if line is None:
                out.append(text)
            else:
                template = gettext(N_("Line {line}: {problem}")) if gettext else "Line {line}: {problem}"
                out.append(template.format(line=line, problem=text))
        return out
