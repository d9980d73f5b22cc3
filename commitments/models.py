"""Lines of effort, recurring pledges (threads), commitments and their assessments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Self

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from core.models import AttributedHistory, NaturalKeyModel, NaturalKeyQuerySet, TrackedHistory
from meetings.drafts import ReaderMixin, published_through
from meetings.models import Meeting, QuotedSpan, Statement

from . import search
from .assessment_parts import MemberScore, MemberScoreQuerySet, MoneyStage, MoneyStageQuerySet  # noqa: F401

# The follow-through models: imported here, they register with the app and callers find every model here.
from .assessments import (  # noqa: F401
    Assessment,
    AssessmentCycle,
    AssessmentCycleQuerySet,
    AssessmentEvidence,
    AssessmentQuerySet,
    Evidence,
    EvidenceQuerySet,
)

# The choices too, so that callers import the app's model vocabulary from one place.
from .choices import ChangeKind, FundingStage, ImplementationStatus, ReviewState, Strength, Verdict  # noqa: F401
from .pledge_links import LinkKind, PledgeLink  # noqa: F401 - links between pledges, made by commitments.merging
from .rules import PlacedEntry, problems_by_thread
from .timeline import TimelineStep, suggest_change_kind


class LineOfEffortQuerySet(NaturalKeyQuerySet["LineOfEffort"]):
    """Lines of effort: found by natural key, nothing more (a class of its own names the model for mypy)."""


class LineOfEffort(NaturalKeyModel):
    """One of the Coalition's own lines of effort."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, unique=True)
    position = models.PositiveSmallIntegerField(unique=True, help_text="Order in lists.")
    description = models.TextField(blank=True)

    CURATED_FIELDS = ("slug", "name", "position", "description")

    history = TrackedHistory(bases=[AttributedHistory])
    objects = LineOfEffortQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "lines of effort"

    def __str__(self):
        return self.name


# What a pledge's story shows of each commitment and of its meeting (`ThreadEntry.objects.story_of()`).
STORY_COMMITMENT_FIELDS = (
    "slug",
    "statement",
    "quote",
    "start",
    "end",
    "strength",
    "summary",
    "note",
    "deadline_text",
    "amount",
    "currency",
)
STORY_MEETING_FIELDS = ("slug", "city", "start_date", "end_date", "date_precision")


class ThreadQuerySet(ReaderMixin, NaturalKeyQuerySet["Thread"]):
    def published(self) -> Self:
        """Pledges readers may see: with a published entry, or with none at all (not all in drafts). Correlated
        on the indexed thread key: a pledge looked up by its slug reads its own entries only."""
        published = ThreadEntry.objects.published().filter(thread=OuterRef("pk"))
        return self.filter(Exists(published) | ~Exists(ThreadEntry.objects.filter(thread=OuterRef("pk"))))

    def with_entry_count(self) -> Self:
        """Annotate `entry_count`, the commitments in each thread, as a subquery on the indexed thread key."""
        rows = ThreadEntry.objects.filter(thread=OuterRef("pk")).order_by().values("thread")
        return self.annotate(entry_count=Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0))

    def with_story_counts(self, *, sees_drafts: bool = False, meetings: bool = True) -> Self:
        """Annotate `entry_count` and (unless not `meetings`) `meeting_count`: the entries a reader sees (all
        of them with `sees_drafts`) and the meetings they were made at, each a subquery on the indexed
        thread key.

        What a page of a long pledge's timeline says of the whole: how many steps, and at how many
        meetings, without reading them.
        """
        entries = ThreadEntry.objects.for_reader(sees_drafts).filter(thread=OuterRef("pk")).order_by().values("thread")
        counts = {"entry_count": Count("pk")}
        if meetings:
            counts["meeting_count"] = Count("commitment__statement__meeting", distinct=True)
        return self.annotate(
            **{name: Coalesce(Subquery(entries.annotate(n=count).values("n")), 0) for name, count in counts.items()}
        )

    def with_timeline(self, *, only: Sequence[str] | None = None, sees_drafts: bool = True) -> Self:
        """Threads with their entries prefetched in position order, each with commitment, statement and meeting.

        Optimised for showing a thread's timeline and wording differences with two queries. `only`
        narrows the entries' columns to those a reader names (ThreadEntry lookups, such as
        "commitment__quote"), for a reader that knows it reads nothing else; without `sees_drafts`,
        the published entries only.
        """
        entries = ThreadEntry.objects.for_reader(sees_drafts).for_timeline(only=only)
        return self.prefetch_related(Prefetch("entries", queryset=entries))

    def search(self, text: str) -> Self:
        """Recurring pledges holding every concept of the text (`commitments.search`), each in its title or
        description, in the name of its line of effort, or in the quote or summary of any of its
        commitments: through the full-text indexes, a subquery per concept."""
        if not text.strip():
            return self
        concepts = search.parse(text)
        if not concepts:
            return self.none()
        queryset = self
        for concept in concepts:
            queryset = queryset.filter(pk__in=RawSQL(*search.threads_holding(concept)))  # noqa: S611 - words are parameters
        return queryset


