"""Meetings, the statements issued at them, who took part, and the figures they cite."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Length

from core.models import AttributedHistory, NaturalKeyModel, NaturalKeyQuerySet, TrackedHistory
from core.spans import check_span, display_text, locate_span
from core.texts import (
    NEAR_DUPLICATE_SHARE,
    StatementTextError,
    check_statement_text,
    sha256_hex,
    shared_wording,
)

from .choices import (
    DatePrecision,
    FactsBasis,
    FigureMetric,
    MeetingFormat,
    MemberKind,
    MoneyStage,
    ParticipationRole,
    Qualifier,
    StatementKind,
)
from .drafts import PUBLISHED_STATEMENT, ReaderMixin, check_stays_published, published_through
from .periods import period_label


class StartYear(models.Func):
    """The year of a date column as an integer, computed by the database itself: `EXTRACT` on PostgreSQL,
    `strftime` on SQLite, where Django's `__year` calls a Python function for every row."""

    template = "CAST(EXTRACT(YEAR FROM %(expressions)s) AS integer)"
    output_field = models.IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(strftime(%s, {sql}) AS integer)", ("%Y", *params)


class MeetingQuerySet(ReaderMixin, NaturalKeyQuerySet["Meeting"]):
    def published(self) -> Self:
        """Meetings readers may see: not drafts (see `Meeting.draft`)."""
        return self.filter(draft=False)

    def in_order(self) -> Self:
        """Meetings in the order they took place."""
        return self.order_by("start_date", "slug")

    def per_year(self) -> models.QuerySet[Meeting, tuple[int, int]]:
        """(year, number of meetings) for every year with a meeting, in order: a window of years is chosen from it.

        The year is the database's own (`StartYear`): Django's year on SQLite calls Python once per row."""
        return (
            self.annotate(year=StartYear("start_date"))
            .values_list("year")
            .annotate(n=models.Count("pk"))
            .order_by("year")
        )

    def in_years(self, first: int | None = None, last: int | None = None) -> Self:
        """Meetings held from year `first` to year `last` (either open), as a date range the index can use."""
        queryset = self
        if first is not None:
            queryset = queryset.filter(start_date__gte=datetime.date(first, 1, 1))
        if last is not None:
            queryset = queryset.filter(start_date__lte=datetime.date(last, 12, 31))
        return queryset


