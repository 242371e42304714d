"""Domain errors: each carries an English msgid and parameters, translated by the page."""

from __future__ import annotations

from collections.abc import Callable


def N_(msgid: str) -> str:
    """Mark a string for extraction without translating it (translated later, per session)."""
    return msgid


class DomainError(Exception):
    """A refusal the user should see: bad input, a wrong phase, a missing permission.

    The message is an English msgid; ``message(_)`` translates it for the session's language.
    A sentence that names the Planungswerkstatt's words (goal, measure) has a second msgid in an
    Integrationskonferenz's words (guiding question, recommendation), ``conference=``;
    ``message(_, kind)`` says the one of the workshop's kind (workshop.vocabulary).
    """

    def __init__(self, msgid: str, *, conference: str | None = None, **params: object) -> None:
        super().__init__(msgid.format(**params) if params else msgid)
        self.msgid = msgid
        self.conference = conference
        self.params = params

    def message(self, gettext: Callable[[str], str] | None = None, kind: str | None = None) -> str:
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


def _render(msgid: str, params: dict, gettext: Callable[[str], str] | None) -> str:
    tr = gettext or (lambda s: s)
    if not params:
        return tr(msgid)
    values = {k: tr(v) if k in _TRANSLATED_PARAMS and isinstance(v, str) else v for k, v in params.items()}
    return tr(msgid).format(**values)


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


class StoreDamaged(DomainError):
    """The database file or its write-ahead log is damaged (a crash, a failing disk) and cannot be
    opened. Its message names the file and what to do; participants see ``StoreLocked.PUBLIC``."""


class StoreUnwritable(DomainError):
    """The database cannot be written (disk full, a read-only file or file system): nothing of the
    write was stored; the same write may succeed once the cause is gone."""


class ImportErrors(ValidationError):
    """A vision file with one or more problems, each with its line number."""

    def __init__(self, problems: list[tuple[int | None, str, dict]]) -> None:
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
