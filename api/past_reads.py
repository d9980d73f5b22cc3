"""`?as_of=` on the assessments', assessment cycles' and evidence reads: the list and a record as they stood then.

A viewset takes `PastReadsMixin` with what it reads then (`commitments.past_assessments`): its rows of then,
how a page of them is written, the filters and order on them. The answer is today's shape with the headers of
a past state (`api.as_of`); a record not in the record then is a 404; drafts of then are hidden as today's.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from commitments.models import Assessment, AssessmentCycle, Evidence
from commitments.past_assessments import (
    assessment_as_of,
    assessments_as_of,
    cycles_as_of,
    evidence_as_of,
    write_assessments_as_of,
    write_cycles_as_of,
    write_evidence_as_of,
)

from .as_of import AS_OF_PARAMETER, not_found, past_headers, requested_moment, with_past_headers
from .csv_lists import in_chunks, wants_csv
from .past_filters import PastAssessmentFilter, PastCycleFilter, PastEvidenceFilter
from .permissions import sees_drafts


class PastReadsMixin:
    """A list and a record as of a date; today's filters and order are `today_filterset` and `today_ordering`."""

    as_of_actions = ("retrieve", "list")
    today_filterset = None
    past_filterset = None
    today_ordering: list[str] = []
    past_ordering: list[str] = []
    # The 404's words and the model whose history it looks at.
    past_what = ""
    past_model = None

    def past_list_moment(self):
        """The moment a list as of a date is read at, or None for today's list (a 400 for a bad `as_of`)."""
        if getattr(self, "request", None) is None or self.action != "list":
            return None
        return requested_moment(self.request)

    @property
    def filterset_class(self):
        return self.past_filterset if self.past_list_moment() else self.today_filterset

    @property
    def ordering(self):
        return self.past_ordering if self.past_list_moment() else self.today_ordering

    def past_rows(self, moment):
        """The list's rows as they stood at `moment`, a queryset of historical rows."""
        raise NotImplementedError

    def write_past(self, rows, moment):
        """A page of `past_rows` as instances of then, for the serializer."""
        raise NotImplementedError

    def past_record(self, key, moment):
        """The record `key` as it stood at `moment`, or None."""
        found = self.write_past(self.past_rows(moment).filter(**{self.lookup_field: key})[:1], moment)
        return found[0] if found else None

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request, *args, **kwargs):
        moment = self.past_list_moment()
        if moment is None or wants_csv(request):  # a file as of a date: `csv_documents` below
            return with_past_headers(super().list(request, *args, **kwargs), request, moment)
        rows = self.paginate_queryset(self.filter_queryset(self.past_rows(moment)))
        response = self.get_paginated_response(self.get_serializer(self.write_past(rows, moment), many=True).data)
        return with_past_headers(response, request, moment)

    def csv_documents(self):
        moment = self.past_list_moment()
        if moment is None:
            return super().csv_documents()
        rows = self.filter_queryset(self.past_rows(moment))
        return in_chunks(rows, lambda chunk: self.get_serializer(self.write_past(chunk, moment), many=True).data)

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        moment = requested_moment(request)
        if moment is None:
            return super().retrieve(request, *args, **kwargs)
        record = self.past_record(kwargs[self.lookup_field], moment)
        if record is None:
            raise not_found(self.past_what, self.past_model, moment)
        return Response(self.get_serializer(record).data, headers=past_headers(request, moment))


class PastCyclesMixin(PastReadsMixin):
    past_filterset = PastCycleFilter
    past_ordering = ["from_start", "to_start", "slug"]
    past_what, past_model = "assessment cycle", AssessmentCycle

    def past_rows(self, moment):
        return cycles_as_of(moment, sees_drafts=sees_drafts(self.request))

    def write_past(self, rows, moment):
        return write_cycles_as_of(rows, moment)


class PastEvidenceMixin(PastReadsMixin):
    past_filterset = PastEvidenceFilter
    past_ordering = ["slug"]
    past_what, past_model = "evidence item", Evidence

    def past_rows(self, moment):
        return evidence_as_of(moment, sees_drafts=sees_drafts(self.request))

    def write_past(self, rows, moment):
        return write_evidence_as_of(rows, moment)


class PastAssessmentsMixin(PastReadsMixin):
    past_filterset = PastAssessmentFilter
    past_ordering = ["commitment_slug", "-assessed_on"]
    past_what, past_model = "assessment", Assessment

    def past_rows(self, moment):
        return assessments_as_of(moment, sees_drafts=sees_drafts(self.request))

    def write_past(self, rows, moment):
        return write_assessments_as_of(rows, moment)

    def past_record(self, key, moment):
        return assessment_as_of(key, moment, sees_drafts=sees_drafts(self.request))
