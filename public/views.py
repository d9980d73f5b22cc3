"""The public pages: server-rendered reads of the domain apps, each in a fixed number of queries.

The reads are the models' QuerySet methods; these views put them together for a template. Each
page links its data in the REST API (by URL name only: the pages never import the API's code).
"""

from dataclasses import dataclass, replace

from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render

from commitments import counts
from commitments import search as record_search
from commitments.merging import current_pledge
from commitments.models import (
    Assessment,
    Commitment,
    LineOfEffort,
    LinkKind,
    MoneyStage,
    PledgeLink,
    Thread,
    ThreadEntry,
    TimelineStep,
)
from commitments.pledge_links import SEEN_KINDS
from commitments.timeline import TIMELINE_PAGE_SIZE
from commitments.verdicts import BY_LINE, BY_MEETING, BY_MEMBER
from meetings.models import Figure, FigureMetric, Meeting, Participation, ParticipationRole, Statement

from . import as_of, past_lists_pages, past_pages
from .charts import counts_chart, money_chart, series_chart, year_chart
from .display import named_records
from .follow_through import follow_through_page, pledge_follow_through, pledge_verdict_today
from .forms import CommitmentFilterForm, MatrixFilterForm, SearchForm
from .fragments import follow_through, quoted_commitments, statement_text, timeline_steps
from .highlight import marked_words, quote_in_context
from .links import DataLink, api_url, list_link, page_url, with_query
from .matrix import matrix_page
from .paging import GroupedList, paginate, paginate_known
from .trajectory import trajectory_line

# The figure series the lines-of-effort page draws, in this order, each with its latest figures at most.
SERIES = [FigureMetric.PEOPLE_FREED, FigureMetric.MEMBERS, FigureMetric.FUNDS]
SERIES_LENGTH = 24

# Up to this many meetings the lines-of-effort chart has a column per meeting; beyond, one per year.
MEETING_COLUMNS = 6

# Pledges in a page of search results, the quotes shown of each, and the commitments in no pledge shown
# (the rest are in the commitments list with the same words).
SEARCH_PLEDGES_PER_PAGE = 20
SEARCH_QUOTES_PER_PLEDGE = 3
SEARCH_COMMITMENTS_SHOWN = 20

# Meetings in a page of their list, and commitments in a page of theirs.
MEETINGS_PER_PAGE = 50
COMMITMENTS_PER_PAGE = 50


@as_of.with_past(past_lists_pages.matrix)
def matrix(request):
    """Home: one row per recurring pledge, one column per meeting, filtered by the query string.

    At scale, a window of it: the pledges a page at a time, the meetings of a range of years (the
    latest by default), with links to the pages and to the meetings before and after. With `?as_of=`, as it
    stood then (`past_lists_pages.matrix`).
    """
    lines = list(LineOfEffort.objects.all())
    per_year = list(Meeting.objects.published().per_year())
    years = [year for year, _ in per_year]
    form = MatrixFilterForm(request.GET, lines=lines, years=years)
    filtered = form.is_filtered()
    shown, filters, first, last = None, {}, None, None
    if form.is_valid():
        filters = form.cleaned_data
        shown = matrix_page(filters, per_year, lines, request.GET.get("page"))
        first, last = shown.years(filters["year_from"], filters["year_to"])
        if shown.window.narrowed:
            # The years shown are not those asked for: the form says which they are.
            form = MatrixFilterForm(
                {**request.GET.dict(), "year_from": first, "year_to": last}, lines=lines, years=years
            )
            form.is_valid()
    line = filters.get("line_of_effort")
    commitment_filters = {
        "has_thread": "true",
        "line_of_effort": line,
        "date_after": f"{first}-01-01" if first else None,
        "date_before": f"{last}-12-31" if last else None,
        "q": filters.get("q"),
    }
    context = {
        "form": form,
        "filtered": filtered,
        "matrix": shown,
        "past": None,
        "dated": as_of.dated_link(request),
        "data_links": [
            DataLink("Pledge matrix (every pledge and meeting)", api_url("pledge-matrix")),
            list_link(
                "Recurring pledges" + (" of this line of effort" if line else ""), "thread-list", line_of_effort=line
            ),
            # The API files a commitment under its own line of effort, which may differ from its pledge's.
            list_link(
                "Commitments in recurring pledges, with these filters"
                + (" (by each commitment's own line of effort)" if line else ""),
                "commitment-list",
                **commitment_filters,
            ),
        ],
    }
    return render(request, "public/matrix.html", context, status=200 if shown else 400)


