"""Aggregates for dashboards: pledges x meetings, commitments per line of effort, figure series, verdicts
(by line of effort, by meeting, and members' scores by member)."""

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from commitments import counts
from commitments.models import Commitment, LineOfEffort, MemberScore, ThreadEntry
from commitments.past_aggregates import figure_series_as_of, member_percentages_as_of
from commitments.past_counts import counts_by_line_and_meeting_as_of, verdict_counts_as_of
from commitments.verdicts import AGGREGATE_GROUPINGS, BY_LINE, BY_MEMBER, verdict_counts
from meetings.models import Figure, FigureMetric, Meeting
from meetings.windows import per_year_of

from .as_of import AS_OF_PARAMETER, ReadsAsOf, past_headers, requested_moment
from .csv_lists import matrix_rows, wants_csv
from .errors import ErrorSerializer
from .matrix_paging import is_paged, link_header, matrix_window, paging_keys, window_links
from .pagination import PageNumberPagination
from .past_aggregates import matrix_as_of
from .permissions import sees_drafts


class MatrixCellSerializer(serializers.Serializer):
    commitment = serializers.SlugField()
    position = serializers.IntegerField()
    change_kind = serializers.CharField()


class MatrixThreadSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    line_of_effort = serializers.SlugField()
    meetings = serializers.DictField(
        child=MatrixCellSerializer(many=True), help_text="Meeting slug → the thread's commitments at that meeting."
    )


class MatrixMeetingSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    start_date = serializers.DateField()


class PledgeMatrixSerializer(serializers.Serializer):
    meetings = MatrixMeetingSerializer(many=True)
    threads = MatrixThreadSerializer(many=True)


class PagedPledgeMatrixSerializer(PledgeMatrixSerializer):
    """The matrix, paged: `count`, `next`, `previous`, `earlier` and `later` are there on a paged answer only
    (any parameter, more than 200 recurring pledges or more than 60 meetings); the whole matrix, asked
    without parameters, has none of them."""

    count = serializers.IntegerField(
        required=False, help_text="The recurring pledges the filters chose, on every page (paged answers only)."
    )
    next = serializers.URLField(
        required=False, allow_null=True, help_text="The next page of pledges, null on the last (paged answers only)."
    )
    previous = serializers.URLField(
        required=False, allow_null=True, help_text="The page before, null on the first (paged answers only)."
    )
    earlier = serializers.URLField(
        required=False,
        allow_null=True,
        help_text="The matrix of the meetings before these (the years up to the one before), null if none "
        "(paged answers only).",
    )
    later = serializers.URLField(
        required=False,
        allow_null=True,
        help_text="The matrix of the meetings after these (the years from the one after), null if none "
        "(paged answers only).",
    )


class YearsParametersSerializer(serializers.Serializer):
    """The years of the meetings an aggregate over meetings is asked for."""

    year_from = serializers.IntegerField(
        required=False, min_value=1900, max_value=2999, help_text="Meetings held in this year or later."
    )
    year_to = serializers.IntegerField(
        required=False, min_value=1900, max_value=2999, help_text="Meetings held in this year or earlier."
    )


class MatrixParametersSerializer(YearsParametersSerializer):
    """What the pledge matrix is asked: the years of the meetings, a line of effort, a page of pledges."""

    line_of_effort = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=LineOfEffort.objects.all(),
        required=False,
        help_text="The recurring pledges filed under this line of effort (the pledge's line).",
    )
    page = serializers.IntegerField(required=False, min_value=1, help_text="A page of recurring pledges, from 1.")
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=PageNumberPagination.max_page_size,
        help_text=f"Recurring pledges per page (default {PageNumberPagination.page_size}).",
    )


class PastMatrixParametersSerializer(MatrixParametersSerializer):
    """The same parameters as of a date (`as_of`): `line_of_effort` names the line with that slug then."""

    line_of_effort = serializers.SlugField(required=False)


