"""The lists and records as of a date (`?as_of=`, `api.as_of`) of the statements, figures, participation records,
members, lines of effort, assessments, assessment cycles and evidence: the same answers as today's, read from the
rows of then.

A viewset takes `as_of` on its list and its record by mixing in its resource's class below before its other
bases; today's reads are left as they are. A list as of a date is the rows of then (`past_rows`, a queryset of
historical rows), filtered by the FilterSet of then (`api.past_filters`), ordered and paged as today's, each
page joined by id to the rows of then its serializer reads (`past_page`); `?format=csv` writes every row
the same way. The queries are as many whatever the history's length (`meetings.past`,
`commitments.past_assessments`).
"""

from drf_spectacular.utils import extend_schema
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from commitments.models import Assessment, AssessmentCycle, Evidence, LineOfEffort
from commitments.past_assessments import (
    assessment_as_of,
    assessments_as_of,
    cycles_as_of,
    evidence_as_of,
    write_assessments_as_of,
    write_cycles_as_of,
    write_evidence_as_of,
)
from commitments.past_lists import line_as_of, lines_as_of
from meetings.models import Figure, Member, Participation, Statement
from meetings.past import (
    figure_as_of,
    figures_as_of,
    member_as_of,
    members_as_of,
    page_of_figures_as_of,
    page_of_members_as_of,
    page_of_participations_as_of,
    page_of_statements_as_of,
    participation_as_of,
    participations_as_of,
    statement_as_of,
    statements_as_of,
)

from .as_of import AS_OF_PARAMETER, not_found, past_headers, requested_moment
from .csv_lists import in_chunks, wants_csv
from .past_filters import (
    PastAssessmentFilter,
    PastCycleFilter,
    PastEvidenceFilter,
    PastFigureFilter,
    PastFilterBackend,
    PastLineOfEffortFilter,
    PastMemberFilter,
    PastParticipationFilter,
    PastStatementFilter,
)
from .permissions import sees_drafts


class PastOrdering(OrderingFilter):
    """Today's `?ordering=`; by default the view's `past_ordering` where the rows of then need names of their own."""

    def get_default_ordering(self, view):
        return getattr(view, "past_ordering", None) or super().get_default_ordering(view)


class PastReads:
    """Viewset mixin: the list and the record as they stood at a moment, in today's shape and with today's
    serializer, marked by `past_headers`; a record not in the record then is a 404 (`not_found`)."""

    as_of_actions = ("retrieve", "list")
    past_what: str  # what the 404 calls a record
    past_model: type
    past_filterset_class: type
    past_ordering: list[str] | None = None  # the rows' order then, when today's `ordering` names do not apply

    def past_moment(self):
        """The moment this read is of, or None for today's (a 400 for a bad `as_of`)."""
        return requested_moment(self.request) if self.action in self.as_of_actions else None

    def past_rows(self, moment, drafts):
        """The list's rows then, before filters and pages: a queryset of historical rows."""
        raise NotImplementedError

    def past_page(self, rows, moment, drafts):
        """A page of `past_rows` as the serializer reads it: as they are when it reads no relation."""
        return rows

    def past_record(self, key, moment, drafts):
        """The record `key` addresses as it stood at `moment`, or None."""
        found = self.past_page(self.past_rows(moment, drafts).filter(**{self.lookup_field: key})[:1], moment, drafts)
        return found[0] if found else None

    def filter_queryset(self, queryset):
        if self.past_moment() is None:
            return super().filter_queryset(queryset)
        # Not the change feed's `changed_since`: it is today's, refused by the FilterSets of then.
        for backend in (PastFilterBackend, PastOrdering):
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request, *args, **kwargs):
        moment = self.past_moment()
        if moment is None:
            return super().list(request, *args, **kwargs)
        if wants_csv(request):
            response = super().list(request, *args, **kwargs)  # every row, written by csv_documents()
        else:
            drafts = sees_drafts(request)
            rows = self.paginate_queryset(self.filter_queryset(self.past_rows(moment, drafts)))
            page = self.past_page(rows, moment, drafts)
            response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        for name, value in past_headers(request, moment).items():
            response[name] = value
        return response

    def csv_documents(self):
        moment = self.past_moment()
        if moment is None:
            return super().csv_documents()
        drafts = sees_drafts(self.request)
        rows = self.filter_queryset(self.past_rows(moment, drafts))
        return in_chunks(rows, lambda chunk: self.get_serializer(self.past_page(chunk, moment, drafts), many=True).data)

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        moment = self.past_moment()
        if moment is None:
            return super().retrieve(request, *args, **kwargs)
        record = self.past_record(kwargs[self.lookup_field], moment, sees_drafts(request))
        if record is None:
            raise not_found(self.past_what, self.past_model, moment, by=self.lookup_field)
        return Response(self.get_serializer(record).data, headers=past_headers(request, moment))


