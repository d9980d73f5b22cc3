"""The change feed's rows, and the webhooks' receivers and outbox of deliveries.

A `Change` is written by `changes.recording` in the transaction of the write it records, so it is
committed with it or rolled back with it; so is each `Delivery` of it to a matching `Receiver`
(the outbox), which the worker (`manage.py run_webhooks`) drains. Neither is a curated record:
snapshots do not export them, and a restore starts no history of them (it writes one marker).
"""

from __future__ import annotations

import datetime
import secrets
import uuid

from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone


class Action(models.TextChoices):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    # Records were loaded in bulk (a snapshot restored, the seed loaded), with no row each: read the lists again.
    RESET = "reset"


class ChangeQuerySet(models.QuerySet["Change"]):
    def committed(self) -> ChangeQuerySet:
        """The rows a reader may be handed without ever skipping one committed later.

        On PostgreSQL a row's id comes from a sequence when it is inserted, not when its transaction
        commits: a long transaction can commit a row below ids already handed out. Each row keeps the
        id of its transaction (`xid`); the feed is ordered by (xid, id) and serves only rows of
        transactions older than every transaction still in flight (`pg_snapshot_xmin`), so any row
        that becomes visible later sorts after every row served. A reader's own writes are visible to
        it. SQLite serializes writers (one write transaction at a time): `xid` is 0 and ids are in
        commit order.
        """
        if connection.vendor != "postgresql":
            return self
        horizon = RawSQL("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", ())
        own = RawSQL("coalesce(pg_current_xact_id_if_assigned()::text::bigint, -1)", ())
        return self.filter(Q(xid__lt=horizon) | Q(xid=own))

    def in_feed_order(self) -> ChangeQuerySet:
        return self.order_by("xid", "id")

    def public(self) -> ChangeQuerySet:
        """What a reader of the feed who is not a curator sees: THE hook for what stays private.

        The API shows readers approved assessments only, and published meetings' records only: the
        changes of a draft assessment, and of a draft meeting or statement and everything quoting it,
        are left out (`draft`, set by `changes.recording.DRAFTS` and `recording.unpublished()`).
        Publishing a meeting records a `reset`: readers read the lists again.
        """
        return self.filter(draft=False)


class Change(models.Model):
    """One create, update or delete of a curated record (or a bulk load's reset marker), as the API names it."""

    # The writing transaction's id on PostgreSQL (pg_current_xact_id), 0 elsewhere: see ChangeQuerySet.committed.
    xid = models.BigIntegerField(default=0)
    resource = models.CharField(max_length=40, help_text="The API resource, as in its URL (`commitments`).")
    key = models.CharField(max_length=400, help_text="The record's key in the API (its slug, or its composite key).")
    object_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    version = models.CharField(
        max_length=400, blank=True, help_text="The record's ETag after the change; empty for a delete."
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.CharField(max_length=150, blank=True, help_text="The username who made it, if any.")
    token = models.CharField(max_length=120, blank=True, help_text="The dashboard token it was made with, if any.")
    reason = models.CharField(max_length=200, blank=True)
    # For the feed's filters: the recurring pledge, line of effort and meeting the record belongs to.
    pledge = models.CharField(max_length=200, blank=True, db_index=True)
    line_of_effort = models.CharField(max_length=200, blank=True, db_index=True)
    meeting = models.CharField(max_length=200, blank=True, db_index=True)
    # The record was a draft when changed (an assessment waiting for review, and its rows): readers who
    # are not curators or auditors do not see it (`public()`).
    draft = models.BooleanField(default=False)

    objects = ChangeQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["xid", "id"], name="changes_feed_order"),
            models.Index(fields=["resource", "at"], name="changes_resource_at"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.key} {self.action}"

    @property
    def cursor(self) -> str:
        """Where a reader stands after this change: `since=` it returns only what came after."""
        return f"{self.xid}-{self.id}"

    @property
    def event(self) -> str:
        return f"{self.resource}.{self.action}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Receiver(models.Model):
    """A URL that is POSTed every change it asks for, signed with its secret."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500, help_text="Its host must be in WEBHOOK_ALLOWED_HOSTS.")
    resources = models.CharField(
        max_length=400, blank=True, help_text="Comma-separated resources (`commitments,threads`); empty for every one."
    )
    actions = models.CharField(
        max_length=100,
        blank=True,
        help_text="Comma-separated actions (created, updated, deleted, reset); empty for all.",
    )
    secret = models.CharField(max_length=200, default=new_secret, help_text="Signs each body (HMAC-SHA256).")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def wants(self, change: Change) -> bool:
        """Whether this receiver asked for `change` (its resource and action filters)."""
        resources = {item.strip() for item in self.resources.split(",") if item.strip()}
        actions = {item.strip() for item in self.actions.split(",") if item.strip()}
        resource_ok = not resources or change.resource in resources or change.action == Action.RESET
        return resource_ok and (not actions or change.action in actions)


class DeliveryState(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Delivery(models.Model):
    """One change to send to one receiver: the outbox row, then its log (attempts, last answer)."""

    receiver = models.ForeignKey(Receiver, on_delete=models.CASCADE, related_name="deliveries")
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="deliveries")
    # The id the receiver sees (`id` in the body, X-Tracker-Delivery): the same on every attempt.
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True, help_text="The last HTTP status answered.")
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="changes_delivery_due")]

    def __str__(self) -> str:
        return f"{self.change.event} to {self.receiver.name}: {self.state}"

    def redeliver(self, now: datetime.datetime | None = None) -> None:
        """Send it again, with the same id, as soon as the worker runs."""
        self.state = DeliveryState.PENDING
        self.attempts = 0
        self.next_attempt_at = now or timezone.now()
        self.save(update_fields=["state", "attempts", "next_attempt_at"])
