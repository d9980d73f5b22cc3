"""The public lists, the matrix, the counts and search as they stood at a moment (`?as_of=`, `public.as_of`): what
`public.views` answers when a reader asks for the past of a page that is not one record's.

Each reads the record of then through `commitments.past_lists`, `past_counts`, `past_search` and
`past_matrix` (as the API as of a date does; themselves through `core.as_of`) in a fixed number of
queries whatever the history's length, and renders today's template marked as a past state, its links,
filters and pages keeping the moment. What the history cannot honestly give is left out and said so on
the page: the figure series (lines of effort), members' scores (follow-through) and the members a search
names.
"""

from django.db.models import Case, Count, IntegerField, Value, When
from django.shortcuts import render

from commitments import search as record_search
from commitments.models import Commitment, LineOfEffort, ThreadEntry
from commitments.past import places_as_of
from commitments.past_counts import by_line_and_year, counts_by_line_and_meeting_as_of, verdict_counts_as_of
from commitments.past_lists import (
    commitments_chosen_then,
    listed_commitments_as_of,
    pledges_as_of,
    readable_entries_as_of,
    statements_listed_as_of,
)
from commitments.past_search import holding_then, threads_holding_then
from commitments.verdicts import BY_LINE, BY_MEETING, VERDICT_ORDER
from core.as_of import records_as_of, records_of, standing, value_as_of
from meetings.models import Figure, Meeting, Statement
from meetings.past import meetings_as_of

from . import as_of
from .charts import counts_chart, year_chart
from .follow_through import MEETINGS_SHOWN, FollowThroughPage, groupings_of
from .forms import CommitmentFilterForm, MatrixFilterForm, SearchForm
from .highlight import marked_words
from .links import DataLink, api_url, page_url, with_query
from .matrix import matrix_page_as_of
from .paging import GroupedList, paginate

# What the search as of a date shows of a commitment in no pledge.
ALONE_COLUMNS = ("slug", "quote", "strength", "line_of_effort_id", "meeting_slug", "meeting_city", "meeting_start_date")


def _then(moment):
    """The lines of effort in their order and the published meetings in theirs, as they stood at `moment`:
    what a list's filters offer and its columns are. Two queries."""
    lines = sorted(records_as_of(LineOfEffort, moment), key=lambda line: (line.position, line.slug))
    meetings = sorted(records_as_of(Meeting, moment, draft=False), key=lambda m: (m.start_date, m.slug))
    return lines, meetings


def matrix(request, moment):
    """The pledge matrix as it stood at `moment`: the pledges, meetings and lines of effort of then, each cell
    its change kind and verdict then, filtered by the line and the words of then. Four queries: the lines and
    meetings of then, and `public.matrix.matrix_page_as_of`'s two."""
    state = as_of.past_state(request, moment)
    lines, meetings = _then(moment)
    years = sorted({meeting.start_date.year for meeting in meetings})
    form = MatrixFilterForm(request.GET, lines=lines, years=years)
    filtered = form.is_filtered()
    shown, filters = None, {}
    if form.is_valid():
        filters = form.cleaned_data
        shown = matrix_page_as_of(filters, meetings, lines, request.GET.get("page"), state)
        if shown.window.narrowed:
            form = MatrixFilterForm(
                {**request.GET.dict(), "year_from": shown.window.first, "year_to": shown.window.last},
                lines=lines,
                years=years,
            )
            form.is_valid()
    line = filters.get("line_of_effort")
    context = {
        "form": form,
        "filtered": filtered,
        "matrix": shown,
        "past": state,
        "dated": None,
        "data_links": [
            DataLink(
                "Recurring pledges as they stood then" + (" (this line of effort)" if line else ""),
                api_url("thread-list", line_of_effort=line, as_of=state.stamp),
            )
        ],
    }
    return render(request, "public/matrix.html", context, status=200 if shown else 400)