@as_of.with_past(past_pages.pledge)
def pledge(request, slug):
    """A recurring pledge's story: its commitments in meeting order, how each changed, worded and assessed.

    A long pledge's story is paged (`?page=N`, `TIMELINE_PAGE_SIZE` commitments a page): the page's steps,
    their assessments and money, the pledge's counts and its verdict today, so that a page costs the same
    however long the pledge; a pledge of one page is read whole. With `?as_of=`, the story as it stood then
    (`past_pages.pledge`).
    """
    published = Thread.objects.published().with_story_counts()
    thread = get_object_or_404(published.select_related("line_of_effort"), slug=slug)
    # Its links to other pledges, in one query: a pledge merged into another answers with a permanent redirect.
    links = PledgeLink.objects.seen_from(thread)
    if any(link["kind"] == LinkKind.MERGED_INTO for link in links):
        return redirect("public:pledge", current_pledge(thread).slug, permanent=True)
    # A page of its steps in one query, the entry before the page's first read too for its wording difference.
    story = ThreadEntry.objects.published().story_of(thread)
    pager = paginate_known(
        thread.entry_count,
        TIMELINE_PAGE_SIZE,
        request.GET.get("page"),
        lambda start, stop: TimelineStep.chain_page(story, start, stop),
        url=request.path,
        params={},
        label="its commitments",
    )
    steps = pager.page.object_list
    # The page's approved assessments and their evidence: its course across cycles, and the newest of each
    # commitment for its card; the pledge's verdict today, where the page holds only some of its commitments,
    # is the newest of all of theirs (one query more).
    followed = pledge_follow_through(step.entry.commitment for step in steps)
    if pager.is_paged:
        followed = replace(followed, today=pledge_verdict_today(ThreadEntry.objects.published().filter(thread=thread)))
    # The page's money, stage by stage, from the same approved assessments: one query for its commitments.
    money = MoneyStage.objects.over_time_of(step.entry.commitment_id for step in steps)
    context = {
        "thread": thread,
        "links": links,
        "link_kinds": SEEN_KINDS,
        "steps": steps,
        "pager": pager,
        "on_page": {step.entry.commitment_id for step in steps},
        # A quote's `cite` is an absolute address: the host is read once, not once per quote.
        "timeline": timeline_steps(
            steps,
            followed.latest,
            f"{request.scheme}://{request.get_host()}",
            named_records([note for step in steps for note in (step.entry.note, step.entry.commitment.note)]),
        ),
        # The meetings of the page's steps: all of them for a pledge of one page.
        "meetings": thread.meetings_in_order([step.entry for step in steps]),
        "meeting_count": thread.meeting_count,
        "past": None,
        "dated": as_of.dated_link(request),
        # Its course in one line, the page's answer, from the same steps.
        "trajectory": trajectory_line(steps, opens=pager.page.number == 1, closes=not pager.page.has_next()),
        "followed": followed,
        "money": money_chart(
            [
                (f"{step.entry.commitment.statement.meeting.short_name()} (no. {step.entry.position})", points)
                for step in steps
                if (points := money.get(step.entry.commitment_id))
            ]
        ),
        "data_links": [
            DataLink("This pledge's timeline, with the word differences", api_url("thread-detail", thread.slug)),
            list_link("Its commitments", "commitment-list", thread=thread.slug),
            *(
                list_link(
                    f"Assessments of {step.entry.commitment.statement.meeting.short_name()} (no. "
                    f"{step.entry.position})",
                    "assessment-list",
                    commitment=step.entry.commitment.slug,
                )
                for step in steps
                if step.entry.commitment_id in followed.latest
            ),
        ],
    }
    return render(request, "public/pledge.html", context)


