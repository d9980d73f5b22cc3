"""Typed links between recurring pledges: one merged into another, one split from another.

A link is the record of a merge or a split (`commitments.merging`): who made it and when are its
history's, why is its `reason`, and `entries` keeps each place it moved or re-suggested as it stood
before, which is what lets a curator undo it exactly and what the review flag reads. A pledge
merged into another is retired, not deleted: its address answers with a permanent redirect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.db import models
from django.db.models import Q

from core.models import AttributedHistory, NaturalKeyModel, NaturalKeyQuerySet, TrackedHistory

if TYPE_CHECKING:
    from .models import Thread


class LinkKind(models.TextChoices):
    MERGED_INTO = "merged-into", "Merged into"
    SPLIT_FROM = "split-from", "Split from"


# A link as the other pledge sees it: B was merged into by A, N's origin A sees N split into.
SEEN_FROM_OTHER: dict[str, str] = {LinkKind.MERGED_INTO: "merged-from", LinkKind.SPLIT_FROM: "split-into"}
SEEN_KINDS = {
    LinkKind.MERGED_INTO: "Merged into",
    "merged-from": "Merged from",
    LinkKind.SPLIT_FROM: "Split from",
    "split-into": "Split into",
}


class PledgeLinkQuerySet(NaturalKeyQuerySet["PledgeLink"]):
    def merges(self) -> Self:
        return self.filter(kind=LinkKind.MERGED_INTO)

    def about(self, thread: Thread) -> Self:
        """The links either end of which is this pledge, with both pledges, oldest first."""
        return self.filter(Q(thread=thread) | Q(other=thread)).select_related("thread", "other").order_by("pk")

    def seen_from(self, thread: Thread) -> list[dict[str, str]]:
        """The pledge's links as a reader sees them from it, oldest first: {kind, pledge, reason}, the kind
        "merged-into" or "split-from" for its own, "merged-from" or "split-into" for another's towards it."""
        return [
            {"kind": link.kind, "pledge": link.other.slug, "title": link.other.title, "reason": link.reason}
            if link.thread_id == thread.pk
            else {
                "kind": SEEN_FROM_OTHER[link.kind],
                "pledge": link.thread.slug,
                "title": link.thread.title,
                "reason": link.reason,
            }
            for link in self.about(thread)
        ]

    def to_review(self) -> Self:
        """Merges and splits whose moved or re-suggested places no curator has reviewed yet."""
        return self.filter(reviewed=False)

    def places_to_review(self) -> set[tuple[str, str]]:
        """(pledge slug, commitment slug) of every place a merge or split not yet reviewed moved or re-suggested,
        where it is now."""
        flagged: set[tuple[str, str]] = set()
        rows = self.to_review().values_list("thread__slug", "other__slug", "kind", "entries")
        for thread, other, kind, entries in rows:
            # Moved places went to the other pledge of a merge, to the new one of a split.
            into = other if kind == LinkKind.MERGED_INTO else thread
            flagged.update((into if place["moved"] else place["thread"], place["commitment"]) for place in entries)
        return flagged

    def merged_into(self, thread: Thread) -> Self:
        """The pledge this one was merged into (a one-row queryset, empty when it was not)."""
        return self.merges().filter(thread=thread).select_related("other")


class PledgeLink(NaturalKeyModel):
    """One pledge merged into another, or split from another: the event, its reason and what it moved."""

    NATURAL_KEY = ("thread__slug", "kind", "other__slug")

    # A retired pledge's address must keep answering, and a new one's origin stay known: PROTECT both.
    thread = models.ForeignKey(
        "commitments.Thread",
        on_delete=models.PROTECT,
        related_name="links",
        help_text="The pledge merged into the other one, or the new pledge split from it.",
    )
    kind = models.CharField(max_length=15, choices=LinkKind.choices)
    other = models.ForeignKey("commitments.Thread", on_delete=models.PROTECT, related_name="links_in")
    reason = models.TextField(help_text="Why, in the curator's words.")
    # The places it moved or re-suggested, as they stood before: [{"commitment", "thread" (slugs),
    # "position", "change_kind", "moved"}], in the order they then stood.
    entries = models.JSONField(default=list, blank=True)
    reviewed = models.BooleanField(
        default=False, help_text="A curator has checked the change kinds of the places it moved or re-suggested."
    )

    CURATED_FIELDS = ("thread", "kind", "other", "reason", "reviewed")

    history = TrackedHistory(bases=[AttributedHistory])
    objects = PledgeLinkQuerySet.as_manager()

    class Meta:
        ordering = ["thread__slug", "kind"]
        verbose_name = "link between recurring pledges"
        verbose_name_plural = "links between recurring pledges"
        constraints = [
            models.UniqueConstraint(fields=["thread", "kind", "other"], name="pledgelink_unique"),
            # A retired pledge points to one place: where it was merged.
            models.UniqueConstraint(fields=["thread"], condition=Q(kind="merged-into"), name="pledgelink_merged_once"),
            models.CheckConstraint(condition=~Q(thread=models.F("other")), name="pledgelink_not_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.thread.slug} {self.get_kind_display().lower()} {self.other.slug}"