class Thread(NaturalKeyModel):
    """A recurring pledge: the same pledge made again at later meetings.

    "Recurring pledge" is the users' word, in the admin, the API's documentation and the public
    pages; the code calls it a thread. Each commitment in it has an entry (`ThreadEntry`): its
    position in meeting order and how it changed from the entry before.
    """

    # Its page shows and adds its entries: its version (the API's ETag) covers them.
    VERSIONED_CHILDREN = ("entries",)

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    # A line of effort in use is part of how the data is filed: keep it.
    line_of_effort = models.ForeignKey(LineOfEffort, on_delete=models.PROTECT, related_name="threads")

    CURATED_FIELDS = ("slug", "title", "description", "line_of_effort")

    history = TrackedHistory(bases=[AttributedHistory])
    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["line_of_effort__position", "title"]
        verbose_name = "recurring pledge"

    def __str__(self):
        return self.title

    def timeline(self):
        """The thread's entries in position order, each paired with its wording difference to the previous one.

        Uses the prefetched entries of `Thread.objects.with_timeline()` when present.
        """
        return TimelineStep.chain(sorted(self.entries.all(), key=lambda e: e.position))

    def meetings_in_order(self, entries=None):
        """The meetings it recurs at, each once, in meeting order.

        From `entries` in position order when given (a timeline's), else from the prefetched entries
        of `Thread.objects.with_timeline()`.
        """
        if entries is None:
            entries = sorted(self.entries.all(), key=lambda e: e.position)
        return list(dict.fromkeys(e.commitment.statement.meeting for e in entries))