class Meeting(NaturalKeyModel):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    format = models.CharField(max_length=20, choices=MeetingFormat.choices)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=100)
    start_date = models.DateField()
    end_date = models.DateField()
    date_precision = models.CharField(
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How precisely the sources date the meeting.",
    )
    facts_basis = models.CharField(
        max_length=10,
        choices=FactsBasis.choices,
        default=FactsBasis.TEXT,
        help_text="How the place and date are known.",
    )
    provenance_note = models.TextField(blank=True, help_text="Which source says what about place and date.")
    # A draft is curated out of readers' sight; publishing (`commitments.publishing.publish_meeting`)
    # checks it is complete and clears this, once: a published record stays published.
    draft = models.BooleanField(
        default=False,
        help_text="A draft, with its statements and everything quoting them, is seen by curators and "
        "auditors only, until it is published.",
    )

    history = TrackedHistory(bases=[AttributedHistory])
    objects = MeetingQuerySet.as_manager()

    # Set by publishing, not by a curator's form: read-only in the admin and the API (as an
    # assessment's review fields are).
    PUBLISHING_FIELDS = ("draft",)

    # The fields a curator writes; the API and the seed builder read this rather than restating it.
    CURATED_FIELDS = (
        "slug",
        "name",
        "format",
        "city",
        "country",
        "start_date",
        "end_date",
        "date_precision",
        "facts_basis",
        "provenance_note",
    )

    class Meta:
        ordering = ["start_date", "slug"]
        # Drafts are few: found through the first (publishing, the admin's filters). The meetings of a
        # window of years, and their count per year (`per_year`), are read from the second alone: a record
        # of thousands of meetings is never read row by row for them.
        indexes = [
            models.Index(fields=["draft"], name="meeting_draft"),
            models.Index(fields=["draft", "start_date"], name="meeting_draft_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="meeting_end_not_before_start"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "A meeting cannot end before it starts."})
        check_stays_published(self)

    def short_name(self):
        """City and year, for narrow columns: “Copenhagen 2020”."""
        return f"{self.city} {self.start_date.year}"

    def date_label(self):
        """The date as precisely as the sources give it: “24–25 June 2019”, “November 2016”, “2016”."""
        start, end = self.start_date, self.end_date
        if self.date_precision == DatePrecision.YEAR:
            return str(start.year)
        if self.date_precision == DatePrecision.MONTH:
            return f"{start:%B} {start.year}"
        if end == start or self.date_precision == DatePrecision.DAY:
            return f"{start.day} {start:%B} {start.year}"
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}–{end.day} {end:%B} {end.year}"
        if start.year == end.year:
            return f"{start.day} {start:%B} – {end.day} {end:%B} {end.year}"
        return f"{start.day} {start:%B} {start.year} – {end.day} {end:%B} {end.year}"


class StatementQuerySet(ReaderMixin, NaturalKeyQuerySet["Statement"]):
    def published(self) -> Self:
        """Statements readers may see: neither the statement nor its meeting a draft."""
        return self.filter(PUBLISHED_STATEMENT)

    def drafts(self) -> Self:
        """Statements readers may not see yet: the statement or its meeting a draft."""
        return self.exclude(PUBLISHED_STATEMENT)

    def listed(self) -> Self:
        """Statements for a list: meeting joined, text deferred, the quotes pointing into each counted."""
        return (
            self.select_related("meeting").defer("text").with_quote_counts().order_by("meeting__start_date", "position")
        )

    def nearly_identical_to(self, text: str) -> tuple[Statement, float] | None:
        """The statement among these whose wording `text` most shares, with the share, when it is at least
        `NEAR_DUPLICATE_SHARE` (`core.texts.shared_wording`); None when none is that close."""
        best: tuple[Statement, float] | None = None
        for statement in self.only("pk", "slug", "title", "text", "meeting_id"):
            share = shared_wording(text, statement.text)
            if share >= NEAR_DUPLICATE_SHARE and (best is None or share > best[1]):
                best = (statement, share)
        return best

    def with_quote_counts(self) -> Self:
        """Annotate `commitment_count` and `figure_count`: the quotes pointing into each statement.

        Each count is a subquery on an indexed foreign key: two counts cannot multiply each other
        through a double join, and no GROUP BY runs over every commitment.
        """
        return self.annotate(commitment_count=self._count_of("commitments"), figure_count=self._count_of("figures"))

    def listed_rows(self) -> models.QuerySet[Statement, Mapping[str, Any]]:
        """`listed()` as rows for a list of many statements: slug, title, kind, meeting id and the two counts."""
        # django-stubs checks values() against the model's fields and cannot see the counts that
        # `with_quote_counts()` annotates inside `listed()` (its `Self` carries no annotations).
        return self.listed().values(  # type: ignore[misc]
            "slug", "title", "kind", "meeting_id", "commitment_count", "figure_count"
        )

    def _count_of(self, related_name):
        # By the relation's name: this app never imports the apps that quote its statements.
        model = self.model._meta.get_field(related_name).related_model
        rows = model._default_manager.filter(statement=OuterRef("pk")).order_by().values("statement")
        return Coalesce(Subquery(rows.annotate(n=models.Count("pk")).values("n")), 0)


class Statement(NaturalKeyModel):
    slug = models.SlugField(max_length=100, unique=True)
    # Statements are the evidence everything else points into: never cascade.
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="statements")
    position = models.PositiveSmallIntegerField(default=1, help_text="Order among the meeting's statements.")
    kind = models.CharField(max_length=20, choices=StatementKind.choices)
    title = models.CharField(max_length=300)
    issuer = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    source_file = models.CharField(max_length=200, blank=True, help_text="Name of the captured file.")
    issued_on = models.DateField(null=True, blank=True)
    issued_on_basis = models.CharField(max_length=10, choices=FactsBasis.choices, default=FactsBasis.TEXT)
    note = models.TextField(blank=True)
    text = models.TextField(help_text="The verbatim text as captured. It cannot change once quoted.")
    sha256 = models.CharField(max_length=64, editable=False, help_text="SHA-256 of the text's UTF-8 bytes.")
    # Its own flag, for a statement added to a meeting already published; a statement of a draft
    # meeting is unpublished whatever this says (`PUBLISHED_STATEMENT`), and is published with it.
    draft = models.BooleanField(
        default=False,
        help_text="A draft, and everything quoting it, is seen by curators and auditors only, "
        "until its meeting is published.",
    )

    history = TrackedHistory(bases=[AttributedHistory])
    objects = StatementQuerySet.as_manager()

    PUBLISHING_FIELDS = ("draft",)

    # The fields a curator writes (the digest is computed); the admin's form, the API and the seed
    # builder read this rather than restating it.
    CURATED_FIELDS = (
        "slug",
        "meeting",
        "position",
        "kind",
        "title",
        "issuer",
        "publisher",
        "source_url",
        "source_file",
        "issued_on",
        "issued_on_basis",
        "note",
        "text",
    )

    class Meta:
        ordering = ["meeting__start_date", "position"]
        # Drafts are few, found without reading a statement's row (its text comes first).
        indexes = [models.Index(fields=["draft"], name="statement_draft")]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="statement_text_not_empty"),
            models.UniqueConstraint(fields=["meeting", "position"], name="statement_unique_position_in_meeting"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # The digest is derived from the text, so it is computed, never typed.
        self.sha256 = sha256_hex(self.text)
        self.check_text_unchanged()
        if kwargs.get("update_fields") is not None and "text" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "sha256"}
        super().save(*args, **kwargs)

    def clean(self):
        try:
            check_statement_text(self.text)
        except StatementTextError as exc:
            raise ValidationError({"text": str(exc)}) from None
        self.check_text_unchanged()
        check_stays_published(self)

    def is_published(self):
        """Whether readers may see it: neither it nor its meeting a draft."""
        return not self.draft and not self.meeting.draft

    def check_text_unchanged(self):
        """Refuse a change of text, or of meeting, once commitments, figures or participation quote it."""
        if self.pk is None:
            return
        stored = Statement.objects.filter(pk=self.pk).values_list("text", "meeting_id").first()
        if stored is None or not self.is_quoted():
            return
        if stored[1] != self.meeting_id:
            # Participation records and thread positions follow the statement's meeting.
            raise ValidationError({"meeting": "This statement is quoted: it cannot move to another meeting."})
        if stored[0] != self.text:
            raise ValidationError(
                {
                    "text": "This statement's text is quoted by commitments, figures or participation records "
                    "and cannot change."
                }
            )

    def is_quoted(self):
        """Whether anything points into this statement's text."""
        return (
            self.commitments.exists()
            or self.figures.exists()
            or self.participations.filter(start__isnull=False).exists()
        )

    def text_matches_digest(self):
        """Whether the stored SHA-256 is the digest of the stored text."""
        return self.sha256 == sha256_hex(self.text)

    def excerpt(self, start, end):
        """The text between two character offsets, refusing offsets outside the text."""
        if not (0 <= start < end <= len(self.text)):
            raise ValidationError(f"Offsets {start}-{end} are outside the text (0-{len(self.text)}).")
        return self.text[start:end]

    def locate(self, quote):
        """The (start, end) offsets of a quote that stands for one place of the text.

        Spaces, line breaks, quotation marks and dashes may differ from the text's (see `core.spans`).
        """
        return locate_span(self, quote)


