import django_filters as filters

from tracker.filters import BooleanFilter, YearFilter

from .models import (
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


class MeetingFilter(filters.FilterSet):
    year = YearFilter(field_name="start_date")
    # Not `format`: DRF reads `?format=` to choose the response format (json, csv, api).
    meeting_format = filters.ChoiceFilter(field_name="format", choices=MeetingFormat.choices, lookup_expr="exact")
    country = filters.CharFilter(field_name="country", lookup_expr="iexact")

    class Meta:
        model = Meeting
        fields = []


class StatementFilter(filters.FilterSet):
    meeting = filters.CharFilter(field_name="meeting__slug", lookup_expr="exact")
    kind = filters.ChoiceFilter(choices=StatementKind.choices, lookup_expr="exact")
    year = YearFilter(field_name="meeting__start_date")

    class Meta:
        model = Statement
        fields = []


class FigureFilter(filters.FilterSet):
    metric = filters.ChoiceFilter(choices=FigureMetric.choices, lookup_expr="exact")
    qualifier = filters.ChoiceFilter(choices=Qualifier.choices, lookup_expr="exact")
    meeting = filters.CharFilter(field_name="statement__meeting__slug", lookup_expr="exact")
    statement = filters.CharFilter(field_name="statement__slug", lookup_expr="exact")

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
        conflicting = Member.objects.with_conflicting_joins().values("pk")
        return queryset.filter(pk__in=conflicting) if value else queryset.exclude(pk__in=conflicting)


class ParticipationFilter(filters.FilterSet):
    meeting = filters.CharFilter(field_name="meeting__slug", lookup_expr="exact")
    member = filters.CharFilter(field_name="member__slug", lookup_expr="exact")
    role = filters.ChoiceFilter(choices=ParticipationRole.choices, lookup_expr="exact")
    statement = filters.CharFilter(field_name="statement__slug", lookup_expr="exact")

    class Meta:
        model = Participation
        fields = []
