"""The API's viewsets: every resource addressed by slug (or its natural key), with its change history."""

from functools import cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import routers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from commitments.models import (
    Assessment,
    AssessmentCycle,
    AssessmentEvidence,
    Commitment,
    Evidence,
    ImplementationStatus,
    LineOfEffort,
    LinkKind,
    MemberScore,
    MoneyStage,
    PledgeLink,
    ReviewState,
    Thread,
    ThreadEntry,
)
from commitments.past import commitment_as_of, pledge_as_of
from commitments.past_lists import (
    commitments_as_of,
    page_of_commitments_as_of,
    pledges_as_of,
    write_pledges_as_of,
)
from commitments.publishing import NotComplete, publish_meeting
from commitments.services import AlreadyInThread, place_in_thread, remove_from_thread
from core.exceptions import ConcurrentChange
from meetings.models import Figure, Meeting, Member, Participation, ParticipationRole, Statement
from meetings.past import meeting_as_of, meetings_as_of

from .as_of import AS_OF_PARAMETER, not_found, past_headers, requested_moment
from .concurrency import VersionedMixin, check_unchanged, etag, if_match_versions
from .csv_lists import CSVListMixin, in_chunks, timeline_rows, wants_csv
from .errors import Conflict, ErrorSerializer, as_drf_error
from .filters import (
    AssessmentFilter,
    CommitmentFilter,
    FigureFilter,
    MeetingFilter,
    MemberFilter,
    ParticipationFilter,
    PastCommitmentFilter,
    PastMeetingFilter,
    PastThreadFilter,
    StatementFilter,
    ThreadFilter,
)
from .history import HistoryMixin
from .pagination import CursorPagination
from .past_reads import (
    PastAssessments,
    PastCycles,
    PastEvidence,
    PastFigures,
    PastLinesOfEffort,
    PastMembers,
    PastParticipations,
    PastStatements,
)
from .permissions import sees_drafts
from .pledge_merging import MergeSplitMixin, redirect_if_retired
from .serializers import (
    AssessmentCycleSerializer,
    AssessmentSerializer,
    CommitmentRowSerializer,
    CommitmentSerializer,
    EvidenceSerializer,
    FigureSerializer,
    LineOfEffortSerializer,
    MeetingSerializer,
    MemberSerializer,
    ParticipationSerializer,
    PublishedSerializer,
    StatementDetailSerializer,
    StatementSerializer,
    ThreadEntryWriteSerializer,
    ThreadSerializer,
    ThreadTimelineSerializer,
)
from .timeline_pages import TIMELINE_PAGE_PARAMETER, ThreadTimelinePageSerializer, timeline_document, whole_timeline