class PledgeMatrixView(ReadsAsOf, APIView):
    """Recurring pledges × meetings: which pledge appears at which meeting, how it changed, with which commitments.

    Filtered by the years of the meetings (`year_from`, `year_to`: the meetings listed and the cells
    shown) and by the pledges' line of effort, and paged by recurring pledge as the public matrix pages
    (`page`, `page_size`): each pledge made at the meetings listed on exactly one page, in line-of-effort
    and slug order, whole (every cell of it at those meetings). The meetings listed are those of the years
    asked while they hold at most 60 meetings, else of whole years that do (from `year_from` on, back from
    `year_to`, or the latest): `earlier` and `later` address the meetings before and after. A paged answer
    adds `count`, `next`, `previous`, `earlier` and `later` to the same `meetings` and `threads`. With no
    parameter at all, every pledge and meeting at once, as before, while there are at most 200 recurring
    pledges and 60 meetings; beyond, the first page of the latest meetings. With `as_of`, the matrix as it
    stood then, windowed and paged alike.

    As CSV, one row per entry (`thread.slug`, `meeting.slug`, commitment, position, change kind), of
    the same pledges. The document is built from plain rows and rendered as it is: walking it through
    the serializer's fields would cost more than reading it (the serializer documents it; a test holds
    the two to the same output).
    """

    # A fast path: docs/benchmark.md, *Fast paths*, gives the rule it keeps (not in the docstring,
    # which is the schema's description of the operation).

    @extend_schema(
        parameters=[MatrixParametersSerializer, AS_OF_PARAMETER],
        responses={200: PagedPledgeMatrixSerializer, 400: ErrorSerializer},
    )
    def get(self, request, format=None):
        drafts = sees_drafts(request)
        moment = requested_moment(request)
        asked = (PastMatrixParametersSerializer if moment else MatrixParametersSerializer)(data=request.query_params)
        asked.is_valid(raise_exception=True)
        filters = asked.validated_data
        if moment is not None:
            meetings, cells, keys = matrix_as_of(request, moment, filters, sees_drafts=drafts)
            document = {**(keys or {}), "meetings": meetings, "threads": matrix_threads(cells)}
            answer = matrix_rows(document) if wants_csv(request) else document
            return Response(answer, headers=past_headers(request, moment))
        readable = Meeting.objects.for_reader(drafts)
        window = matrix_window(readable.per_year(), filters)
        meetings = (
            list(readable.in_years(window.first, window.last).in_order().values("pk", "slug", "name", "start_date"))
            if window.meetings
            else []
        )
        entries = ThreadEntry.objects.at_meetings([meeting["pk"] for meeting in meetings]).for_reader(drafts)
        # The pledges the filters chose among the window's entries, in the matrix's order: what the pages go
        # through. A page of them and their count in one query (the first page's when no parameter is
        # given: it tells whether the whole matrix is small enough to answer unpaged), found through the
        # window's entries, never by asking each pledge of the record; the line of effort asked of those
        # pledges, not of their entries (which would read every entry of every pledge under the line).
        chosen = entries.thread_ids_among()
        if "line_of_effort" in filters:
            chosen = chosen.filter(line_of_effort=filters["line_of_effort"])
        paging = PageNumberPagination()
        page, count = paging.counted_page(chosen, request)
        paged = is_paged(filters, window, count)
        if paged:
            entries = entries.of_threads(page)
        document = {
            "meetings": [{key: meeting[key] for key in ("slug", "name", "start_date")} for meeting in meetings],
            "threads": matrix_threads(entries.meeting_matrix()),
        }
        if paged:
            document = {**paging_keys(request, paging, count, window), **document}
        return Response(matrix_rows(document) if wants_csv(request) else document)


def matrix_threads(rows):
    """`ThreadEntry.objects.meeting_matrix()` rows as the matrix's threads, each with its cells by meeting."""
    threads = {}
    for row in rows:
        thread = threads.setdefault(
            row["thread__slug"],
            {
                "slug": row["thread__slug"],
                "title": row["thread__title"],
                "line_of_effort": row["thread__line_of_effort__slug"],
                "meetings": {},
            },
        )
        thread["meetings"].setdefault(row["commitment__statement__meeting__slug"], []).append(
            {"commitment": row["commitment__slug"], "position": row["position"], "change_kind": row["change_kind"]}
        )
    return list(threads.values())


class LineMeetingCountSerializer(serializers.Serializer):
    line_of_effort = serializers.SlugField(source="line_of_effort__slug")
    line_of_effort_name = serializers.CharField(source="line_of_effort__name")
    meeting = serializers.SlugField(source="statement__meeting__slug")
    meeting_date = serializers.DateField(source="statement__meeting__start_date")
    total = serializers.IntegerField()
    binding = serializers.IntegerField()
    soft = serializers.IntegerField()


