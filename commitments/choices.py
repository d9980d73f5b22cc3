"""The choices curated commitments take: strength, change kind, implementation status, funding stage,
and an assessment's verdict and review state."""

from django.db import models


class Strength(models.TextChoices):
    BINDING = "binding", "Binding (will, must, commit)"
    SOFT = "soft", "Softer (welcome, support, call on)"


class ImplementationStatus(models.TextChoices):
    NOT_ASSESSED = "not-assessed", "Not yet assessed"
    IN_PROGRESS = "in-progress", "In the works"
    STALLED = "stalled", "Stalled"
    KEPT = "kept", "Kept"
    COMPROMISE = "compromise", "Compromise"
    BROKEN = "broken", "Broken"


class FundingStage(models.TextChoices):
    PLEDGED = "pledged", "Pledged"
    COMMITTED = "committed", "Committed"
    PAID = "paid", "Paid"


class ChangeKind(models.TextChoices):
    NEW = "new", "New"
    REPEATED = "repeated", "Repeated"
    STRENGTHENED = "strengthened", "Strengthened"
    WEAKENED = "weakened", "Weakened"
    WIDENED = "widened", "Widened"
    NARROWED = "narrowed", "Narrowed"


class Verdict(models.TextChoices):
    """What became of a pledge, on the scale of fixtures/curation/follow-through.yaml (PolitiFact's words,
    the G7/G20 Research Group's scores, OGP IRM's "no evidence available" kept apart from "not started")."""

    NOT_ASSESSED = "not-assessed", "Not yet assessed"
    KEPT = "kept", "Kept"
    COMPROMISE = "compromise", "Compromise"
    IN_THE_WORKS = "in-the-works", "In the works"
    STALLED = "stalled", "Stalled"
    BROKEN = "broken", "Broken"
    NOT_STARTED = "not-started", "Not started"
    NO_EVIDENCE = "no-evidence", "No evidence available"


# Each verdict's score (G20 Research Group: +1 full, 0 partial or in progress, -1 none or contrary);
# None: not scored, never counted as -1.
VERDICT_SCORES: dict[str, int | None] = {
    Verdict.NOT_ASSESSED: None,
    Verdict.KEPT: 1,
    Verdict.COMPROMISE: 0,
    Verdict.IN_THE_WORKS: 0,
    Verdict.STALLED: -1,
    Verdict.BROKEN: -1,
    Verdict.NOT_STARTED: -1,
    Verdict.NO_EVIDENCE: None,
}

# Verdicts that stand without evidence: nothing was found to say (and "not yet assessed").
VERDICTS_WITHOUT_EVIDENCE = frozenset({Verdict.NOT_ASSESSED, Verdict.NO_EVIDENCE})

# The implementation status (the older, coarser field pages and the API already show) a verdict
# implies, where it has a counterpart: "not started" and "no evidence available" have none, and
# leave the status as given ("not yet assessed" unless a curator set one).
VERDICT_STATUS: dict[str, str] = {
    Verdict.KEPT: ImplementationStatus.KEPT,
    Verdict.COMPROMISE: ImplementationStatus.COMPROMISE,
    Verdict.IN_THE_WORKS: ImplementationStatus.IN_PROGRESS,
    Verdict.STALLED: ImplementationStatus.STALLED,
    Verdict.BROKEN: ImplementationStatus.BROKEN,
}


class ReviewState(models.TextChoices):
    DRAFT = "draft", "Draft, waiting for review"
    APPROVED = "approved", "Approved"
