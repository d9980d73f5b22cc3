"""The filters of the assessments', cycles' and evidence lists as of a date (`?as_of=`): the same parameters,
each read on the rows of then (`commitments.past_assessments`), a slug naming the record that had it then."""

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
from meetings.models import Meeting, Member, Statement

from .filters import PastMixin


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