@as_of.with_past(past_lists_pages.follow_through)
def follow_through_overview(request):
    """What became of the pledges: the commitments' verdicts by line of effort and by meeting, and members'
    scores by member, each as a chart and its table, with how many are not assessed (or score no member);
    approved assessments only. With `?as_of=`, the verdicts as they stood then (`past_lists_pages`)."""
    pages = {
        BY_LINE: lambda key: with_query(page_url("public:matrix"), {"line_of_effort": key}),
        BY_MEETING: lambda key: page_url("public:meeting", key),
    }
    filters = {BY_LINE: "line_of_effort", BY_MEETING: "meeting", BY_MEMBER: "member"}
    context = {
        "past": None,
        "dated": as_of.dated_link(request),
        "page": follow_through_page(
            lambda by, key: pages[by](key),
            lambda by, key: list_link("Its assessments", "assessment-list", **{filters[by]: key}),
        ),
        "data_links": [
            *(
                DataLink(f"Verdicts by {word}", api_url("verdicts", by=by), api_url("verdicts", by=by, format="csv"))
                for by, word in (
                    (BY_LINE, "line of effort"),
                    (BY_MEETING, "meeting, every meeting"),
                    (BY_MEMBER, "member (members' scores)"),
                )
            ),
            list_link("Every approved assessment, with its evidence", "assessment-list"),
            list_link("Assessment cycles", "assessmentcycle-list"),
        ],
    }
    return render(request, "public/follow_through.html", context)


@as_of.with_past(past_lists_pages.meetings)
def meetings(request):
    """The meetings in the order they took place, with their statements, a page at a time. With `?as_of=`, as
    they stood then (`past_lists_pages.meetings`)."""
    pager = paginate(
        Meeting.objects.published().in_order(),
        MEETINGS_PER_PAGE,
        request.GET.get("page"),
        url=page_url("public:meetings"),
        params={},
        label="meetings",
    )
    shown = list(pager.page.object_list)
    statements = {}
    for statement in Statement.objects.published().filter(meeting__in=[m.pk for m in shown]).listed_rows():
        statements.setdefault(statement["meeting_id"], []).append(statement)
    context = {
        "rows": [(meeting, statements.get(meeting.pk, [])) for meeting in shown],
        "pager": pager,
        "past": None,
        "dated": as_of.dated_link(request),
        "data_links": [list_link("Meetings", "meeting-list"), list_link("Statements", "statement-list")],
    }
    return render(request, "public/meetings.html", context)


def by_pledge(rows):
    """A meeting's pledge rows grouped by pledge, in their order: [(the pledge's first row, its rows)].

    A pledge made several times at one meeting (Rome 2021 made the Africa focus pledge four times)
    is one heading with its commitments under it, not four lines that differ only in a chip.
    """
    groups = {}
    for row in rows:
        groups.setdefault(row["thread__slug"], []).append(row)
    return [(group[0], group) for group in groups.values()]


@as_of.with_past(past_pages.meeting)
def meeting(request, slug):
    """A meeting: when, where, in which format, who took part as each source says, what was pledged. With
    `?as_of=`, as it stood then (`past_pages.meeting`)."""
    meeting = get_object_or_404(Meeting.objects.published(), slug=slug)
    statements = list(Statement.objects.published().filter(meeting=meeting).listed())
    others = {}
    for join in Participation.objects.published().conflicting_joins(meeting=meeting):
        if join.meeting_id != meeting.pk:
            others.setdefault(join.member_id, []).append(join)
    roles = {}
    for record in Participation.objects.published().at_meeting(meeting):
        members = roles.setdefault(record.role, {})
        member = members.setdefault(record.member_id, {"member": record.member, "sources": [], "conflicts": []})
        member["sources"].append(record)
        if record.role == ParticipationRole.NEW_MEMBER:
            member["conflicts"] = others.get(record.member_id, [])
    participants = [(role, list(roles[role].values())) for role in ParticipationRole if role in roles]
    notes = [meeting.provenance_note] + [r.note for _, items in participants for i in items for r in i["sources"]]
    context = {
        "meeting": meeting,
        "named": named_records(notes),
        "statements": statements,
        "participants": participants,
        "pledges": by_pledge(ThreadEntry.objects.published().rows_at_meeting(meeting)),
        "data_links": [
            DataLink("This meeting", api_url("meeting-detail", meeting.slug)),
            list_link("Its commitments", "commitment-list", meeting=meeting.slug),
            list_link("Who took part, per source", "participation-list", meeting=meeting.slug),
            list_link("Its figures", "figure-list", meeting=meeting.slug),
        ],
        "past": None,
        "dated": as_of.dated_link(request),
    }
    return render(request, "public/meeting.html", context)