def meetings(request, moment):
    """The meetings as they stood at `moment`, in the order they took place, with their published statements
    then and the commitments and figures quoting each then. Five queries: the count, the page, its statements
    and the two counts."""
    from .views import MEETINGS_PER_PAGE  # today's page's size, read when called (the views import this module)

    state = as_of.past_state(request, moment)
    pager = paginate(
        meetings_as_of(moment).order_by("start_date", "slug"),
        MEETINGS_PER_PAGE,
        request.GET.get("page"),
        url=page_url("public:meetings"),
        params={"as_of": state.stamp},
        label="meetings",
    )
    shown = records_of(Meeting, pager.page.object_list)
    statements = sorted(
        (
            s
            for s in records_as_of(Statement, moment, leave_out=("text",), meeting_id__in=[m.pk for m in shown])
            if not s.draft
        ),
        key=lambda s: (s.position, s.pk),
    )
    ids = [s.pk for s in statements]
    commitments = _counted(Commitment, moment, ids)
    figures = _counted(Figure, moment, ids)
    by_meeting = {}
    for s in statements:
        by_meeting.setdefault(s.meeting_id, []).append(
            {
                "slug": s.slug,
                "title": s.title,
                "kind": s.kind,
                "commitment_count": commitments.get(s.pk, 0),
                "figure_count": figures.get(s.pk, 0),
            }
        )
    context = {
        "rows": [(meeting, by_meeting.get(meeting.pk, [])) for meeting in shown],
        "pager": pager,
        "past": state,
        "dated": None,
        "data_links": [DataLink("Meetings as they stood then", api_url("meeting-list", as_of=state.stamp))],
    }
    return render(request, "public/meetings.html", context)


def _counted(model, moment, statement_ids):
    """{statement id: how many `model` records (commitments, figures) quoted it at `moment`}. One query."""
    rows = standing(model, moment).filter(statement_id__in=statement_ids).order_by().values("statement_id")
    return {row["statement_id"]: row["n"] for row in rows.annotate(n=Count("id"))}


def commitments(request, moment):
    """Every commitment published at `moment`, as it stood then, filtered by the meeting, line of effort,
    strength and pledges of then and by the words of its quote, summary or line then, in meeting and text
    order, a page at a time: paged, as today's, through the number of commitments per statement, so that a
    page reads the few statements it spans. Seven queries: the lines, meetings and statements of then, the
    counts, the page, and its places and their pledges."""
    from .views import COMMITMENTS_PER_PAGE  # as above

    state = as_of.past_state(request, moment)
    lines, meetings = _then(moment)
    form = CommitmentFilterForm(request.GET, lines=lines, meetings=[(m.slug, m.name) for m in meetings])
    if not form.is_valid():
        context = {"form": form, "filtered": True, "pager": None, "rows": [], "data_links": [], "past": state}
        return render(request, "public/commitments.html", context | {"dated": None}, status=400)
    filters = {name: value for name, value in form.cleaned_data.items() if value}
    concepts = record_search.parse(filters["q"]) if "q" in filters else []
    statements = statements_listed_as_of(moment, meetings)
    if "meeting" in filters:
        statements = [s for s in statements if s.meeting.slug == filters["meeting"]]
    shown = standing(Commitment, moment).filter(
        commitments_chosen_then(
            moment,
            concepts=concepts,
            line_of_effort_id=next((line.pk for line in lines if line.slug == filters.get("line_of_effort")), None),
            strength=filters.get("strength"),
            in_thread={"true": True, "false": False}.get(filters.get("has_thread", "")),
        )
    )
    if "q" in filters and not concepts:
        shown = shown.none()  # only words that say nothing: as today's search, nothing found

    def read(keys, skip, limit):
        # The page's statements in the list's order, then each one's commitments in text order.
        rank = Case(*(When(statement_id=key, then=Value(i)) for i, key in enumerate(keys)), output_field=IntegerField())
        rows = shown.filter(statement_id__in=keys).annotate(rank=rank).order_by("rank", "start", "id")
        return records_of(Commitment, rows[skip : skip + limit])

    # Grouped on the statement key alone, drafts of then (statements not listed) left out here.
    counts = dict(shown.order_by().values_list("statement_id").annotate(n=Count("id")))
    pager = paginate(
        GroupedList([(s.pk, counts[s.pk]) for s in statements if s.pk in counts], read),
        COMMITMENTS_PER_PAGE,
        request.GET.get("page"),
        url=page_url("public:commitments"),
        params={**filters, "as_of": state.stamp},
        label="commitments",
    )
    page = list(pager.page.object_list)
    places = places_as_of([c.pk for c in page], moment)
    by_statement = {s.pk: s for s in statements}
    by_line = {line.pk: line for line in lines}
    context = {
        "form": form,
        "filtered": bool(filters),
        "pager": pager,
        "rows": [
            (_listed_row(c, by_statement[c.statement_id], by_line.get(c.line_of_effort_id)), places.get(c.pk, []))
            for c in page
        ],
        "past": state,
        "dated": None,
        "data_links": [
            DataLink(
                "These commitments as they stood then",
                api_url("commitment-list", as_of=state.stamp, **_api_filters(filters)),
            )
        ],
    }
    return render(request, "public/commitments.html", context)


