"""The filter backend, the filters shared by every API list, and one FilterSet per resource."""

import django_filters as filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from commitments.models import (
    Assessment,
    AssessmentCycle,
    ChangeKind,
    Commitment,
    FundingStage,
    ImplementationStatus,
    LineOfEffort,
    MemberScore,
    ReviewState,
    Strength,
    Thread,
    ThreadEntry,
    Verdict,
)
from commitments.past_assessments import latest_status_then
from commitments.past_lists import id_then, placed_then
from commitments.past_search import commitments_matching_then
from core import when as moments
from meetings.models import (
    Figure,
    FigureMetric,
    Meeting,
    MeetingFormat,
    Member,
    MemberKind,
    Participation,
    ParticipationRole,
    Qualifier,
    Statement,
    StatementKind,
)

from .as_of import requested_moment
from .permissions import sees_drafts


class FilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request names none of the FilterSet's parameters.

    Building a FilterSet deep-copies its filters and validates a form: about 4 ms on the
    commitments list, more than serializing the page. Without a filter parameter there is
    nothing for it to do. The schema still lists every filter (this is the same backend).
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not any(name in request.query_params for name in filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 9999})
class YearFilter(filters.NumberFilter):
    """A whole year from 1 to 9999 (a date's year): anything else is a 400, not a server error."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "year")
        super().__init__(*args, min_value=1, max_value=9999, **kwargs)


class StrictBooleanField(forms.Field):
    """true/false (also 1/0); any other value is an error instead of silently no filter."""

    TRUE, FALSE = {"true", "1"}, {"false", "0"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class BooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


@extend_schema_field({"type": "string"})
class SlugFilter(filters.ModelChoiceFilter):
    """A related record named by its slug: a slug no record has is a 400 naming the parameter, not an empty list.

    `field_name` is the relation (e.g. `statement__meeting`); the filter compares the record found.
    """

    def __init__(self, model, *args, **kwargs):
        name = model._meta.verbose_name
        kwargs.setdefault("help_text", f"{name.capitalize()} slug.")

        def readable(request):
            # A draft's slug is as unknown as any other to a reader who may not see drafts (`meetings.drafts`).
            rows = model._default_manager.only("pk", "slug")
            if hasattr(rows, "for_reader"):
                rows = rows.for_reader(request is not None and sees_drafts(request))
            return rows

        super().__init__(
            *args,
            queryset=readable,
            to_field_name="slug",
            error_messages={"invalid_choice": f"No {name} has the slug “%(value)s”."},
            **kwargs,
        )


class MeetingFilter(filters.FilterSet):
    year = YearFilter(field_name="start_date")
    # Not `format`: DRF reads `?format=` to choose the response format (json, csv, api).
    meeting_format = filters.ChoiceFilter(field_name="format", choices=MeetingFormat.choices, lookup_expr="exact")
    country = filters.CharFilter(field_name="country", lookup_expr="iexact")

    class Meta:
        model = Meeting
        fields = []


class RefusedAsOf(filters.CharFilter):
    """A filter a list as of a date cannot answer as it stood then: a 400 naming it, never the present applied."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, method=self.refuse, **kwargs)

    def refuse(self, queryset, name, value):
        raise ValidationError(
            {name: [f"{name} cannot be read as of a past date (yet): leave it out, or leave out as_of."]}
        )


class PastMixin(filters.FilterSet):
    """What a FilterSet on the rows of a moment (`?as_of=`) reads: the moment, and a record's key by its slug then."""

    # Read from the change feed of now: no list as of a date can say what had changed since a moment before it.
    changed_since = RefusedAsOf()

    def moment(self):
        return requested_moment(self.request)

    def id_then(self, model, name, slug):
        """The key of the `model` record with this slug then, or a 400 naming the parameter (as `SlugFilter`)."""
        found = id_then(model, slug, self.moment(), sees_drafts=sees_drafts(self.request))
        if found is None:
            label = moments.label(self.moment())
            raise ValidationError({name: [f"No {model._meta.verbose_name} had the slug “{slug}” as of {label}."]})
        return found


class PastMeetingFilter(PastMixin, MeetingFilter):
    """The same filters on the meetings as they stood at a moment (their historical rows, `meetings.past`):
    each filter reads the meeting's own fields of then."""

    class Meta(MeetingFilter.Meta):
        model = Meeting.history.model


