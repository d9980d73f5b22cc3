"""What accepting a suggestion "as proposed" does, said before the curator clicks and after.

The review page's bulk accept takes each suggestion as it stands: a commitment is filed under the
suggested line of effort and placed in the preselected pledge, if any (`services.suggest_for_statement`
preselects the best candidate only when it scores at least `CONFIDENT_THREAD_SCORE`). A curator must
see which pledge that is, or that there is none and why, before accepting; and the result message
must say what was done. Both read the same `Proposal`, so the page and the message cannot disagree.
"""

from dataclasses import dataclass

from commitments.models import ChangeKind
from meetings.choices import ParticipationRole

from .models import Suggestion, SuggestionKind
from .services import CONFIDENT_THREAD_SCORE, _candidate_kind
from .suggested_facts import RECORDED_ROLE


@dataclass(frozen=True)
class Proposal:
    """What "accept as proposed" does with one suggestion.

    `creates` names the record ("a commitment filed under Stabilization"); `pledge` is the pledge's
    title when the commitment is placed in one (`change_kind` then says how it changed), else
    `no_pledge_because` says why it goes in none; `problem` is why it cannot be accepted as proposed.
    """

    creates: str
    pledge: str = ""
    change_kind: str = ""
    no_pledge_because: str = ""
    problem: str = ""

    def __str__(self) -> str:
        if self.problem:
            return f"Cannot be accepted as proposed: {self.problem}"
        if self.pledge:
            return f"Creates {self.creates}, placed in the pledge “{self.pledge}” ({self.change_kind})."
        if self.no_pledge_because:
            return f"Creates {self.creates}, placed in no pledge: {self.no_pledge_because}."
        return f"Creates {self.creates}."


def as_proposed(suggestion: Suggestion) -> Proposal:
    """What accepting `suggestion` unchanged creates, from what the review page already read (no query)."""
    if suggestion.kind == SuggestionKind.FIGURE:
        value, unit = suggestion.value_shown() or "no single number", suggestion.unit or "units"
        return Proposal(creates=f"a figure ({value} {unit}, {suggestion.get_qualifier_display()})")
    if suggestion.kind == SuggestionKind.PARTICIPATION:
        return _participation(suggestion)
    if suggestion.kind == SuggestionKind.EVIDENCE:
        return _evidence(suggestion)
    if suggestion.line_of_effort is None:
        return Proposal(
            creates="a commitment",
            problem="no line of effort was suggested; open it to choose one (and a pledge) before accepting.",
        )
    creates = f"a commitment filed under “{suggestion.line_of_effort}”"
    if suggestion.thread is not None:
        kind = suggestion.change_kind or _candidate_kind(suggestion, suggestion.thread)  # as accepting chooses it
        return Proposal(creates=creates, pledge=suggestion.thread.title, change_kind=ChangeKind(kind).label.lower())
    return Proposal(creates=creates, no_pledge_because=_why_no_pledge(suggestion))


def _participation(suggestion: Suggestion) -> Proposal:
    role = suggestion.get_role_display().lower()
    if suggestion.member is None:
        return Proposal(
            creates=f"a participation ({role})",
            problem=f"no stored member is named “{suggestion.member_name}”; open it to choose the member.",
        )
    recorded = ParticipationRole(RECORDED_ROLE[suggestion.role]).label.lower()
    said = f", as the statement says {role}" if recorded != role else ""
    return Proposal(creates=f"a participation of {suggestion.member} at this meeting as {recorded}{said}")


def _evidence(suggestion: Suggestion) -> Proposal:
    if suggestion.evidence_for is None:
        return Proposal(creates="an evidence item (self-reported) for no commitment: open it to name one")
    return Proposal(
        creates=f"an evidence item (self-reported) on “{suggestion.evidence_for.slug}”, added to a draft "
        "assessment of it (“not yet assessed” until a curator gives the verdict)"
    )


def _why_no_pledge(suggestion: Suggestion) -> str:
    if not suggestion.threads:
        return "no earlier recurring pledge resembles it"
    best = suggestion.threads[0]
    if best["score"] < CONFIDENT_THREAD_SCORE:
        return (
            f"the best candidate, “{best['thread']}”, scores {best['score']:.2f}, below the "
            f"{CONFIDENT_THREAD_SCORE:.2f} needed to preselect it; open the suggestion to place it there"
        )
    return f"the best candidate, “{best['thread']}”, is no longer stored"