class CommitmentsByLineView(ReadsAsOf, APIView):
    """Commitments per line of effort per meeting, split into binding and softer ones.

    The meetings counted are every meeting of the years asked (`year_from`, `year_to`) while they hold at
    most 60, else whole years that do, from `year_from` on, back from `year_to`, or the latest years when
    none is asked, as the pledge matrix lists them: the `Link` header then addresses the meetings before
    (`rel="prev"`) and after (`rel="next"`). A record of at most 60 meetings is answered whole, as before.

    Counted once per change of the data and kept (`commitments.counts`): a read costs the same whatever
    the number of commitments. With `as_of`, counted for the request from the commitments as they stood then.
    """

    @extend_schema(
        parameters=[YearsParametersSerializer, AS_OF_PARAMETER], responses=LineMeetingCountSerializer(many=True)
    )
    def get(self, request, format=None):
        asked = YearsParametersSerializer(data=request.query_params)
        asked.is_valid(raise_exception=True)
        years = asked.validated_data
        moment = requested_moment(request)
        if moment is not None:  # the kept counts are today's: counted again from the rows of then
            rows = counts_by_line_and_meeting_as_of(moment, sees_drafts=sees_drafts(request))
            held = {(row["statement__meeting__slug"], row["statement__meeting__start_date"]) for row in rows}
            window = matrix_window(per_year_of({"start_date": date} for _, date in held), years)
            rows = [row for row in rows if window.holds(row["statement__meeting__start_date"])]
            headers = past_headers(request, moment)
            headers["Link"] = ", ".join(filter(None, [headers["Link"], link_header(window_links(request, window))]))
            return Response(LineMeetingCountSerializer(rows, many=True).data, headers=headers)
        if sees_drafts(request):  # curators and auditors: drafts counted, not cached
            window = matrix_window(Meeting.objects.per_year(), years)
            counted = Commitment.objects.at_meetings_in_years(window.first, window.last).counts_by_line_and_meeting()
            rows = LineMeetingCountSerializer(counted if window.meetings else [], many=True).data
        else:
            # Kept as the serializer writes them: a read then costs neither the count nor the serializer's walk;
            # the years with meetings too, under the same version of the data (one query in all).
            version = counts.data_version()
            window = matrix_window(counts.cached("meeting-years", Meeting.objects.published().per_year, version), years)
            rows = counts.cached(
                f"api-line-meeting:{window.first}-{window.last}",
                lambda: (
                    LineMeetingCountSerializer(
                        Commitment.objects.published()
                        .at_meetings_in_years(window.first, window.last)
                        .counts_by_line_and_meeting(),
                        many=True,
                    ).data
                    if window.meetings
                    else []
                ),
                version,
            )
        links = link_header(window_links(request, window))
        return Response(rows, headers={"Link": links} if links else None)


class FigurePointSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=FigureMetric.choices)
    meeting = serializers.SlugField(source="statement.meeting.slug")
    meeting_date = serializers.DateField(source="statement.meeting.start_date")
    statement = serializers.SlugField(source="statement.slug")
    figure = serializers.SlugField(source="slug")
    qualifier = serializers.CharField()
    value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    unit = serializers.CharField()
    stage = serializers.CharField(help_text="For funds: committed, raised or disbursed; empty when not stated.")
    about_from = serializers.DateField(
        allow_null=True, help_text="First day of the date or period the text says the figure is about."
    )
    about_to = serializers.DateField(allow_null=True, help_text="Last day of that date or period.")
    as_of = serializers.DateField(
        help_text="Where the series places the figure: `about_to` where recorded, else its meeting's first day."
    )
    quote = serializers.CharField()