class PastStatements(PastReads):
    past_what, past_model, past_filterset_class = "statement", Statement, PastStatementFilter

    def past_rows(self, moment, drafts):
        return statements_as_of(moment, sees_drafts=drafts)

    def past_page(self, rows, moment, drafts):
        return page_of_statements_as_of(rows, moment)

    def past_record(self, key, moment, drafts):
        return statement_as_of(key, moment, sees_drafts=drafts)


class PastFigures(PastReads):
    past_what, past_model, past_filterset_class = "figure", Figure, PastFigureFilter

    def past_rows(self, moment, drafts):
        return figures_as_of(moment, sees_drafts=drafts)

    def past_page(self, rows, moment, drafts):
        return page_of_figures_as_of(rows, moment)

    def past_record(self, key, moment, drafts):
        return figure_as_of(key, moment, sees_drafts=drafts)


class PastParticipations(PastReads):
    past_what, past_model, past_filterset_class = "participation record", Participation, PastParticipationFilter

    def past_rows(self, moment, drafts):
        return participations_as_of(moment, sees_drafts=drafts)

    def past_page(self, rows, moment, drafts):
        return page_of_participations_as_of(rows, moment)

    def past_record(self, key, moment, drafts):
        return participation_as_of(key, moment, sees_drafts=drafts)


class PastMembers(PastReads):
    past_what, past_model, past_filterset_class = "member", Member, PastMemberFilter

    def past_rows(self, moment, drafts):
        return members_as_of(moment)

    def past_page(self, rows, moment, drafts):
        return page_of_members_as_of(rows, moment, sees_drafts=drafts)

    def past_record(self, key, moment, drafts):
        return member_as_of(key, moment, sees_drafts=drafts)


class PastLinesOfEffort(PastReads):
    past_what, past_model, past_filterset_class = "line of effort", LineOfEffort, PastLineOfEffortFilter

    def past_rows(self, moment, drafts):
        return lines_as_of(moment)

    def past_record(self, key, moment, drafts):
        return line_as_of(key, moment)


class PastCycles(PastReads):
    past_what, past_model, past_filterset_class = "assessment cycle", AssessmentCycle, PastCycleFilter
    past_ordering = ["from_start", "to_start", "slug"]

    def past_rows(self, moment, drafts):
        return cycles_as_of(moment, sees_drafts=drafts)

    def past_page(self, rows, moment, drafts):
        return write_cycles_as_of(rows, moment)


class PastEvidence(PastReads):
    past_what, past_model, past_filterset_class = "evidence item", Evidence, PastEvidenceFilter
    past_ordering = ["slug"]

    def past_rows(self, moment, drafts):
        return evidence_as_of(moment, sees_drafts=drafts)

    def past_page(self, rows, moment, drafts):
        return write_evidence_as_of(rows, moment)


class PastAssessments(PastReads):
    past_what, past_model, past_filterset_class = "assessment", Assessment, PastAssessmentFilter
    past_ordering = ["commitment_slug", "-assessed_on"]

    def past_rows(self, moment, drafts):
        return assessments_as_of(moment, sees_drafts=drafts)

    def past_page(self, rows, moment, drafts):
        return write_assessments_as_of(rows, moment)

    def past_record(self, key, moment, drafts):
        return assessment_as_of(key, moment, sees_drafts=drafts)