class QuotedSpan(NaturalKeyModel):
    """An exact quote, held as character offsets into a statement's text."""

    # Statements are evidence: a quoted statement cannot be deleted.
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="%(class)ss")
    start = models.PositiveIntegerField(help_text="Offset of the quote's first character (0-based, in characters).")
    end = models.PositiveIntegerField(help_text="Offset just past the quote's last character.")
    quote = models.TextField(help_text="Exactly the statement's text between the offsets.")

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="%(app_label)s_%(class)s_start_before_end"),
            # The stored quote is as long as its span: a cheap guard the database can hold.
            models.CheckConstraint(
                condition=Q(end=F("start") + Length("quote")), name="%(app_label)s_%(class)s_quote_fills_span"
            ),
        ]

    def clean(self):
        super().clean()
        if self.statement_id is not None:
            check_span(self.statement, self.start, self.end, self.quote)

    def quote_matches(self):
        """Whether the quote is still exactly the statement's text at its offsets."""
        return self.statement.text[self.start : self.end] == self.quote

    def display_quote(self):
        """The quote cleaned of capture artefacts, for reading only."""
        return display_text(self.quote)


class MemberQuerySet(NaturalKeyQuerySet["Member"]):
    def with_conflicting_joins(self) -> Self:
        """Members that sources welcome as new at more than one meeting."""
        return self.annotate(
            join_meetings=models.Count(
                "participations__meeting", filter=Q(participations__role=ParticipationRole.NEW_MEMBER), distinct=True
            )
        ).filter(join_meetings__gt=1)