class CommitmentQuerySet(ReaderMixin, NaturalKeyQuerySet["Commitment"]):
    def published(self) -> Self:
        """Commitments readers may see: quoting a published statement (`meetings.drafts`)."""
        return self.filter(published_through("statement"))

    def search(self, text: str) -> Self:
        """Commitments holding every concept of the text (`commitments.search`), each in the quote or the
        summary or in the name of its line of effort: through the full-text indexes, a subquery per concept."""
        if not text.strip():
            return self
        concepts = search.parse(text)
        if not concepts:
            return self.none()
        queryset = self
        for concept in concepts:
            queryset = queryset.filter(pk__in=RawSQL(*search.commitments_holding(concept)))  # noqa: S611 - words are parameters
        return queryset

    def at_meetings_in_years(self, first: int | None, last: int | None) -> Self:
        """Commitments made at a meeting held from year `first` to year `last` (either open), found from the
        meetings of those years (`MeetingQuerySet.in_years`) through the statements' and commitments' keys."""
        return self.filter(statement__meeting__in=Meeting.objects.in_years(first, last))

    def counts_by_line_and_meeting(self) -> models.QuerySet[Commitment, Mapping[str, Any]]:
        """Commitments per line of effort per meeting, with the binding/softer split, for dashboards."""
        return (
            self.values(
                "line_of_effort__slug",
                "line_of_effort__name",
                "line_of_effort__position",
                "statement__meeting__slug",
                "statement__meeting__start_date",
            )
            .annotate(
                total=Count("id"),
                binding=Count("id", filter=Q(strength=Strength.BINDING)),
                soft=Count("id", filter=Q(strength=Strength.SOFT)),
            )
            .order_by("line_of_effort__position", "statement__meeting__start_date")
        )

    def counts_by_line_and_year(self) -> models.QuerySet[Commitment, Mapping[str, Any]]:
        """Commitments per line of effort per year of their meeting, with the binding/softer split.

        What a chart across many meetings shows: a column per year rather than per meeting.
        """
        return (
            self.values("line_of_effort__slug", "statement__meeting__start_date__year")
            .annotate(
                total=Count("id"),
                binding=Count("id", filter=Q(strength=Strength.BINDING)),
                soft=Count("id", filter=Q(strength=Strength.SOFT)),
            )
            .order_by("line_of_effort__slug", "statement__meeting__start_date__year")
        )

    def rows_quoting(self, statement: Statement) -> models.QuerySet[Commitment, Mapping[str, Any]]:
        """The commitments quoting one statement, in text order, as rows for a list: what a reader sees
        of each (offsets, summary, line of effort, strength, actor, latest status).

        Rows, not instances: a statement quotes a hundred commitments or more.
        """
        return (
            self.filter(statement=statement)
            .order_by("start", "end", "pk")
            .values(
                "id", "slug", "start", "end", "summary", "line_of_effort__name", "strength", "actor", "latest_status"
            )
        )

    def in_thread(self, slug: str) -> Self:
        """Commitments of one recurring pledge, in the thread's order."""
        return self.filter(thread_entries__thread__slug=slug).order_by("thread_entries__position")

    def in_any_thread(self, in_one: bool = True) -> Self:
        """Commitments in at least one recurring pledge, or with `in_one=False` in none: each once, by subquery."""
        in_threads = ThreadEntry.objects.values("commitment_id")
        return self.filter(pk__in=in_threads) if in_one else self.exclude(pk__in=in_threads)

    def counts_by_statement(self) -> models.QuerySet[Commitment, tuple[Any, ...]]:
        """(statement id, number of these commitments) for each statement they quote, in no order.

        Grouped on the statement key alone, no join: what a list in `listed_rows()`'s order pages
        through, so that a page reads the few statements it spans rather than sorting every commitment.
        """
        return self.order_by().values_list("statement_id").annotate(n=Count("pk"))

    def listed_rows(self) -> models.QuerySet[Commitment, Mapping[str, Any]]:
        """Commitments as rows for a public list, in meeting and text order: quote, filing, statement, meeting.

        Rows, not instances: the statement's text is never read, and a page shows ten values of each.
        """
        return self.order_by(
            "statement__meeting__start_date",
            "statement__meeting__slug",
            "statement__position",
            "statement_id",
            "start",
            "pk",
        ).values(
            "id",
            "slug",
            "quote",
            "strength",
            "line_of_effort__slug",
            "line_of_effort__name",
            "statement__slug",
            "statement__meeting__slug",
            "statement__meeting__city",
            "statement__meeting__start_date",
        )

    def for_list(self) -> Self:
        """Commitments with what a list shows of them: statement, meeting, line of effort, threads, status.

        The statement's text is deferred: a list never shows it, and it is the widest column. The status
        is the stored `latest_status`, read with the row.
        """
        return (
            self.select_related("statement__meeting", "line_of_effort")
            .defer("statement__text")
            .prefetch_related(
                # Ordered as ThreadEntry.objects.entries_for() orders them for the API's fast list path.
                Prefetch(
                    "thread_entries", queryset=ThreadEntry.objects.select_related("thread").order_by("thread__slug")
                )
            )
        )


