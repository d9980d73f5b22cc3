"""Drafts: a meeting, or a statement, curated out of readers' sight until it is published.

The rule has one home: each model's `published()` QuerySet method (here the conditions it reads),
and `for_reader(sees_drafts)`, which the public pages, the API and its aggregates call where they
build what readers see. Curators and auditors see drafts (the admin, and the API when signed in
with either role); everyone else never does. Publishing is `commitments.publishing.publish_meeting`.
"""

from __future__ import annotations

from typing import Any, Self

from django.core.exceptions import ValidationError
from django.db.models import Q

# A statement, and anything quoting one, is published when neither it nor its meeting is a draft.
PUBLISHED_STATEMENT = Q(draft=False, meeting__draft=False)


def published_through(prefix: str) -> Q:
    """`PUBLISHED_STATEMENT` for rows reaching a statement through `prefix` (e.g. "statement"): a join, no query."""
    return Q(**{f"{prefix}__draft": False, f"{prefix}__meeting__draft": False})


class ReaderMixin:
    """`for_reader()` for a QuerySet that has `published()`."""

    def published(self) -> Self:
        raise NotImplementedError

    def for_reader(self, sees_drafts: bool) -> Self:
        """Every row for a curator or an auditor (`sees_drafts`), the published ones for anyone else."""
        return self.all() if sees_drafts else self.published()  # type: ignore[attr-defined]


def check_stays_published(record: Any) -> None:
    """Refuse making a published meeting or statement a draft again: corrections are versioned edits."""
    if record.pk is not None and record.draft:
        if type(record)._default_manager.filter(pk=record.pk, draft=False).exists():
            raise ValidationError({"draft": "Published records stay published: correct them with an edit."})