class Member(NaturalKeyModel):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=MemberKind.choices, default=MemberKind.STATE)

    CURATED_FIELDS = ("slug", "name", "kind")

    history = TrackedHistory(bases=[AttributedHistory])
    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


EXTERNAL_SOURCE = "external"


class ParticipationQuerySet(ReaderMixin, NaturalKeyQuerySet["Participation"]):
    def published(self) -> Self:
        """Records readers may see: of a published meeting, and from a published statement where one says so."""
        return self.filter(Q(meeting__draft=False) & (Q(statement__isnull=True) | Q(statement__draft=False)))

    def get_by_key(self, key: str) -> Participation:
        """The record a `meeting~member~role~statement` key addresses (`external` for no statement)."""
        parts = key.split("~")
        if len(parts) != 4:
            raise self.model.DoesNotExist(f"{key!r} is not meeting~member~role~statement")
        meeting, member, role, statement = parts
        return self.get_by_natural_key(meeting, member, role, None if statement == EXTERNAL_SOURCE else statement)

    def at_meeting(self, meeting: Meeting) -> Self:
        """Who took part in one meeting, as each source says it: member and statement joined, text deferred."""
        return (
            self.filter(meeting=meeting)
            .select_related("member", "statement")
            .defer("statement__text")
            .order_by("role", "member__name", "statement__position")
        )

    def conflicting_joins(self, meeting: Meeting | None = None) -> Self:
        """Every record of a member joining, for the members that sources welcome as new at more than one meeting.

        With a meeting: only for the members that take part in it (their joins at other meetings included).
        Counted among these records only: after `published()`, a draft's joins neither show nor conflict.
        """
        joins = self.filter(role=ParticipationRole.NEW_MEMBER)
        meetings = joins.order_by().values("member").annotate(n=models.Count("meeting", distinct=True))
        queryset = joins.filter(member__in=meetings.filter(n__gt=1).values("member"))
        if meeting is not None:
            queryset = queryset.filter(member__in=self.filter(meeting=meeting).values("member"))
        return (
            queryset.select_related("meeting", "member", "statement")
            .defer("statement__text")
            .order_by("member__name", "meeting__start_date", "statement__position")
        )


class Participation(NaturalKeyModel):
    """What one source says of one member's part in one meeting; sources may disagree."""

    NATURAL_KEY = ("meeting__slug", "member__slug", "role", "statement__slug")

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="participations")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=20, choices=ParticipationRole.choices)
    # The statement that says so; empty when the fact comes from outside the five texts.
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="participations", null=True, blank=True
    )
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    quote = models.TextField(blank=True)
    note = models.TextField(blank=True, help_text="How this is known when the statement does not say it.")

    CURATED_FIELDS = ("meeting", "member", "role", "statement", "quote", "start", "end", "note")

    history = TrackedHistory(bases=[AttributedHistory])
    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["meeting__start_date", "member__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member", "role", "statement"],
                condition=Q(statement__isnull=False),
                name="participation_unique_per_source",
            ),
            models.UniqueConstraint(
                fields=["meeting", "member", "role"],
                condition=Q(statement__isnull=True),
                name="participation_unique_without_source",
            ),
            models.CheckConstraint(
                condition=(Q(start__isnull=True) & Q(end__isnull=True) & Q(quote=""))
                | (Q(start__lt=F("end")) & Q(statement__isnull=False) & Q(end=F("start") + Length("quote"))),
                name="participation_quote_fills_span",
            ),
        ]

    def __str__(self):
        return f"{self.member} – {self.get_role_display().lower()} – {self.meeting}"

    def key(self):
        """The record's address in the API: `meeting~member~role~statement`."""
        meeting, member, role, statement = self.natural_key()
        return "~".join([meeting, member, role, statement or EXTERNAL_SOURCE])

    def clean(self):
        if (
            self.statement_id is not None
            and self.meeting_id is not None
            and self.statement.meeting_id != self.meeting_id
        ):
            raise ValidationError({"statement": "This statement was issued at another meeting."})
        if self.quote or self.start is not None or self.end is not None:
            if self.statement_id is None:
                raise ValidationError({"statement": "A quote needs the statement it comes from."})
            check_span(self.statement, self.start, self.end, self.quote)