class Commitment(QuotedSpan):
    """One pledge in one statement, as an exact quote."""

    # Its page shows and edits its assessments and places in pledges: its version (the API's ETag) covers them.
    VERSIONED_CHILDREN = ("assessments", "thread_entries")

    slug = models.SlugField(max_length=120, unique=True)
    # A line of effort in use files commitments: refuse to delete it.
    line_of_effort = models.ForeignKey(LineOfEffort, on_delete=models.PROTECT, related_name="commitments")
    actor = models.CharField(max_length=200, help_text="Who commits, as the text puts it.")
    strength = models.CharField(max_length=10, choices=Strength.choices)
    summary = models.CharField(max_length=300, help_text="A curator's one-line summary.")
    assessable = models.BooleanField(default=True, help_text="Specific enough to be assessed at all.")
    deadline = models.DateField(null=True, blank=True)
    deadline_text = models.CharField(max_length=100, blank=True, help_text="The deadline in the text's words.")
    amount = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217 code, with an amount.")
    note = models.TextField(blank=True)
    # The status of its newest approved assessment (`Assessment.objects.newest_first_of`), or not assessed:
    # a draft waits for review. Kept by the database itself (migration 0012's triggers) on every write of an
    # assessment, whatever the path (services, admin and its inlines, API, import, restore, seed, demo,
    # loaddata, raw SQL), so that lists filter and sort by it through an index where a subquery per row
    # grew with the table. Derived, never curated: no form writes it, and history and snapshots leave it out.
    latest_status = models.CharField(
        max_length=20, choices=ImplementationStatus.choices, default=ImplementationStatus.NOT_ASSESSED, editable=False
    )

    # Columns the database derives from other rows: a snapshot does not write them, restore does not read them.
    DERIVED_FIELDS = ("latest_status",)

    history = TrackedHistory(bases=[AttributedHistory], excluded_fields=list(DERIVED_FIELDS))
    objects = CommitmentQuerySet.as_manager()
    # (stored statement id, in a pledge), read for many rows at once by an import's bulk path; see clean().
    pledge_facts: tuple[int | None, bool] | None = None

    # The fields a curator writes, grouped as forms show them: the quote, how it is filed, its
    # deadline and money, the curator's note. The admin, the API and the seed builder read these
    # rather than restating them.
    FIELD_GROUPS = {
        "quote": ("slug", "statement", "quote", "start", "end"),
        "filing": ("line_of_effort", "actor", "strength", "summary", "assessable"),
        "deadline and money": ("deadline", "deadline_text", "amount", "currency"),
        "note": ("note",),
    }
    CURATED_FIELDS = tuple(name for group in FIELD_GROUPS.values() for name in group)

    class Meta(QuotedSpan.Meta):
        ordering = ["statement__meeting__start_date", "statement__position", "start"]
        constraints = [
            *QuotedSpan.Meta.constraints,
            models.CheckConstraint(
                condition=(Q(amount__isnull=True) & Q(currency="")) | (Q(amount__isnull=False) & ~Q(currency="")),
                name="commitment_amount_has_currency",
            ),
        ]
        # The admin's status filter, newest first: a range of the index read backwards.
        indexes = [models.Index(fields=["latest_status", "id"], name="commitment_latest_status")]

    def __str__(self):
        return self.summary or self.slug

    def clean(self):
        super().clean()
        if self.pk is not None:
            stored = self._stored_statement_if_pledged()
            if stored is not None and stored != self.statement_id:
                # Its place in each thread follows its meeting: moving it would break their order.
                raise ValidationError(
                    {
                        "statement": "This commitment is in a recurring pledge: take it out before moving it "
                        "to another statement."
                    }
                )
        if self.currency and self.currency != self.currency.upper():
            raise ValidationError({"currency": "Use the upper-case ISO 4217 code, e.g. USD."})

    def _stored_statement_if_pledged(self):
        """The stored statement's id if the commitment is in a recurring pledge, else None. An import's
        bulk path reads both for a chunk at once and hands them in as `pledge_facts` (stored id, pledged)."""
        facts = self.pledge_facts
        if facts is not None:
            return facts[0] if facts[1] else None
        if not self.thread_entries.exists():
            return None
        return Commitment.objects.filter(pk=self.pk).values_list("statement_id", flat=True).first()

    def is_deletable(self):
        """Whether the commitment can be deleted: not once assessed, nor while in a recurring pledge."""
        return not self.assessments.exists() and not self.thread_entries.exists()