@as_of.with_past(past_pages.statement)
def statement(request, slug):
    """A statement's verbatim text with every quoted span marked and linked to its commitment or figure. With
    `?as_of=`, as it stood then (`past_pages.statement`)."""
    statement = get_object_or_404(Statement.objects.published().select_related("meeting"), slug=slug)
    commitments = list(Commitment.objects.rows_quoting(statement))
    places = ThreadEntry.objects.places_for([commitment["id"] for commitment in commitments])
    figures = list(Figure.objects.filter(statement=statement).order_by("start"))
    participations = list(
        Participation.objects.filter(statement=statement, start__isnull=False)
        .select_related("member")
        .order_by("start", "member__name")
    )
    context = {
        "statement": statement,
        "meeting": statement.meeting,
        "text": statement_text(statement, commitments, figures, participations),
        "digest_matches": statement.text_matches_digest(),
        "commitments": commitments,
        "commitment_items": quoted_commitments(commitments, places),
        "named": named_records([statement.note, *(figure.note for figure in figures)]),
        "figures": figures,
        "participations": participations,
        "data_links": [
            DataLink("This statement, with its text and SHA-256", api_url("statement-detail", statement.slug)),
            list_link("Its commitments", "commitment-list", statement=statement.slug),
            list_link("Its figures", "figure-list", statement=statement.slug),
            list_link("Who took part, per this statement", "participation-list", statement=statement.slug),
        ],
        "query": "",
        "past": None,
        "dated": as_of.dated_link(request),
    }
    return render(request, "public/statement.html", context)


@as_of.with_past(past_lists_pages.lines_of_effort)
def lines_of_effort(request):
    """Commitments per line of effort per meeting (per year when there are many meetings), and the
    latest figures of each series across meetings with their qualifiers. With `?as_of=`, the counts as they
    stood then (`past_lists_pages.lines_of_effort`)."""
    lines = list(LineOfEffort.objects.all())
    # One more than a chart holds in columns tells whether the columns are meetings or years.
    meetings = list(Meeting.objects.published().in_order()[: MEETING_COLUMNS + 1])
    if len(meetings) <= MEETING_COLUMNS:
        chart = counts_chart(lines, meetings, counts.by_line_and_meeting())
    else:
        meetings = []
        chart = year_chart(lines, counts.by_line_and_year())
    series = []
    for metric in SERIES:
        latest = list(Figure.objects.published().latest_in_series(metric)[:SERIES_LENGTH])[::-1]
        total = latest[0].series_total if latest else 0
        series.append((metric, latest, total, series_chart(latest, metric)))
    context = {
        "chart": chart,
        "meetings": meetings,
        "series": series,
        "past": None,
        "dated": as_of.dated_link(request),
        "data_links": [
            DataLink(
                "Commitments per line of effort and meeting",
                api_url("commitments-by-line"),
                api_url("commitments-by-line", format="csv"),
            ),
            *(
                DataLink(
                    f"Figure series: {metric.label.lower()}",
                    api_url("figure-series", metric=metric.value),
                    api_url("figure-series", metric=metric.value, format="csv"),
                )
                for metric in SERIES
            ),
            list_link("Lines of effort", "lineofeffort-list"),
        ],
    }
    return render(request, "public/lines.html", context)