class StatementFilter(filters.FilterSet):
    meeting = SlugFilter(Meeting, field_name="meeting")
    kind = filters.ChoiceFilter(choices=StatementKind.choices, lookup_expr="exact")
    year = YearFilter(field_name="meeting__start_date")

    class Meta:
        model = Statement
        fields = []


class FigureFilter(filters.FilterSet):
    metric = filters.ChoiceFilter(choices=FigureMetric.choices, lookup_expr="exact")
    qualifier = filters.ChoiceFilter(choices=Qualifier.choices, lookup_expr="exact")
    meeting = SlugFilter(Meeting, field_name="statement__meeting")
    statement = SlugFilter(Statement, field_name="statement")

    class Meta:
        model = Figure
        fields = []


class MemberFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=MemberKind.choices, lookup_expr="exact")
    sources_disagree = BooleanFilter(
        method="filter_sources_disagree", help_text="Welcomed as new by sources at more than one meeting."
    )

    class Meta:
        model = Member
        fields = []

    def filter_sources_disagree(self, queryset, name, value):
        # Counted among the joins the reader may see: a draft's join neither shows nor conflicts.
        joins = Participation.objects.for_reader(sees_drafts(self.request))
        conflicting = joins.conflicting_joins().values("member")
        return queryset.filter(pk__in=conflicting) if value else queryset.exclude(pk__in=conflicting)


class ParticipationFilter(filters.FilterSet):
    meeting = SlugFilter(Meeting, field_name="meeting")
    member = SlugFilter(Member, field_name="member")
    role = filters.ChoiceFilter(choices=ParticipationRole.choices, lookup_expr="exact")
    statement = SlugFilter(Statement, field_name="statement")

    class Meta:
        model = Participation
        fields = []


class CommitmentFilter(filters.FilterSet):
    meeting = SlugFilter(Meeting, field_name="statement__meeting")
    statement = SlugFilter(Statement, field_name="statement")
    year = YearFilter(field_name="statement__meeting__start_date")
    date_after = filters.DateFilter(
        field_name="statement__meeting__start_date", lookup_expr="gte", help_text="Meetings on or after this date."
    )
    date_before = filters.DateFilter(
        field_name="statement__meeting__start_date", lookup_expr="lte", help_text="Meetings on or before this date."
    )
    line_of_effort = SlugFilter(LineOfEffort, field_name="line_of_effort")
    thread = SlugFilter(Thread, method="filter_thread", help_text="Recurring pledge slug.")
    has_thread = BooleanFilter(method="filter_has_thread", help_text="In any recurring pledge, or in none.")
    strength = filters.ChoiceFilter(choices=Strength.choices, lookup_expr="exact")
    change_kind = filters.ChoiceFilter(
        choices=ChangeKind.choices, method="filter_change_kind", help_text="How it changed in any of its threads."
    )
    status = filters.ChoiceFilter(
        choices=ImplementationStatus.choices, method="filter_status", help_text="Status of the newest assessment."
    )
    actor = filters.CharFilter(field_name="actor", lookup_expr="icontains")
    q = filters.CharFilter(
        method="filter_q",
        help_text="Words, each found in the quote, the summary or the line of effort's name, in any order; "
        "word forms, both spellings (-ise/-ize) and the curated synonyms alike (commitments/synonyms.yaml).",
    )

    class Meta:
        model = Commitment
        fields = []

    # Thread conditions go through a subquery, so a commitment in two threads is listed once.
    def filter_thread(self, queryset, name, value):
        return queryset.filter(pk__in=ThreadEntry.objects.filter(thread=value).values("commitment_id"))

    def filter_has_thread(self, queryset, name, value):
        return queryset.in_any_thread(value)

    def filter_change_kind(self, queryset, name, value):
        return queryset.filter(pk__in=ThreadEntry.objects.filter(change_kind=value).values("commitment_id"))

    def filter_status(self, queryset, name, value):
        # The stored status (`Commitment.latest_status`), through its index.
        return queryset.filter(latest_status=value)

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class PastCommitmentFilter(PastMixin, filters.FilterSet):
    """CommitmentFilter's filters on the commitments as they stood at a moment (`commitments.past_lists`): each
    reads the fields of then (a slug names the record that had it then), `status` the newest approved assessment
    then, `q` the texts of then (`commitments.past_search`)."""

    meeting = filters.CharFilter(method="filter_meeting")
    statement = filters.CharFilter(method="filter_statement")
    year = YearFilter(field_name="meeting_start_date")
    date_after = filters.DateFilter(field_name="meeting_start_date", lookup_expr="gte")
    date_before = filters.DateFilter(field_name="meeting_start_date", lookup_expr="lte")
    line_of_effort = filters.CharFilter(method="filter_line_of_effort")
    thread = filters.CharFilter(method="filter_thread")
    has_thread = BooleanFilter(method="filter_has_thread")
    strength = filters.ChoiceFilter(choices=Strength.choices, lookup_expr="exact")
    change_kind = filters.ChoiceFilter(choices=ChangeKind.choices, method="filter_change_kind")
    status = filters.ChoiceFilter(choices=ImplementationStatus.choices, method="filter_status")
    actor = filters.CharFilter(field_name="actor", lookup_expr="icontains")
    q = filters.CharFilter(method="filter_q")

    class Meta:
        model = Commitment.history.model
        fields = []

    def filter_meeting(self, queryset, name, value):
        return queryset.filter(meeting_id=self.id_then(Meeting, name, value))

    def filter_statement(self, queryset, name, value):
        return queryset.filter(statement_id=self.id_then(Statement, name, value))

    def filter_line_of_effort(self, queryset, name, value):
        return queryset.filter(line_of_effort_id=self.id_then(LineOfEffort, name, value))

    def filter_thread(self, queryset, name, value):
        return queryset.filter(id__in=placed_then(self.moment(), thread_id=self.id_then(Thread, name, value)))

    def filter_has_thread(self, queryset, name, value):
        placed = placed_then(self.moment())
        return queryset.filter(id__in=placed) if value else queryset.exclude(id__in=placed)

    def filter_change_kind(self, queryset, name, value):
        return queryset.filter(id__in=placed_then(self.moment(), change_kind=value))

    def filter_status(self, queryset, name, value):
        return queryset.annotate(status_then=latest_status_then(self.moment())).filter(status_then=value)

    def filter_q(self, queryset, name, value):
        return commitments_matching_then(queryset, value, self.moment())