class ThreadEntryQuerySet(ReaderMixin, NaturalKeyQuerySet["ThreadEntry"]):
    def published(self) -> Self:
        """Entries readers may see: of a published commitment (a pledge shows only these)."""
        return self.filter(published_through("commitment__statement"))

    def entries_for(self, commitment_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """{commitment id: [its entries as {thread, position, change_kind}]} for a page of commitments, in one query."""
        entries: dict[int, list[dict[str, Any]]] = {}
        rows = (
            self.filter(commitment_id__in=commitment_ids)
            .order_by("thread__slug")
            .values_list("commitment_id", "thread__slug", "position", "change_kind")
        )
        for commitment_id, thread, position, change_kind in rows:
            entries.setdefault(commitment_id, []).append(
                {"thread": thread, "position": position, "change_kind": change_kind}
            )
        return entries

    def meeting_matrix(self) -> models.QuerySet[ThreadEntry, Mapping[str, Any]]:
        """Which recurring pledge appears at which meeting: one row per entry, in thread and meeting order."""
        return self.values(
            "thread__slug",
            "thread__title",
            "thread__line_of_effort__slug",
            "commitment__slug",
            "commitment__statement__meeting__slug",
            "position",
            "change_kind",
        ).order_by("thread__line_of_effort__position", "thread__slug", "position")

    def rule_problems(self) -> list[str]:
        """Every break of the threads' rules (`commitments.rules`) among these entries, naming thread and entry.

        One query, the entries read as plain rows; the seed builder and `generate_demo` call it on
        what they built, as `place_in_thread` checks each placement.
        """
        rows = self.order_by().values_list(
            "thread__slug",
            "commitment__slug",
            "position",
            "change_kind",
            "commitment__statement__meeting__start_date",
            "commitment__statement__position",
            "commitment__start",
        )
        return problems_by_thread(
            (thread, PlacedEntry(commitment, position, kind, tuple(order)))
            for thread, commitment, position, kind, *order in rows.iterator(chunk_size=10_000)
        )

    def in_line_of_effort(self, slug: str) -> Self:
        """Entries of the recurring pledges filed under one line of effort (the thread's line, not the quote's)."""
        return self.filter(thread__line_of_effort__slug=slug)

    def in_years(self, first: int | None = None, last: int | None = None) -> Self:
        """Entries whose commitment was made at a meeting held from year `first` to year `last` (either open)."""
        queryset = self
        if first is not None:
            queryset = queryset.filter(commitment__statement__meeting__start_date__year__gte=first)
        if last is not None:
            queryset = queryset.filter(commitment__statement__meeting__start_date__year__lte=last)
        return queryset

    def of_threads_matching(self, text: str) -> Self:
        """Every entry of the recurring pledges that `Thread.objects.search(text)` finds: whole rows, not cells."""
        if not text.strip():
            return self
        return self.filter(thread__in=Thread.objects.search(text).values("pk"))

    def at_meeting(self, meeting: Meeting) -> Self:
        """The recurring pledges made at one meeting: entries with thread, line of effort and commitment, in order.

        The statement text is never read: a list of pledges shows the quotes, not the text around them.
        """
        return (
            self.filter(commitment__statement__meeting=meeting)
            .select_related("thread__line_of_effort", "commitment__statement")
            .defer("commitment__statement__text")
            .order_by("thread__line_of_effort__position", "thread__title", "position")
        )

    def with_previous(self) -> Self:
        """Annotate each entry with its thread's previous entry's quote and strength (`previous_quote`,
        `previous_strength`; None for a first entry), which `ThreadEntry.suggested_change_kind()` reads.

        Subqueries in the same query: a page of entries gets its suggestions without a query per row.
        """
        previous = ThreadEntry.objects.filter(thread=OuterRef("thread"), position=OuterRef("position") - 1)
        return self.annotate(
            previous_quote=Subquery(previous.values("commitment__quote")[:1]),
            previous_strength=Subquery(previous.values("commitment__strength")[:1]),
        )

    def differing_from_suggestion(self) -> Self:
        """Entries whose curator's change kind differs from the suggested one.

        The suggestion is worked out in Python from the words of two quotes, so the entries are read
        once (one query, whatever their number) and the result is a filter on their ids.
        """
        rows = self.with_previous().values_list(
            "pk", "change_kind", "previous_quote", "previous_strength", "commitment__quote", "commitment__strength"
        )
        differing = [
            pk for pk, kind, *quotes_and_strengths in rows if suggest_change_kind(*quotes_and_strengths) != kind
        ]
        return self.filter(pk__in=differing)

    def at_meetings(self, meeting_ids: Iterable[int]) -> Self:
        """Entries whose commitment was made at one of these meetings (ids): the columns of a window of the matrix."""
        return self.filter(commitment__statement__meeting_id__in=meeting_ids)

    def rows_at_meeting(self, meeting: Meeting) -> models.QuerySet[ThreadEntry, Mapping[str, Any]]:
        """The recurring pledges made at one meeting, in `at_meeting()`'s order, as rows for a list.

        Rows, not instances: a meeting makes a hundred pledges, and a list shows six values of each. A
        pledge's rows come together (the order is by pledge, then position), for a list grouped by pledge.
        """
        return self.at_meeting(meeting).values(
            "thread__slug",
            "thread__title",
            "thread__line_of_effort__name",
            "commitment__slug",
            "commitment__quote",
            "position",
            "change_kind",
        )

    def places_for(self, commitment_ids: Iterable[int]) -> dict[int, list[Mapping[str, Any]]]:
        """{commitment id: [its places in recurring pledges as rows]}, each row with the pledge's slug and
        title, the position and the change kind; in one query, as `entries_for()` for the API."""
        places: dict[int, list[Mapping[str, Any]]] = {}
        rows = (
            self.filter(commitment_id__in=commitment_ids)
            .order_by("thread__slug")
            .values("commitment_id", "thread__slug", "thread__title", "position", "change_kind")
        )
        for row in rows:
            places.setdefault(row["commitment_id"], []).append(row)
        return places

    def of_threads(self, thread_ids: Iterable[int]) -> Self:
        """The entries of these pledges (ids) among entries narrowed by their meetings (a window's): each
        entry the meetings find is tested, the pledges' index is not read. Through that index a database
        reads every entry of the page's pledges to keep the few in the window: hundreds for a long
        pledge, growing with the record. (`thread_id + 0` has no index, so the plan starts at the meetings.)
        """
        return self.alias(thread_key=F("thread_id") + 0).filter(thread_key__in=thread_ids)

    def thread_ids_among(self) -> models.QuerySet[Thread, int]:
        """The ids of the recurring pledges these entries belong to, each once, in the matrix's order (what
        the matrix pages through), read from the entries' side, for entries few enough to list (a window
        of meetings): asking each pledge for one of its entries among these would read the whole of every
        pledge that has none (hundreds of entries, for a long one), growing with the record.
        """
        return (
            Thread.objects.filter(pk__in=self.values("thread_id"))
            .order_by("line_of_effort__position", "slug")
            .values_list("pk", flat=True)
        )

    def for_timeline(self, *, only: Sequence[str] | None = None) -> Self:
        """These entries in position order, each with commitment, statement and meeting, for a timeline and its
        wording differences: `only` the columns a reader names (ThreadEntry lookups, such as
        "commitment__quote"), else every column but the statement's text."""
        entries = self.select_related("commitment__statement__meeting")
        entries = entries.only("thread_id", "position", *only) if only else entries.defer("commitment__statement__text")
        return entries.order_by("position")

    def story_of(self, thread: Thread) -> Self:
        """A thread's entries in position order with what its public page shows of each: the commitment's
        quote, filing, deadline and money, its statement's title and digest, when and where its meeting was.

        Only those columns, joined in one query: read and turned into instances, the rest would cost
        more than the page's other queries together.
        """
        return (
            self.filter(thread=thread)
            .select_related("commitment__statement__meeting")
            .only(
                "thread_id",
                "position",
                "change_kind",
                "note",
                *(f"commitment__{name}" for name in STORY_COMMITMENT_FIELDS),
                "commitment__statement__slug",
                "commitment__statement__title",
                "commitment__statement__sha256",
                *(f"commitment__statement__meeting__{name}" for name in STORY_MEETING_FIELDS),
            )
            .order_by("position")
        )


class ThreadEntry(NaturalKeyModel):
    """A commitment's entry in a thread: its position in meeting order and how it changed from the previous one."""

    NATURAL_KEY = ("thread__slug", "commitment__slug")

    # Entries are curation of the thread: they go with it.
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="entries")
    # Taken out of a thread through remove_from_thread, which keeps the thread well opened, not
    # silently with the commitment: a commitment in a recurring pledge cannot be deleted.
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="thread_entries")
    position = models.PositiveSmallIntegerField(help_text="1 for the first commitment of the thread, in meeting order.")
    change_kind = models.CharField(max_length=15, choices=ChangeKind.choices)
    note = models.TextField(blank=True, help_text="What changed, in a curator's words.")

    history = TrackedHistory(bases=[AttributedHistory])
    objects = ThreadEntryQuerySet.as_manager()

    class Meta:
        ordering = ["thread", "position"]
        verbose_name = "place in a recurring pledge"
        verbose_name_plural = "places in recurring pledges"
        constraints = [
            models.UniqueConstraint(fields=["thread", "position"], name="threadentry_unique_position"),
            models.UniqueConstraint(fields=["thread", "commitment"], name="threadentry_unique_commitment"),
            models.CheckConstraint(condition=Q(position__gte=1), name="threadentry_position_positive"),
            models.CheckConstraint(condition=~Q(position=1) | Q(change_kind="new"), name="threadentry_first_is_new"),
        ]

    def __str__(self):
        return f"{self.thread} #{self.position}: {self.commitment.slug}"

    def suggested_change_kind(self):
        """The change kind the wording suggests, from `ThreadEntry.objects.with_previous()`'s annotations."""
        return suggest_change_kind(
            self.previous_quote, self.previous_strength, self.commitment.quote, self.commitment.strength
        )

    def differs_from_suggestion(self):
        """Whether the curator's change kind is not the suggested one (needs `with_previous()`)."""
        return self.change_kind != self.suggested_change_kind()
