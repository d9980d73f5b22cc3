"""The choices curated commitments take: strength, change kind, implementation status, funding stage."""

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
