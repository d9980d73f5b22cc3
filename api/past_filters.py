"""The FilterSets of the lists read as of a date (`?as_of=`, `api.past_reads`): today's filters on the rows of then.

The assessments', cycles' and evidence lists read theirs on the rows of `commitments.past_assessments`.

Each reads the fields of then: a record's own columns, the values of then its rows are annotated with (see
`meetings.past`), and a slug names the record that had it then (`PastMixin.id_then`, a 400 when none had).
`changed_since` is refused with `as_of` (`PastMixin`).
"""

import django_filters as filters

from commitments.models import (
    Assessment,
    AssessmentCycle,
    Commitment,
    Evidence,
    FundingStage,
    ImplementationStatus,
    LineOfEffort,
    MemberScore,
    ReviewState,
    Verdict,
)
from core.as_of import standing
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


class PastAssessmentFilter(PastMixin, filters.FilterSet):
    """AssessmentFilter's filters on the assessments as they stood at a moment: the fields of then; the member
    scored, the commitment's line of effort and meeting as they stood then."""

    commitment = filters.CharFilter(method="filter_commitment")
    status = filters.ChoiceFilter(choices=ImplementationStatus.choices, lookup_expr="exact")
    funding_stage = filters.ChoiceFilter(choices=FundingStage.choices, lookup_expr="exact")
    assessed_after = filters.DateFilter(field_name="assessed_on", lookup_expr="gte")
    assessed_before = filters.DateFilter(field_name="assessed_on", lookup_expr="lte")
    cycle = filters.CharFilter(method="filter_cycle")
    verdict = filters.ChoiceFilter(choices=Verdict.choices, lookup_expr="exact")
    review_state = filters.ChoiceFilter(choices=ReviewState.choices, lookup_expr="exact")
    member = filters.CharFilter(method="filter_member")
    line_of_effort = filters.CharFilter(method="filter_line_of_effort")
    meeting = filters.CharFilter(method="filter_meeting")

    class Meta:
        model = Assessment.history.model
        fields = []

    def filter_commitment(self, queryset, name, value):
        return queryset.filter(commitment_id=self.id_then(Commitment, name, value))

    def filter_cycle(self, queryset, name, value):
        return queryset.filter(cycle_id=self.id_then(AssessmentCycle, name, value))

    def filter_member(self, queryset, name, value):
        scoring = standing(MemberScore, self.moment()).filter(member_id=self.id_then(Member, name, value))
        return queryset.filter(id__in=scoring.values("assessment_id"))

    def filter_line_of_effort(self, queryset, name, value):
        filed = standing(Commitment, self.moment()).filter(line_of_effort_id=self.id_then(LineOfEffort, name, value))
        return queryset.filter(commitment_id__in=filed.values("id"))

    def filter_meeting(self, queryset, name, value):
        when = self.moment()
        statements = standing(Statement, when).filter(meeting_id=self.id_then(Meeting, name, value))
        made = standing(Commitment, when).filter(statement_id__in=statements.values("id"))
        return queryset.filter(commitment_id__in=made.values("id"))


class PastCycleFilter(PastMixin, filters.FilterSet):
    """The cycles' list as of a date: no filter of its own, `changed_since` refused (the feed is today's)."""

    class Meta:
        model = AssessmentCycle.history.model
        fields = []


class PastEvidenceFilter(PastMixin, filters.FilterSet):
    """The evidence list as of a date: no filter of its own, `changed_since` refused (the feed is today's)."""

    class Meta:
        model = Evidence.history.model
        fields = []