class APIRoot(routers.APIRootView):
    """The tracker's REST API: resources addressed by slug, aggregates for dashboards, schema and docs."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        fmt = kwargs.get("format")
        for name in (
            "changes",
            "pledge-matrix",
            "commitments-by-line",
            "figure-series",
            "verdicts",
            "snapshot",
            "schema",
            "docs",
        ):
            response.data[name] = reverse(f"api:{name}", request=request, format=fmt if name != "docs" else None)
        return response


class MeetingViewSet(HistoryMixin, VersionedMixin, CSVListMixin, viewsets.ModelViewSet):
    serializer_class = MeetingSerializer
    lookup_field = "slug"
    ordering_fields = ["start_date", "name", "slug"]
    ordering = ["start_date", "slug"]

    # A meeting, and the list, as they stood at a moment (`?as_of=`, api.as_of).
    as_of_actions = ("retrieve", "list")

    def past_list_moment(self):
        """The moment a list as of a date is read at, or None for today's list (a 400 for a bad `as_of`)."""
        return requested_moment(self.request) if self.action == "list" else None

    @property
    def filterset_class(self):
        # The same filters, on the meetings' rows of then when the list is read as of a date.
        return PastMeetingFilter if getattr(self, "request", None) and self.past_list_moment() else MeetingFilter

    def get_queryset(self):
        moment = self.past_list_moment()
        if moment is not None:
            return meetings_as_of(moment, sees_drafts=sees_drafts(self.request))
        # Drafts for curators and auditors only, as everywhere below (`meetings.drafts`).
        return Meeting.objects.for_reader(sees_drafts(self.request))

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        moment = self.past_list_moment()
        if moment is not None:
            for name, value in past_headers(request, moment).items():
                response[name] = value
        return response

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        moment = requested_moment(request)
        if moment is None:
            return super().retrieve(request, *args, **kwargs)
        meeting = meeting_as_of(kwargs[self.lookup_field], moment, sees_drafts=sees_drafts(request))
        if meeting is None:
            raise not_found("meeting", Meeting, moment)
        return Response(self.get_serializer(meeting).data, headers=past_headers(request, moment))

    @extend_schema(
        request=None,
        responses={200: PublishedSerializer},
        summary="Publish a draft meeting and its draft statements, once the record is complete (If-Match)",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def publish(self, request, slug=None):
        """Check the record is complete (a 409 names every problem), then publish it whole; never undone."""
        meeting = self.get_object()
        versions = if_match_versions(request)
        with transaction.atomic():
            self.lock(meeting)
            check_unchanged(meeting, versions)
            try:
                plan = publish_meeting(meeting=meeting, by=request.user)
            except NotComplete as exc:
                raise Conflict(exc.problems) from None
            except ValueError as exc:
                raise Conflict(str(exc)) from None
        meeting.refresh_from_db()
        body = {"meeting": meeting.slug, "statements": [s.slug for s in plan.statements], "published": plan.summary()}
        return Response(body, headers={"ETag": etag(meeting)})


class StatementViewSet(PastStatements, HistoryMixin, VersionedMixin, CSVListMixin, viewsets.ModelViewSet):
    """Statements: the list leaves out the verbatim text; a statement's own page has it. Never deleted."""

    lookup_field = "slug"
    filterset_class = StatementFilter
    ordering_fields = ["issued_on", "slug", "position"]
    ordering = ["meeting__start_date", "position"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        # The meeting's slug is shown on every row; the text only on a statement's own page.
        statements = Statement.objects.for_reader(sees_drafts(self.request)).select_related("meeting")
        return statements.defer("text") if self.action == "list" else statements

    def get_serializer_class(self):
        return StatementSerializer if self.action == "list" else StatementDetailSerializer


class MemberViewSet(PastMembers, HistoryMixin, VersionedMixin, CSVListMixin, viewsets.ModelViewSet):
    serializer_class = MemberSerializer
    lookup_field = "slug"
    filterset_class = MemberFilter
    ordering_fields = ["name", "slug"]
    ordering = ["name"]

    def get_queryset(self):
        joins = Participation.objects.for_reader(sees_drafts(self.request)).filter(role=ParticipationRole.NEW_MEMBER)
        joins = joins.select_related("meeting", "statement")
        # Feeds joined_per_sources and sources_disagree_on_joining without a query per member.
        return Member.objects.prefetch_related(
            Prefetch("participations", queryset=joins.defer("statement__text"), to_attr="joins")
        )


class ParticipationViewSet(PastParticipations, HistoryMixin, VersionedMixin, CSVListMixin, viewsets.ModelViewSet):
    """Who hosted, joined or observed each meeting, as each source says it; sources may disagree."""

    serializer_class = ParticipationSerializer
    lookup_field = "key"
    lookup_value_regex = "[^/]+"
    filterset_class = ParticipationFilter
    ordering_fields = ["meeting__start_date", "role"]
    ordering = ["meeting__start_date", "member__name", "role"]

    def get_queryset(self):
        # Meeting, member and statement slugs are on every row.
        records = Participation.objects.for_reader(sees_drafts(self.request))
        return records.select_related("meeting", "member", "statement").defer("statement__text")

    def get_object(self):
        try:
            obj = self.get_queryset().get_by_key(self.kwargs["key"])
        except Participation.DoesNotExist:
            raise Http404("No participation record has this key.") from None
        self.check_object_permissions(self.request, obj)
        return obj


class FigureViewSet(PastFigures, HistoryMixin, VersionedMixin, CSVListMixin, viewsets.ModelViewSet):
    serializer_class = FigureSerializer
    lookup_field = "slug"
    filterset_class = FigureFilter
    ordering_fields = ["value", "slug", "statement__meeting__start_date"]
    ordering = ["statement__meeting__start_date", "statement__position", "start"]

    def get_queryset(self):
        # The statement and meeting slugs are on every row; the statement text is not.
        figures = Figure.objects.for_reader(sees_drafts(self.request))
        return figures.select_related("statement__meeting").defer("statement__text")


class LineOfEffortViewSet(PastLinesOfEffort, HistoryMixin, VersionedMixin, CSVListMixin, viewsets.ModelViewSet):
    queryset = LineOfEffort.objects.all()
    serializer_class = LineOfEffortSerializer
    lookup_field = "slug"
    ordering_fields = ["position", "name"]
    ordering = ["position"]


MOVED = "Merged into another pledge: Location is where its commitments are now (permanent)."


class ThreadViewSet(MergeSplitMixin, HistoryMixin, VersionedMixin, CSVListMixin, viewsets.ModelViewSet):
    """Recurring pledges. A pledge's own page is its timeline: commitments in meeting order, with wording diffs.

    A pledge merged into another is retired: its page redirects (301) there, and lists leave it out.
    """

    lookup_field = "slug"
    # A pledge's timeline, and the list, as they stood at a moment (`?as_of=`, api.as_of).
    as_of_actions = ("retrieve", "list")
    ordering_fields = ["title", "slug"]

    def past_list_moment(self):
        """The moment a list as of a date is read at, or None for today's list (a 400 for a bad `as_of`)."""
        return requested_moment(self.request) if self.action == "list" else None

    def _past_list(self):
        return getattr(self, "request", None) is not None and self.past_list_moment() is not None

    @property
    def filterset_class(self):
        # The same filters, on the pledges' rows of then when the list is read as of a date.
        return PastThreadFilter if self._past_list() else ThreadFilter

    @property
    def ordering(self):
        # Today's order, by the line of effort's position then when the list is read as of a date.
        return ["line_position", "title"] if self._past_list() else ["line_of_effort__position", "title"]

    # What the timeline reads of each entry, and nothing more: the commitment
    # and statement rows are wide, and a timeline is read far more often than written.
    TIMELINE_COLUMNS = (
        "change_kind",
        "note",
        "commitment__slug",
        "commitment__quote",
        "commitment__strength",
        "commitment__statement__slug",
        "commitment__statement__meeting__slug",
        "commitment__statement__meeting__name",
        "commitment__statement__meeting__start_date",
    )
    # What the list's `meetings` and `commitment_count` read of each entry.
    LIST_COLUMNS = ("commitment__statement__meeting__slug",)

    def get_queryset(self):
        moment = self.past_list_moment()
        if moment is not None:
            return pledges_as_of(moment, sees_drafts=sees_drafts(self.request))
        # Entries with their commitment, statement and meeting feed `meetings` and the timeline.
        drafts = sees_drafts(self.request)
        threads = Thread.objects.for_reader(drafts).select_related("line_of_effort")
        if self.action == "retrieve":
            # Its counts, not its entries: `retrieve` reads the page of its timeline it answers with.
            return threads.with_story_counts(sees_drafts=drafts, meetings=False)
        if self.action == "list":
            threads = threads.exclude(links__kind=LinkKind.MERGED_INTO)  # retired: its page redirects
            # `meetings` and `commitment_count` read the meeting of each entry, nothing more.
            return threads.with_timeline(only=self.LIST_COLUMNS, sees_drafts=drafts)
        return threads.with_timeline(only=self.TIMELINE_COLUMNS, sees_drafts=drafts)

    def get_serializer_class(self):
        return ThreadTimelineSerializer if self.action == "retrieve" else ThreadSerializer

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request, *args, **kwargs):
        moment = self.past_list_moment()
        if moment is None:
            return super().list(request, *args, **kwargs)
        if wants_csv(request):
            response = super().list(request, *args, **kwargs)
        else:
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            documents = write_pledges_as_of(page, moment, sees_drafts=sees_drafts(request))
            response = self.get_paginated_response(documents)
        for name, value in past_headers(request, moment).items():
            response[name] = value
        return response

    def csv_documents(self):
        moment = self.past_list_moment()
        if moment is None:
            return super().csv_documents()
        rows = self.filter_queryset(self.get_queryset())
        drafts = sees_drafts(self.request)
        return in_chunks(rows, lambda chunk: write_pledges_as_of(chunk, moment, sees_drafts=drafts))

    @extend_schema(
        parameters=[AS_OF_PARAMETER, TIMELINE_PAGE_PARAMETER],
        responses={200: ThreadTimelinePageSerializer, 301: OpenApiResponse(description=MOVED)},
    )
    def retrieve(self, request, *args, **kwargs):
        """A pledge and its timeline, a page of it for a pledge longer than one (`api.timeline_pages`)."""
        moment = requested_moment(request)
        whole = wants_csv(request)  # an export is whole
        if moment is None:
            thread = self.get_object()
            # One query for its links: the timeline shows them, and a "merged into" one is a redirect.
            links = PledgeLink.objects.seen_from(thread)
            if any(link["kind"] == LinkKind.MERGED_INTO for link in links):
                return redirect_if_retired(request, thread)
            entries = ThreadEntry.objects.for_reader(sees_drafts(request)).filter(thread=thread)
            timeline = entries.for_timeline(only=self.TIMELINE_COLUMNS)
            if whole:
                document = whole_timeline(thread, timeline, links)
            else:
                slugs = entries.order_by("position").values_list("commitment__statement__meeting__slug", flat=True)
                meetings = lambda: list(dict.fromkeys(slugs))  # noqa: E731 - read for a pledge of several pages only
                document = timeline_document(request, thread, timeline, thread.entry_count, links, meetings)
            response = Response(document, headers={"ETag": etag(thread)})
        else:
            past = pledge_as_of(kwargs[self.lookup_field], moment, sees_drafts=sees_drafts(request))
            if past is None:
                raise not_found("recurring pledge", Thread, moment)
            if whole:
                document = whole_timeline(past.thread, past.entries, past.links)
            else:
                thread, entries = past.thread, past.entries
                meetings = lambda: [meeting.slug for meeting in past.meetings_in_order()]  # noqa: E731
                document = timeline_document(request, thread, entries, len(entries), past.links, meetings)
            response = Response(document, headers=past_headers(request, moment))
        if whole:
            response.data = timeline_rows(response.data)  # one row per step, flat
        return response

    @extend_schema(
        request=ThreadEntryWriteSerializer,
        responses={201: ThreadTimelineSerializer},
        summary="Place a commitment in this recurring pledge (409 if it is in it already)",
    )
    @action(detail=True, methods=["post"], url_path="entries", filter_backends=[], pagination_class=None)
    def add_entry(self, request, slug=None):
        thread = self.get_object()
        payload = ThreadEntryWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            place_in_thread(thread=thread, **payload.validated_data, only_new=True)
        except ValidationError as exc:
            raise as_drf_error(exc) from None
        except AlreadyInThread as exc:
            raise Conflict({"commitment": [str(exc)]}) from None
        except ConcurrentChange as exc:
            raise Conflict(str(exc)) from None
        thread = self.get_queryset().get(pk=thread.pk)
        return Response(ThreadTimelineSerializer(thread, context=self.get_serializer_context()).data, status=201)

    @extend_schema(
        parameters=[OpenApiParameter("commitment", str, OpenApiParameter.PATH, description="Commitment slug.")],
        request=None,
        responses={204: None, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        summary="Take a commitment out of this recurring pledge",
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"entries/(?P<commitment>[-a-z0-9_]+)",
        filter_backends=[],
        pagination_class=None,
    )
    def remove_entry(self, request, slug=None, commitment=None):
        thread = self.get_object()
        entry = get_object_or_404(ThreadEntry, thread=thread, commitment__slug=commitment)
        try:
            remove_from_thread(entry=entry)
        except ValidationError as exc:
            raise as_drf_error(exc) from None
        except ConcurrentChange as exc:
            raise Conflict(str(exc)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommitmentViewSet(HistoryMixin, VersionedMixin, CSVListMixin, viewsets.ModelViewSet):
    """Commitments: exact quotes of the statements, by line of effort, with their recurring pledges.

    The list is keyset-paginated (`cursor`), so a page deep into the table costs what the first does.
    """

    serializer_class = CommitmentSerializer
    lookup_field = "slug"
    pagination_class = CursorPagination
    ordering_fields = ["id", "slug"]
    ordering = ["id"]
    # A commitment, and the list, as they stood at a moment (`?as_of=`, api.as_of).
    as_of_actions = ("retrieve", "list")

    def past_list_moment(self):
        """The moment a list as of a date is read at, or None for today's list (a 400 for a bad `as_of`)."""
        return requested_moment(self.request) if self.action == "list" else None

    @property
    def filterset_class(self):
        # The filters on the commitments' rows of then when the list is read as of a date (some refused).
        past = getattr(self, "request", None) is not None and self.past_list_moment() is not None
        return PastCommitmentFilter if past else CommitmentFilter

    def get_queryset(self):
        # Statement, meeting, line of effort, thread entries and latest status, in a fixed number of queries.
        return Commitment.objects.for_reader(sees_drafts(self.request)).for_list()

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        moment = requested_moment(request)
        if moment is None:
            return super().retrieve(request, *args, **kwargs)
        past = commitment_as_of(kwargs[self.lookup_field], moment, sees_drafts=sees_drafts(request))
        if past is None:
            raise not_found("commitment", Commitment, moment)
        commitment = past.commitment
        # What the serializer reads of the present's prefetch and annotation, given as they stood then.
        commitment._prefetched_objects_cache = {"thread_entries": past.places}
        commitment.latest_status = past.latest.status if past.latest else ImplementationStatus.NOT_ASSESSED
        return Response(self.get_serializer(commitment).data, headers=past_headers(request, moment))

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request, *args, **kwargs):
        moment = self.past_list_moment()
        if moment is not None:
            return self.past_list(request, moment)
        if getattr(request.accepted_renderer, "format", None) == "csv":
            return super().list(request, *args, **kwargs)
        # The fast path: filter and paginate plain rows, not instances (see CommitmentRowSerializer).
        page = self.paginate_queryset(self.filter_queryset(self.readers_rows()))
        return self.get_paginated_response(CommitmentRowSerializer(page, many=True).data)

    def past_list(self, request, moment):
        """The list as it stood at `moment` (`commitments.past_lists`), filtered and paged as today's."""
        if wants_csv(request):
            response = CSVListMixin.list(self, request)
        else:
            rows = self.paginate_queryset(
                self.filter_queryset(commitments_as_of(moment, sees_drafts=sees_drafts(request)))
            )
            page = page_of_commitments_as_of(rows, moment)
            response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        for name, value in past_headers(request, moment).items():
            response[name] = value
        return response

    def csv_documents(self):
        moment = self.past_list_moment()
        if moment is not None:
            rows = self.filter_queryset(commitments_as_of(moment, sees_drafts=sees_drafts(self.request)))
            return in_chunks(
                rows, lambda chunk: self.get_serializer(page_of_commitments_as_of(chunk, moment), many=True).data
            )
        # The same plain rows as the JSON list, every one of them.
        rows = self.filter_queryset(self.readers_rows())
        return in_chunks(rows, lambda chunk: CommitmentRowSerializer(chunk, many=True).data)

    def readers_rows(self):
        """`list_rows()` as this request may read them: drafts for curators and auditors only."""
        return self.list_rows().for_reader(sees_drafts(self.request))

    @staticmethod
    @cache
    def list_rows():
        """The list's rows before filters and pages, described once; each request clones it (`.all()`).

        Describing it (two dozen columns) cost a twentieth of a page's
        time; a queryset is a description until evaluated, and this one never is, only its clones.
        Filters must filter, not annotate, since these are rows (`values()`) already.
        """
        return CommitmentRowSerializer.rows(Commitment.objects.all())


class AssessmentCycleViewSet(PastCycles, CSVListMixin, viewsets.ReadOnlyModelViewSet):
    """Assessment cycles: the windows assessments are made in, from one meeting to a later one."""

    serializer_class = AssessmentCycleSerializer
    lookup_field = "slug"
    ordering_fields = ["slug"]
    ordering = ["from_meeting__start_date", "to_meeting__start_date", "slug"]

    def get_queryset(self):
        cycles = AssessmentCycle.objects.for_reader(sees_drafts(self.request))
        return cycles.select_related("from_meeting", "to_meeting")


class EvidenceViewSet(PastEvidence, CSVListMixin, viewsets.ReadOnlyModelViewSet):
    """Evidence items: quotes from the tracker's statements, or outside written sources."""

    serializer_class = EvidenceSerializer
    lookup_field = "slug"
    ordering_fields = ["slug"]
    ordering = ["slug"]

    def get_queryset(self):
        items = Evidence.objects.for_reader(sees_drafts(self.request))
        return items.select_related("statement").defer("statement__text")


class AssessmentViewSet(PastAssessments, HistoryMixin, VersionedMixin, CSVListMixin, viewsets.ModelViewSet):
    """Dated assessments of what became of a commitment: added and corrected, never deleted."""

    serializer_class = AssessmentSerializer
    lookup_field = "key"
    lookup_value_regex = r"[-a-z0-9_]+@\d{4}-\d{2}-\d{2}"
    filterset_class = AssessmentFilter
    ordering_fields = ["assessed_on"]
    ordering = ["commitment__slug", "-assessed_on"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        # The commitment's slug is on every row; the cycle's and the superseded assessment's keys, and
        # the evidence rows, come with them.
        rows = Assessment.objects.for_reader(sees_drafts(self.request))
        rows = rows.select_related("commitment", "cycle", "supersedes__commitment").defer(
            "commitment__quote", "supersedes__commitment__quote"
        )
        rows = rows.prefetch_related(
            Prefetch(
                "evidence_links",
                queryset=AssessmentEvidence.objects.select_related("evidence__statement")
                .defer("evidence__statement__text")
                .order_by("evidence__slug"),
            ),
            Prefetch(
                "member_scores",
                queryset=MemberScore.objects.select_related("member", "evidence").order_by("member__slug"),
            ),
            Prefetch("money_stages", queryset=MoneyStage.objects.select_related("evidence").in_stage_order()),
        )
        if not sees_drafts(self.request):
            # Drafts wait for review: readers (signed in or not) see approved assessments only; curators
            # and auditors see drafts too.
            rows = rows.filter(review_state=ReviewState.APPROVED)
        return rows

    def perform_create(self, serializer):
        # Written by a curator: a draft, which another curator approves (the admin's action).
        serializer.save(drafted_by=self.request.user.get_username(), review_state=ReviewState.DRAFT)

    def get_object(self):
        try:
            obj = self.get_queryset().get_by_key(self.kwargs["key"])
        except Assessment.DoesNotExist:
            raise Http404("No assessment of this commitment on this date.") from None
        self.check_object_permissions(self.request, obj)
        return obj