@as_of.with_past(past_lists_pages.commitments)
def commitments(request):
    """Every commitment, in a recurring pledge or not, in meeting and text order, filtered and a page at a time.
    With `?as_of=`, as they stood then (`past_lists_pages.commitments`)."""
    lines = list(LineOfEffort.objects.all())
    # The meetings in order with their statements in order: the filter's choices, and the order of the list.
    # Published ones only: the list reads the commitments of these statements alone (`meetings.drafts`).
    statements = list(
        Meeting.objects.published()
        .filter(Q(statements__isnull=True) | Q(statements__draft=False))
        .order_by("start_date", "slug", "statements__position", "statements__pk")
        .values_list("slug", "name", "statements__pk")
    )
    meetings = list(dict.fromkeys((slug, name) for slug, name, _ in statements))
    form = CommitmentFilterForm(request.GET, lines=lines, meetings=meetings)
    if not form.is_valid():
        context = {"form": form, "filtered": True, "pager": None, "rows": [], "data_links": [], "past": None}
        context["dated"] = None
        return render(request, "public/commitments.html", context, status=400)
    filters = {name: value for name, value in form.cleaned_data.items() if value}
    # Not `published()`: the page reads only the published statements' commitments (above), and the
    # counts stay grouped on the statement key alone, with no join.
    shown = Commitment.objects.all()
    if "meeting" in filters:
        shown = shown.filter(statement__meeting__slug=filters["meeting"])
    if "line_of_effort" in filters:
        shown = shown.filter(line_of_effort__slug=filters["line_of_effort"])
    if "strength" in filters:
        shown = shown.filter(strength=filters["strength"])
    if "has_thread" in filters:
        shown = shown.in_any_thread(filters["has_thread"] == "true")
    if "q" in filters:
        shown = shown.search(filters["q"])

    def read(keys, skip, limit):
        return shown.filter(statement_id__in=keys).listed_rows()[skip : skip + limit]

    # Paged through the statements' counts: a page reads the statements it spans, never sorts them all.
    counts = dict(shown.counts_by_statement())
    groups = [(pk, counts[pk]) for _, _, pk in statements if pk in counts]
    pager = paginate(
        GroupedList(groups, read),
        COMMITMENTS_PER_PAGE,
        request.GET.get("page"),
        url=page_url("public:commitments"),
        params=filters,
        label="commitments",
    )
    rows = list(pager.page.object_list)
    places = ThreadEntry.objects.places_for([row["id"] for row in rows]) if rows else {}
    context = {
        "form": form,
        "filtered": bool(filters),
        "pager": pager,
        "rows": [(row, places.get(row["id"], [])) for row in rows],
        "past": None,
        "dated": as_of.dated_link(request),
        "data_links": [
            list_link("These commitments" if filters else "Every commitment", "commitment-list", **filters),
        ],
    }
    return render(request, "public/commitments.html", context)


@as_of.with_past(past_pages.commitment)
def commitment(request, slug):
    """A commitment: its quote among the sentences around it, where it was made, how it is filed, its places
    in recurring pledges and what became of it. With `?as_of=`, as it stood then (`past_pages.commitment`)."""
    commitments = Commitment.objects.published().select_related("statement__meeting", "line_of_effort")
    commitment = get_object_or_404(commitments, slug=slug)
    statement = commitment.statement
    context = {
        "commitment": commitment,
        "statement": statement,
        "meeting": statement.meeting,
        "passage": quote_in_context(statement.text, commitment.start, commitment.end),
        "named": named_records([commitment.note]),
        "quote_matches": commitment.quote_matches(),
        "places": ThreadEntry.objects.places_for([commitment.pk]).get(commitment.pk, []),
        "facts": follow_through(commitment, Assessment.objects.latest_of([commitment.pk]).get(commitment.pk)),
        "data_links": [
            DataLink("This commitment", api_url("commitment-detail", commitment.slug)),
            list_link("Its assessments", "assessment-list", commitment=commitment.slug),
        ],
        "past": None,
        "dated": as_of.dated_link(request),
    }
    return render(request, "public/commitment.html", context)


@dataclass
class PledgeResult:
    """A recurring pledge a search found: its title with the matched words marked, and its quotes that match."""

    row: dict
    title: str
    line: str  # its line of effort's name, the matched words marked
    quotes: list  # [(entry row, the quote as HTML with the matched words marked)]
    more: int  # how many more of its quotes match than are shown


