"""The FilterSets of the lists read as of a date (`?as_of=`, `api.past_reads`): today's filters on the rows of then.

Each reads the fields of then: a record's own columns, the values of then its rows are annotated with (see
`meetings.past`), and a slug names the record that had it then (`PastMixin.id_then`, a 400 when none had).
`changed_since` is refused with `as_of` (`PastMixin`).
"""

import django_filters as filters

from commitments.models import LineOfEffort
from meetings.choices import FigureMetric, MemberKind, ParticipationRole, Qualifier, StatementKind
from meetings.models import Figure, Meeting, Member, Participation, Statement
from meetings.past import members_whose_sources_disagree_as_of

from .filters import BooleanFilter, FilterBackend, PastMixin, YearFilter
from .permissions import sees_drafts


class PastFilterBackend(FilterBackend):
    """The filter backend with the view's FilterSet for the rows of then (`past_filterset_class`)."""

    def get_filterset_class(self, view, queryset=None):
        return view.past_filterset_class


class PastStatementFilter(PastMixin, filters.FilterSet):
    """StatementFilter's filters on the statements as they stood at a moment (`meetings.past.statements_as_of`)."""

    meeting = filters.CharFilter(method="filter_meeting")
    kind = filters.ChoiceFilter(choices=StatementKind.choices, lookup_expr="exact")
    year = YearFilter(field_name="meeting__start_date")  # the meeting's date then (an annotation)

    class Meta:
        model = Statement.history.model
        fields = []

    def filter_meeting(self, queryset, name, value):
        return queryset.filter(meeting_id=self.id_then(Meeting, name, value))


class PastFigureFilter(PastMixin, filters.FilterSet):
    """FigureFilter's filters on the figures as they stood at a moment (`meetings.past.figures_as_of`)."""

    metric = filters.ChoiceFilter(choices=FigureMetric.choices, lookup_expr="exact")
    qualifier = filters.ChoiceFilter(choices=Qualifier.choices, lookup_expr="exact")
    meeting = filters.CharFilter(method="filter_meeting")
    statement = filters.CharFilter(method="filter_statement")

    class Meta:
        model = Figure.history.model
        fields = []

    def filter_meeting(self, queryset, name, value):
        return queryset.filter(meeting_id=self.id_then(Meeting, name, value))  # its statement's meeting then

    def filter_statement(self, queryset, name, value):
        return queryset.filter(statement_id=self.id_then(Statement, name, value))


class PastMemberFilter(PastMixin, filters.FilterSet):
    """MemberFilter's filters on the members as they stood at a moment: `sources_disagree` counts the joins a
    reader could read then."""

    kind = filters.ChoiceFilter(choices=MemberKind.choices, lookup_expr="exact")
    sources_disagree = BooleanFilter(method="filter_sources_disagree")

    class Meta:
        model = Member.history.model
        fields = []

    def filter_sources_disagree(self, queryset, name, value):
        disagreeing = members_whose_sources_disagree_as_of(self.moment(), sees_drafts=sees_drafts(self.request))
        return queryset.filter(id__in=disagreeing) if value else queryset.exclude(id__in=disagreeing)


class PastParticipationFilter(PastMixin, filters.FilterSet):
    """ParticipationFilter's filters on the records as they stood at a moment (`meetings.past`)."""

    meeting = filters.CharFilter(method="filter_meeting")
    member = filters.CharFilter(method="filter_member")
    role = filters.ChoiceFilter(choices=ParticipationRole.choices, lookup_expr="exact")
    statement = filters.CharFilter(method="filter_statement")

    class Meta:
        model = Participation.history.model
        fields = []

    def filter_meeting(self, queryset, name, value):
        return queryset.filter(meeting_id=self.id_then(Meeting, name, value))

    def filter_member(self, queryset, name, value):
        return queryset.filter(member_id=self.id_then(Member, name, value))

    def filter_statement(self, queryset, name, value):
        return queryset.filter(statement_id=self.id_then(Statement, name, value))


class PastLineOfEffortFilter(PastMixin, filters.FilterSet):
    """The lines of effort have no filter today; as of a date, `changed_since` is refused (`PastMixin`)."""

    class Meta:
        model = LineOfEffort.history.model
        fields = []