class ThreadFilter(filters.FilterSet):
    line_of_effort = SlugFilter(LineOfEffort, field_name="line_of_effort")
    q = filters.CharFilter(
        method="filter_q",
        help_text="Words, each found in the title, the description, the line of effort's name or any of its "
        "commitments, in any order; as the commitments' `q` reads them.",
    )

    class Meta:
        model = Thread
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class PastThreadFilter(PastMixin, filters.FilterSet):
    """ThreadFilter's filters on the pledges as they stood at a moment (`commitments.past_lists`): the line of
    effort is the one with that slug then; `q` is refused."""

    line_of_effort = filters.CharFilter(method="filter_line_of_effort")
    q = RefusedAsOf()

    class Meta:
        model = Thread.history.model
        fields = []

    def filter_line_of_effort(self, queryset, name, value):
        return queryset.filter(line_of_effort_id=self.id_then(LineOfEffort, name, value))


class AssessmentFilter(filters.FilterSet):
    commitment = SlugFilter(Commitment, field_name="commitment")
    status = filters.ChoiceFilter(choices=ImplementationStatus.choices, lookup_expr="exact")
    funding_stage = filters.ChoiceFilter(choices=FundingStage.choices, lookup_expr="exact")
    assessed_after = filters.DateFilter(field_name="assessed_on", lookup_expr="gte")
    assessed_before = filters.DateFilter(field_name="assessed_on", lookup_expr="lte")
    cycle = SlugFilter(AssessmentCycle, field_name="cycle")
    verdict = filters.ChoiceFilter(choices=Verdict.choices, lookup_expr="exact")
    review_state = filters.ChoiceFilter(choices=ReviewState.choices, lookup_expr="exact")
    member = SlugFilter(
        Member, method="filter_member", help_text="Member slug: the assessments that score this member."
    )
    # The commitment's own line of effort and meeting: the rows of the verdicts aggregate, listed.
    line_of_effort = SlugFilter(LineOfEffort, field_name="commitment__line_of_effort")
    meeting = SlugFilter(Meeting, field_name="commitment__statement__meeting")

    class Meta:
        model = Assessment
        fields = []

    def filter_member(self, queryset, name, value):
        # A subquery on the scores' member key: each assessment once, however it is ordered.
        return queryset.filter(pk__in=MemberScore.objects.filter(member=value).values("assessment_id"))