@as_of.with_past(past_lists_pages.search)
def search(request):
    """Search results: the recurring pledges that hold the words, with their quotes that do, and the
    commitments in no pledge that hold them; the matched words marked (`commitments.search`).

    Five queries whatever the data: the pledges (count and page), their matching entries, the members
    the words name with the meetings they took part in, the first commitments in no pledge. With `?as_of=`,
    the texts as they stood then (`past_lists_pages.search`).
    """
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"].strip() if form.is_valid() else ""
    context = {
        "form": form,
        "text": text,
        "pager": None,
        "past": None,
        "dated": as_of.dated_link(request),
        "data_links": [list_link("Every commitment", "commitment-list")],
    }
    if not text:
        return render(request, "public/search.html", context, status=200 if form.is_valid() else 400)
    concepts = record_search.parse(text)
    # A pledge merged into another (retired) is found through the one it went to.
    pledges = Thread.objects.published().search(text).exclude(links__kind=LinkKind.MERGED_INTO)
    pledges = pledges.order_by("line_of_effort__position", "title", "pk")
    pager = paginate(
        pledges.values("pk", "slug", "title", "line_of_effort__name"),
        SEARCH_PLEDGES_PER_PAGE,
        request.GET.get("page"),
        url=page_url("public:search"),
        params={"q": text},
        label="recurring pledges found",
    )
    rows = list(pager.page.object_list)
    found_commitments = Commitment.objects.published().search(text)
    quotes = {}
    if rows:
        entries = (
            ThreadEntry.objects.filter(thread_id__in=[row["pk"] for row in rows], commitment__in=found_commitments)
            .order_by("thread_id", "position")
            .values(
                "thread_id",
                "position",
                "commitment__slug",
                "commitment__quote",
                "commitment__statement__meeting__city",
                "commitment__statement__meeting__start_date",
            )
        )
        for entry in entries:
            quotes.setdefault(entry["thread_id"], []).append(entry)
    results = [
        PledgeResult(
            row=row,
            title=marked_words(row["title"], concepts),
            line=marked_words(row["line_of_effort__name"], concepts),
            quotes=[
                (entry, marked_words(entry["commitment__quote"], concepts))
                for entry in quotes.get(row["pk"], [])[:SEARCH_QUOTES_PER_PLEDGE]
            ],
            more=max(0, len(quotes.get(row["pk"], [])) - SEARCH_QUOTES_PER_PLEDGE),
        )
        for row in rows
    ]
    # Members are linked to meetings (who took part, as a source says), not to commitments: a member the
    # words name is shown with the meetings it took part in; the quotes that name it are found above.
    named = Q()
    for concept in concepts:
        named |= record_search.names_holding(concept, "member__name")
    members = {}
    if concepts:
        rows_of_members = (
            Participation.objects.published()
            .filter(named)
            .order_by("member__name", "member__slug", "meeting__start_date", "meeting__slug", "role")
            .values("member__slug", "member__name", "role", "meeting__slug", "meeting__city", "meeting__start_date")
            .distinct()
        )
        for row in rows_of_members:
            member = members.setdefault(row["member__slug"], {"name": row["member__name"], "meetings": {}})
            meeting = member["meetings"].setdefault(row["meeting__slug"], {**row, "roles": []})
            meeting["roles"].append(ParticipationRole(row["role"]).label.lower())
    # One more than is shown tells whether there are more, without counting them all.
    alone_rows = list(found_commitments.in_any_thread(False).listed_rows()[: SEARCH_COMMITMENTS_SHOWN + 1])
    context.update(
        {
            "pager": pager,
            "results": results,
            "concepts": concepts,
            "commitments": [
                (row, marked_words(row["quote"], concepts), marked_words(row["line_of_effort__name"], concepts))
                for row in alone_rows[:SEARCH_COMMITMENTS_SHOWN]
            ],
            "more_commitments": len(alone_rows) > SEARCH_COMMITMENTS_SHOWN,
            "members": [
                (member["name"], marked_words(member["name"], concepts), list(member["meetings"].values()))
                for member in members.values()
            ],
            "all_commitments": with_query(page_url("public:commitments"), {"q": text, "has_thread": "false"}),
            "data_links": [
                list_link("Recurring pledges with these words", "thread-list", q=text),
                list_link("Commitments with these words", "commitment-list", q=text),
            ],
        }
    )
    return render(request, "public/search.html", context)