def _api_filters(filters):
    """The list's filters the API's list as of a date reads (it refuses words as of a date)."""
    return {name: value for name, value in filters.items() if name != "q"}


def _listed_row(commitment, statement, line):
    """A commitment of then, with its statement (and meeting) and line of effort of then, as
    `Commitment.objects.listed_rows()` gives today's row."""
    meeting = statement.meeting
    return {
        "id": commitment.pk,
        "slug": commitment.slug,
        "quote": commitment.quote,
        "strength": commitment.strength,
        "line_of_effort__slug": line.slug if line else "",
        "line_of_effort__name": line.name if line else "",
        "statement__slug": statement.slug,
        "statement__meeting__slug": meeting.slug,
        "statement__meeting__city": meeting.city,
        "statement__meeting__start_date": meeting.start_date,
    }


def lines_of_effort(request, moment):
    """Commitments per line of effort per meeting (per year when there are many meetings) as they stood at
    `moment`: the commitments, lines and published meetings of then. The figure series are left out (said on
    the page). Three queries: the lines and meetings of then, the counts."""
    from .views import MEETING_COLUMNS

    state = as_of.past_state(request, moment)
    lines, meetings = _then(moment)
    counts = counts_by_line_and_meeting_as_of(moment)
    if len(meetings) <= MEETING_COLUMNS:
        chart = counts_chart(lines, meetings, counts)
    else:
        meetings = []
        chart = year_chart(lines, by_line_and_year(counts))
    context = {
        "chart": chart,
        "meetings": meetings,
        "series": [],
        "past": state,
        "dated": None,
        "data_links": [],
    }
    return render(request, "public/lines.html", context)


def follow_through(request, moment):
    """The verdicts by line of effort and by meeting as they stood at `moment`: each commitment published then
    counted by its newest approved assessment then. Members' scores are left out (said on the page): the
    per-member scores of then are not read from the history. Two queries: the meetings of then, the counts
    by line and by meeting."""
    state = as_of.past_state(request, moment)
    meetings = records_as_of(Meeting, moment, draft=False)
    latest = sorted(meetings, key=lambda m: (m.start_date, m.slug), reverse=True)
    shown = {meeting.slug for meeting in latest[:MEETINGS_SHOWN]}
    counted = verdict_counts_as_of(moment)
    by_meeting = [group for group in counted[BY_MEETING] if group.key in shown]
    pages = {
        BY_LINE: lambda key: with_query(page_url("public:matrix"), {"line_of_effort": key, "as_of": state.stamp}),
        BY_MEETING: lambda key: page_url("public:meeting", key) + state.query,
    }
    groupings = groupings_of(counted[BY_LINE], by_meeting, False, lambda by, key: pages[by](key), None)
    if len(latest) > MEETINGS_SHOWN:
        groupings[1].note = f"The latest {MEETINGS_SHOWN} meetings then."
    context = {
        "page": FollowThroughPage(groupings=groupings, verdicts=VERDICT_ORDER, by_member=None),
        "past": state,
        "dated": None,
        "data_links": [],
    }
    return render(request, "public/follow_through.html", context)


