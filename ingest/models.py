"""Suggestions: spans of a new statement proposed as commitments or figures, waiting for a curator."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from commitments.assessments import Assessment, Evidence
from commitments.models import ChangeKind, Commitment, LineOfEffort, Strength, Thread
from core.models import AttributedHistory
from core.numbers import grouped
from core.spans import check_span, spans_overlap
from meetings.models import Figure, Member, Participation, Qualifier, Statement


class SuggestionKind(models.TextChoices):
    COMMITMENT = "commitment", "Commitment"
    FIGURE = "figure", "Figure"
    PARTICIPATION = "participation", "Participation"
    EVIDENCE = "evidence", "Evidence"


class SuggestedRole(models.TextChoices):
    """A participation's role as the text states it (`ingest.participants`).

    `meetings.Participation` has no co-chair role: accepting a co-chair records `host`, and says so in its note.
    """

    HOST = "host", "Host"
    CO_CHAIR = "co-chair", "Co-chair"
    NEW_MEMBER = "new-member", "New member"
    OBSERVER = "observer", "Observer"


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "To review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class SuggestionQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=SuggestionStatus.PENDING)

    def decided(self):
        """Suggestions a curator accepted or rejected: they are never suggested again."""
        return self.exclude(status=SuggestionStatus.PENDING)

    def for_review(self):
        """Suggestions in text order with what the review page shows of each, in one query."""
        return self.select_related(
            "line_of_effort", "thread", "decided_by", "commitment", "figure", "member", "evidence_for"
        ).order_by("start", "kind", "end", "member_name")


class Suggestion(models.Model):
    """A span of a new statement proposed as a commitment (or a figure), waiting for a curator's decision.

    Never published: accepting creates the commitment (or figure) through the curated write path;
    rejecting keeps the decision so that the same span is not suggested again.
    """

    # Proposals about one text: they have no meaning without it (statements are never deleted in
    # the admin; a snapshot restore with --replace takes them along).
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(max_length=15, choices=SuggestionKind.choices, default=SuggestionKind.COMMITMENT)
    start = models.PositiveIntegerField(help_text="Offset of the span's first character (0-based, in characters).")
    end = models.PositiveIntegerField(help_text="Offset just past the span's last character.")
    quote = models.TextField(help_text="Exactly the statement's text between the offsets.")
    cue = models.CharField(max_length=200, blank=True, help_text="The words that made it a commitment.")
    strength = models.CharField(max_length=10, choices=Strength.choices, blank=True)
    actor = models.CharField(max_length=200, blank=True)
    # Suggestions follow the vocabulary; a line or pledge deleted later leaves them unfiled.
    line_of_effort = models.ForeignKey(
        LineOfEffort, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions"
    )
    reason = models.CharField(max_length=300, blank=True, help_text="Why this line of effort.")
    threads = models.JSONField(
        default=list, blank=True, help_text="Candidate recurring pledges, best first: thread, score, change_kind."
    )
    thread = models.ForeignKey(
        Thread,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
        help_text="The recurring pledge accepting will place the commitment in (the best candidate when confident).",
    )
    change_kind = models.CharField(max_length=15, choices=ChangeKind.choices, blank=True)
    value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=50, blank=True)
    qualifier = models.CharField(max_length=20, choices=Qualifier.choices, blank=True)
    # A participation: who, as the text names them, the stored member matched, the role, a new member's rank.
    member_name = models.CharField(max_length=200, blank=True, help_text="The member as the text names it.")
    member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="The member it names."
    )
    role = models.CharField(max_length=10, choices=SuggestedRole.choices, blank=True)
    ordinal = models.PositiveSmallIntegerField(null=True, blank=True, help_text="“The 84th member”: 84.")
    # Evidence: the earlier commitment the sentence reports on (its pledge in `thread`, why in `reason`).
    evidence_for = models.ForeignKey(
        Commitment, on_delete=models.SET_NULL, null=True, blank=True, related_name="evidence_suggestions"
    )
    status = models.CharField(max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, help_text="The curator's note on the decision.")
    # What accepting created; the decision stays recorded if that record is deleted later.
    commitment = models.ForeignKey(
        Commitment, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions"
    )
    figure = models.ForeignKey(Figure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    participation = models.ForeignKey(Participation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    evidence = models.ForeignKey(Evidence, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(table_name="commitments_historicalsuggestion", bases=[AttributedHistory])
    objects = SuggestionQuerySet.as_manager()

    class Meta:
        # The table it had when suggestions lived in `commitments`: moving the model moved no rows.
        db_table = "commitments_suggestion"
        ordering = ["statement", "start", "kind"]
        constraints = [
            # Two members may share a quote ("welcomed Kenya and Kuwait as new members").
            models.UniqueConstraint(
                fields=["statement", "kind", "start", "end", "member_name", "role"], name="suggestion_unique_span"
            ),
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="suggestion_start_before_end"),
            models.CheckConstraint(
                condition=Q(end=models.F("start") + models.functions.Length("quote")),
                name="suggestion_quote_fills_span",
            ),
        ]

    def __str__(self):
        quote = " ".join(self.quote.split())
        return f"{self.get_kind_display()}: {quote[:80]}{'…' if len(quote) > 80 else ''}"

    def clean(self):
        if self.statement_id is not None:
            check_span(self.statement, self.start, self.end, self.quote)

    def value_shown(self):
        """The figure's value as a number reads ("8,000,000"), or "" when it has none."""
        return "" if self.value is None else grouped(self.value)

    def is_pending(self):
        """Whether no curator has decided on this suggestion yet."""
        return self.status == SuggestionStatus.PENDING

    def overlaps(self, start, end):
        """Whether the span start-end covers at least half of the shorter of it and this suggestion."""
        return spans_overlap(self.start, self.end, start, end)