class FigureQuerySet(ReaderMixin, NaturalKeyQuerySet["Figure"]):
    def published(self) -> Self:
        """Figures readers may see: quoting a published statement."""
        return self.filter(published_through("statement"))

    def series(self, metric: str) -> Self:
        """One metric's figures in the order of the dates they are about, for a series across meetings.

        Each is annotated with `as_of`: the last day of the period it is about where it was recorded,
        else its meeting's first day (a figure the text does not date is about its statement's time).
        """
        return (
            self.filter(metric=metric)
            .select_related("statement__meeting")
            .defer("statement__text")
            .annotate(as_of=Coalesce("about_to", "statement__meeting__start_date"))
            .order_by("as_of", "statement__meeting__start_date", "statement__position", "start")
        )

    def latest_in_series(self, metric: str) -> Self:
        """One metric's figures, newest first, each annotated with `series_total`: how many the whole series has.

        A page slices the latest few and still says how long the series is, in one query.
        """
        return self.series(metric).reverse().annotate(series_total=models.Window(expression=models.Count("pk")))


class Figure(QuotedSpan):
    """A quantitative claim in a statement, with its hedge kept."""

    slug = models.SlugField(max_length=120, unique=True)
    metric = models.CharField(max_length=30, choices=FigureMetric.choices)
    # Empty when the text gives no single number ("tens of thousands"): never invent one.
    value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=50)
    qualifier = models.CharField(max_length=20, choices=Qualifier.choices, default=Qualifier.EXACT)
    # Money is promised, then gathered, then spent: a sum says which, where the text does.
    stage = models.CharField(
        max_length=20,
        choices=MoneyStage.choices,
        blank=True,
        help_text="For funds: whether the money is committed, raised or disbursed, as the text says. "
        "Empty when the text does not say, and for any other metric.",
    )
    # The date or period the figure describes, where the text says so (“a 12-member Coalition back in
    # 2014”); both empty, the figure is about its statement's time. A year is written 1 January to
    # 31 December, a month its first to its last day: the labels read the precision from the dates.
    about_from = models.DateField(
        null=True,
        blank=True,
        help_text="First day of the date or period the figure is about, where the text says so "
        "(a year from 1 January, a month from its 1st). Empty: as of its statement.",
    )
    about_to = models.DateField(
        null=True,
        blank=True,
        help_text="Last day of that date or period (a year to 31 December, a month to its last day). "
        "Empty with a first day: since then, up to the statement.",
    )
    note = models.TextField(blank=True)

    CURATED_FIELDS = (
        "slug",
        "statement",
        "quote",
        "start",
        "end",
        "metric",
        "value",
        "unit",
        "qualifier",
        "stage",
        "about_from",
        "about_to",
        "note",
    )

    history = TrackedHistory(bases=[AttributedHistory])
    objects = FigureQuerySet.as_manager()

    class Meta(QuotedSpan.Meta):
        ordering = ["statement__meeting__start_date", "statement__position", "start"]
        constraints = [
            *QuotedSpan.Meta.constraints,
            models.CheckConstraint(
                condition=Q(about_from__isnull=True) | Q(about_to__isnull=True) | Q(about_to__gte=F("about_from")),
                name="figure_about_to_not_before_from",
            ),
            models.CheckConstraint(condition=Q(stage="") | Q(metric="funds"), name="figure_stage_only_for_funds"),
        ]

    def __str__(self):
        value = f"{self.value.normalize():f}" if self.value is not None else "(no single number)"
        return f"{self.get_metric_display()}: {self.get_qualifier_display()} {value} {self.unit}"

    def clean(self):
        super().clean()
        if self.about_from and self.about_to and self.about_to < self.about_from:
            raise ValidationError({"about_to": "The period cannot end before it begins."})
        if self.stage and self.metric != FigureMetric.FUNDS:
            raise ValidationError({"stage": "Only a sum of money (metric: funds) has a stage."})

    def about_label(self):
        """The date or period the text says the figure is about (“2014”), empty when it says none."""
        return period_label(self.about_from, self.about_to)
