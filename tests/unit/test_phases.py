"""The phase × role × action permission matrix, pinned against an explicit table of the intended policy.

The table below is written out by hand on purpose: it is the policy, and ``model.PERMISSIONS`` must
match it. A change of policy changes both, visibly, in one review.
"""

from __future__ import annotations

import pytest

from workshop.errors import PermissionDenied
from workshop.model import PHASE_LABELS, Action, Phase, Role, allowed, require

PHASES = ("setup", "collect", "review", "vote", "results")

# One row per action; one column per phase in the order above: "x" allowed, "." refused.
#                        setup collect review vote results
PARTICIPANT_POLICY = {
    "join":             "x x x x x",
    "view_measures":    ". x x x x",
    "propose":          ". x . . .",
    "edit_own":         ". x . . .",
    "withdraw_own":     ". x . . .",
    "submit_ballot":    ". . . x .",
    "view_results":     ". . . . x",
    "edit_vision":      ". . . . .",
    "edit_groups":      ". . . . .",
    "set_rules":        ". . . . .",
    "change_phase":     ". . . . .",
    "moderate":         ". . . . .",
    "translate":        ". . . . .",
    "reveal_results":   ". . . . .",
    "export":           ". . . . .",
    "delete_workshop":  ". . . . .",
}  # fmt: skip

FACILITATOR_POLICY = {
    "join":             ". . . . .",
    "view_measures":    "x x x x x",
    "propose":          "x x x . .",
    "edit_own":         ". . . . .",
    "withdraw_own":     ". . . . .",
    "submit_ballot":    ". . . . .",
    "view_results":     "x x x x x",
    "edit_vision":      "x x x . .",
    "edit_groups":      "x x x . .",
    "set_rules":        "x x x . x",
    "change_phase":     "x x x x x",
    "moderate":         "x x x . .",
    "translate":        "x x x x x",
    "reveal_results":   ". . . . x",
    "export":           "x x x x x",
    "delete_workshop":  "x x x x x",
}  # fmt: skip

POLICY = {"participant": PARTICIPANT_POLICY, "facilitator": FACILITATOR_POLICY}


def _expected(role: str, action: str, phase: str) -> bool:
    marks = POLICY[role][action].split()
    assert len(marks) == len(PHASES), f"policy row {role}/{action} needs one mark per phase"
    return marks[PHASES.index(phase)] == "x"


MATRIX = [
    pytest.param(phase, role, action, _expected(role, action, phase), id=f"{phase}-{role}-{action}")
    for phase in PHASES
    for role in POLICY
    for action in PARTICIPANT_POLICY
]


def test_policy_table_covers_every_phase_role_and_action():
    assert tuple(p.value for p in Phase) == PHASES
    assert {r.value for r in Role} == set(POLICY)
    for role_policy in POLICY.values():
        assert set(role_policy) == {a.value for a in Action}


@pytest.mark.parametrize(("phase", "role", "action", "expected"), MATRIX)
def test_permission_matrix(phase, role, action, expected):
    assert allowed(Phase(phase), Role(role), Action(action)) is expected


@pytest.mark.parametrize(("phase", "role", "action", "expected"), MATRIX)
def test_require_follows_the_matrix(phase, role, action, expected):
    if expected:
        require(Phase(phase), Role(role), Action(action))
    else:
        with pytest.raises(PermissionDenied):
            require(Phase(phase), Role(role), Action(action))


def test_allowed_accepts_plain_strings_as_stored_in_the_database():
    assert allowed("vote", "participant", "submit_ballot") is True
    assert allowed("collect", "participant", "submit_ballot") is False


def test_unknown_phase_or_role_is_an_error_not_a_permission():
    with pytest.raises(ValueError):
        allowed("voting", "participant", "submit_ballot")
    with pytest.raises(ValueError):
        allowed("vote", "admin", "submit_ballot")


# Spot checks of the policy in words, so a reader sees the intent without decoding the grid.
@pytest.mark.parametrize(
    ("phase", "role", "action", "expected"),
    [
        ("collect", "participant", "propose", True),
        ("review", "participant", "propose", False),
        ("vote", "participant", "propose", False),
        ("collect", "participant", "submit_ballot", False),
        ("vote", "participant", "submit_ballot", True),
        ("results", "participant", "submit_ballot", False),
        ("vote", "participant", "view_results", False),
        ("results", "participant", "view_results", True),
        ("vote", "facilitator", "set_rules", False),
        ("vote", "facilitator", "moderate", False),
        ("vote", "facilitator", "edit_vision", False),
        ("vote", "facilitator", "edit_groups", False),
        ("vote", "facilitator", "change_phase", True),
        ("results", "facilitator", "set_rules", True),
        ("vote", "facilitator", "reveal_results", False),
        ("results", "facilitator", "reveal_results", True),
        ("setup", "participant", "view_measures", False),
    ],
)
def test_policy_in_words(phase, role, action, expected):
    assert allowed(phase, role, action) is expected


@pytest.mark.parametrize("phase", list(Phase))
def test_require_message_names_the_phase(phase):
    # Find an action the participant may not take in this phase.
    action = next(a for a in Action if not allowed(phase, Role.PARTICIPANT, a))
    with pytest.raises(PermissionDenied) as info:
        require(phase, Role.PARTICIPANT, action)
    err = info.value
    assert PHASE_LABELS[phase] in err.message()
    assert PHASE_LABELS[phase] in str(err)
    assert err.params["phase"] == PHASE_LABELS[phase]


def test_require_message_translates_the_phase_name():
    german = {
        "This is not possible in the phase “{phase}”.": "Das geht in der Phase „{phase}“ nicht.",
        "Vote": "Abstimmung",
    }
    with pytest.raises(PermissionDenied) as info:
        require(Phase.VOTE, Role.PARTICIPANT, Action.PROPOSE)
    assert info.value.message(lambda s: german.get(s, s)) == "Das geht in der Phase „Abstimmung“ nicht."