class FigureSeriesView(ReadsAsOf, APIView):
    """A figure across time with its hedge kept, e.g. people freed: 7.7 million → almost 8 → nearly eight.

    In the order of the dates the figures are about (`as_of` in each point); funds carry their stage. With the
    parameter `as_of`, the series as it stood then.
    """

    @extend_schema(
        parameters=[OpenApiParameter("metric", enum=FigureMetric.values, required=True), AS_OF_PARAMETER],
        responses={200: FigurePointSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request, format=None):
        metric = request.query_params.get("metric")
        if metric not in FigureMetric.values:
            raise ValidationError({"metric": [f"metric must be one of: {', '.join(FigureMetric.values)}."]})
        moment = requested_moment(request)
        if moment is not None:
            points = figure_series_as_of(metric, moment, sees_drafts=sees_drafts(request))
            return Response(FigurePointSerializer(points, many=True).data, headers=past_headers(request, moment))
        return Response(
            FigurePointSerializer(Figure.objects.for_reader(sees_drafts(request)).series(metric), many=True).data
        )


class VerdictCountSerializer(serializers.Serializer):
    key = serializers.SlugField(help_text="The line of effort's or the meeting's slug.")
    name = serializers.CharField()
    total = serializers.IntegerField(help_text="Commitments in the group, assessed or not.")
    kept = serializers.IntegerField()
    compromise = serializers.IntegerField()
    in_the_works = serializers.IntegerField()
    stalled = serializers.IntegerField()
    broken = serializers.IntegerField()
    not_started = serializers.IntegerField()
    no_evidence = serializers.IntegerField(help_text="“No evidence available”: not scored, never counted as -1.")
    not_assessed = serializers.IntegerField(
        help_text="Commitments with no approved assessment (or whose newest says “not yet assessed”): never hidden."
    )
    scored = serializers.IntegerField(help_text="Commitments whose verdict has a score (+1, 0 or -1).")
    average_score = serializers.FloatField(allow_null=True, help_text="Average score on -1..+1; null: none scored.")
    percentage = serializers.FloatField(
        allow_null=True,
        help_text="The average as the G7/G20 Research Group's percentage: (average + 1) / 2 × 100.",
    )


class MemberScoreCountSerializer(serializers.Serializer):
    key = serializers.SlugField(help_text="The member's slug.")
    name = serializers.CharField()
    scored = serializers.IntegerField(
        help_text="Commitments it is scored on (each commitment's newest approved assessment)."
    )
    plus_one = serializers.IntegerField(help_text="Scores of +1: full compliance.")
    zero = serializers.IntegerField(help_text="Scores of 0: partial, work in progress.")
    minus_one = serializers.IntegerField(help_text="Scores of -1: no compliance or contrary action.")
    average_score = serializers.FloatField(help_text="Average score on -1..+1.")
    percentage = serializers.FloatField(
        help_text="The average as the G7/G20 Research Group's percentage: (average + 1) / 2 × 100."
    )


def member_rows(percentages: list[dict] | None = None) -> list[dict]:
    """Each scored member's row of the aggregate by member: its scores counted, their average and percentage
    (of `MemberScore.objects.percentages("member")`, or of the `percentages` given: those of a past moment)."""
    if percentages is None:
        percentages = MemberScore.objects.percentages("member")
    return [
        {
            "key": row["slug"],
            "name": row["name"],
            "scored": row["scored"],
            "plus_one": row["plus_one"],
            "zero": row["zero"],
            "minus_one": row["minus_one"],
            "average_score": row["average"],
            "percentage": row["percent"],
        }
        for row in percentages
    ]


class VerdictsView(ReadsAsOf, APIView):
    """Commitments counted by the verdict of their newest approved assessment, per line of effort or per meeting;
    or, per member, the members' own scores on collective pledges.

    Drafts are never counted. Each commitment counts once, in its own line of effort (`by=line`) or
    at the meeting it was made at (`by=meeting`); those with no approved assessment are counted as
    `not_assessed`. Where verdicts are scored, the average score and its percentage as the G7/G20
    Research Group reports compliance ((average + 1) / 2 × 100). With `by=member`, one row per member
    scored on any commitment's newest approved assessment: its +1, 0 and -1 scores counted, their
    average and percentage (a member never scored is not listed). As CSV, the same rows. With `as_of`, counted
    from the commitments, assessments and scores as they stood then.
    """

    @extend_schema(
        parameters=[OpenApiParameter("by", enum=list(AGGREGATE_GROUPINGS), default=BY_LINE), AS_OF_PARAMETER],
        responses={
            200: PolymorphicProxySerializer(
                component_name="VerdictRows",
                serializers=[VerdictCountSerializer, MemberScoreCountSerializer],
                resource_type_field_name=None,
                many=True,
            ),
            400: ErrorSerializer,
        },
    )
    def get(self, request, format=None):
        by = request.query_params.get("by", BY_LINE)
        if by not in AGGREGATE_GROUPINGS:
            raise ValidationError({"by": [f"by must be one of: {', '.join(AGGREGATE_GROUPINGS)}."]})
        moment = requested_moment(request)
        headers = past_headers(request, moment) if moment else None
        if by == BY_MEMBER:
            percentages = member_percentages_as_of(moment) if moment else None
            return Response(MemberScoreCountSerializer(member_rows(percentages), many=True).data, headers=headers)
        if moment is not None:
            groups = verdict_counts_as_of(moment, (by,), sees_drafts=sees_drafts(request))[by]
        else:
            groups = verdict_counts(Commitment.objects.for_reader(sees_drafts(request)), by)
        return Response(VerdictCountSerializer([group.as_row() for group in groups], many=True).data, headers=headers)