def search(request, moment):
    """Search results as they stood at `moment`: the recurring pledges of then holding the words (in their title,
    description or line of effort then, or in a quote or summary of their commitments then) with their quotes
    that do, and the commitments in no pledge then that hold them; the drafts of then hidden, a pledge merged
    by then left out. The history has no full-text index: each word is matched where it starts a word of the
    text as it stood then (`commitments.past_search.holding_then`). Members are not searched as of a date (said on
    the page). Nine queries: the lines, the pledges' count and page, their entries, commitments, statements and
    meetings, the quotes that match, the first commitments in no pledge."""
    from .views import SEARCH_COMMITMENTS_SHOWN, SEARCH_PLEDGES_PER_PAGE, SEARCH_QUOTES_PER_PLEDGE, PledgeResult

    state = as_of.past_state(request, moment)
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"].strip() if form.is_valid() else ""
    context = {"form": form, "text": text, "pager": None, "past": state, "dated": None, "data_links": []}
    if not text:
        return render(request, "public/search.html", context, status=200 if form.is_valid() else 400)
    concepts = record_search.parse(text)
    lines = sorted(records_as_of(LineOfEffort, moment), key=lambda line: (line.position, line.slug))
    names = {line.pk: line.name for line in lines}
    pledges = pledges_as_of(moment)
    pledges = pledges.filter(threads_holding_then(concepts, moment)) if concepts else pledges.none()
    pager = paginate(
        pledges.order_by("line_position", "title", "id").values("id", "slug", "title", "line_of_effort_id"),
        SEARCH_PLEDGES_PER_PAGE,
        request.GET.get("page"),
        url=page_url("public:search"),
        params={"q": text, "as_of": state.stamp},
        label="recurring pledges found",
    )
    rows = list(pager.page.object_list)
    quotes = {}
    if rows:
        placed = records_as_of(ThreadEntry, moment, thread_id__in=[row["id"] for row in rows])
        entries = readable_entries_as_of(placed, moment, sees_drafts=False)
        held = set(
            standing(Commitment, moment)
            .filter(id__in=[entry.commitment_id for entry in entries])
            .filter(holding_then(concepts, ("quote", "summary"), moment, "line_of_effort_id"))
            .values_list("id", flat=True)
        )
        for entry in sorted(entries, key=lambda entry: (entry.thread_id, entry.position)):
            if entry.commitment_id in held:
                meeting = entry.commitment.statement.meeting
                quotes.setdefault(entry.thread_id, []).append(
                    {
                        "position": entry.position,
                        "commitment__slug": entry.commitment.slug,
                        "commitment__quote": entry.commitment.quote,
                        "commitment__statement__meeting__city": meeting.city,
                        "commitment__statement__meeting__start_date": meeting.start_date,
                    }
                )
    results = [
        PledgeResult(
            row={"pk": row["id"], "slug": row["slug"]},
            title=marked_words(row["title"], concepts),
            line=marked_words(names.get(row["line_of_effort_id"], ""), concepts),
            quotes=[
                (entry, marked_words(entry["commitment__quote"], concepts))
                for entry in quotes.get(row["id"], [])[:SEARCH_QUOTES_PER_PLEDGE]
            ],
            more=max(0, len(quotes.get(row["id"], [])) - SEARCH_QUOTES_PER_PLEDGE),
        )
        for row in rows
    ]
    alone = []
    if concepts:
        alone = list(
            listed_commitments_as_of(moment, concepts=concepts, in_thread=False)
            .annotate(meeting_city=value_as_of(Commitment, "statement__meeting__city", moment))
            .values(*ALONE_COLUMNS)[: SEARCH_COMMITMENTS_SHOWN + 1]
        )
    context.update(
        {
            "pager": pager,
            "results": results,
            "concepts": concepts,
            "commitments": [
                (
                    {
                        "slug": row["slug"],
                        "strength": row["strength"],
                        "statement__meeting__slug": row["meeting_slug"],
                        "statement__meeting__city": row["meeting_city"],
                        "statement__meeting__start_date": row["meeting_start_date"],
                    },
                    marked_words(row["quote"], concepts),
                    marked_words(names.get(row["line_of_effort_id"], ""), concepts),
                )
                for row in alone[:SEARCH_COMMITMENTS_SHOWN]
            ],
            "more_commitments": len(alone) > SEARCH_COMMITMENTS_SHOWN,
            "members": [],
            "all_commitments": with_query(
                page_url("public:commitments"), {"q": text, "has_thread": "false", "as_of": state.stamp}
            ),
        }
    )
    return render(request, "public/search.html", context)
