"""The public pages: server-rendered reads of the domain apps, each in a fixed number of queries.

The reads are the models' QuerySet methods; these views put them together for a template. Each
page links its data in the REST API (by URL name only: the pages never import the API's code).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from commitments.models import Assessment, Commitment, LineOfEffort, Thread, ThreadEntry
from meetings.models import Figure, FigureMetric, Meeting, Participation, ParticipationRole, Statement

from .charts import counts_chart, series_chart
from .forms import MatrixFilterForm
from .highlight import Span, highlighted_text
from .matrix import build_matrix

# The figure series the lines-of-effort page draws, in this order.
SERIES = [FigureMetric.PEOPLE_FREED, FigureMetric.MEMBERS, FigureMetric.FUNDS]

# The CSV links ask for the API's largest page; the next page's address is in the response's Link header.
CSV_PAGE_SIZE = 500


@dataclass
class DataLink:
    """A page's data in the API: the JSON document and, for a list, the same rows as CSV."""

    label: str
    json: str
    csv: str = ""


def api_url(name, *args, **params):
    """The address of an API endpoint by its URL name, with the query parameters that are set."""
    url = reverse(f"api:{name}", args=args)
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{url}?{query}" if query else url


def list_link(label, name, **filters):
    """A link to an API list with filters, as JSON and as CSV."""
    return DataLink(
        label=label,
        json=api_url(name, **filters),
        csv=api_url(name, format="csv", page_size=CSV_PAGE_SIZE, **filters),
    )


def matrix(request):
    """Home: one row per recurring pledge, one column per meeting, filtered by the query string."""
    lines = list(LineOfEffort.objects.all())
    meetings = list(Meeting.objects.in_order())
    years = sorted({meeting.start_date.year for meeting in meetings})
    form = MatrixFilterForm(request.GET, lines=lines, years=years)
    groups, columns, filters = [], [], {}
    if form.is_valid():
        filters = form.cleaned_data
        first, last = filters["year_from"], filters["year_to"]
        columns = [m for m in meetings if (first or 0) <= m.start_date.year <= (last or 9999)]
        entries = ThreadEntry.objects.in_years(first, last).of_threads_matching(filters["q"])
        if filters["line_of_effort"]:
            entries = entries.in_line_of_effort(filters["line_of_effort"])
        groups = build_matrix(entries.meeting_matrix(), columns, lines)
    line = filters.get("line_of_effort")
    commitment_filters = {
        "has_thread": "true",
        "line_of_effort": line,
        "date_after": f"{filters['year_from']}-01-01" if filters.get("year_from") else None,
        "date_before": f"{filters['year_to']}-12-31" if filters.get("year_to") else None,
        "q": filters.get("q"),
    }
    context = {
        "form": form,
        "groups": groups,
        "columns": columns,
        "pledge_count": sum(len(group.rows) for group in groups),
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
    return render(request, "public/matrix.html", context, status=200 if form.is_valid() else 400)


def pledge(request, slug):
    """A recurring pledge's story: its commitments in meeting order, how each changed, worded and assessed."""
    thread = get_object_or_404(Thread.objects.select_related("line_of_effort").with_timeline(), slug=slug)
    steps = thread.timeline()
    latest = Assessment.objects.latest_of([step.entry.commitment_id for step in steps])
    meetings = list(dict.fromkeys(step.entry.commitment.statement.meeting for step in steps))
    context = {
        "thread": thread,
        "steps": [(step, latest.get(step.entry.commitment_id)) for step in steps],
        "meetings": meetings,
        "data_links": [
            DataLink("This pledge's timeline, with the word differences", api_url("thread-detail", thread.slug)),
            list_link("Its commitments", "commitment-list", thread=thread.slug),
        ],
    }
    return render(request, "public/pledge.html", context)


def meetings(request):
    """Every meeting in order, with its statements."""
    statements = {}
    for statement in Statement.objects.listed():
        statements.setdefault(statement.meeting_id, []).append(statement)
    rows = [(meeting, statements.get(meeting.pk, [])) for meeting in Meeting.objects.in_order()]
    context = {
        "rows": rows,
        "data_links": [list_link("Meetings", "meeting-list"), list_link("Statements", "statement-list")],
    }
    return render(request, "public/meetings.html", context)


def meeting(request, slug):
    """A meeting: when, where, in which format, who took part as each source says, what was pledged."""
    meeting = get_object_or_404(Meeting, slug=slug)
    statements = list(Statement.objects.filter(meeting=meeting).listed())
    others = {}
    for join in Participation.objects.conflicting_joins(meeting=meeting):
        if join.meeting_id != meeting.pk:
            others.setdefault(join.member_id, []).append(join)
    roles = {}
    for record in Participation.objects.at_meeting(meeting):
        members = roles.setdefault(record.role, {})
        member = members.setdefault(record.member_id, {"member": record.member, "sources": [], "conflicts": []})
        member["sources"].append(record)
        if record.role == ParticipationRole.NEW_MEMBER:
            member["conflicts"] = others.get(record.member_id, [])
    participants = [(role, list(roles[role].values())) for role in ParticipationRole if role in roles]
    context = {
        "meeting": meeting,
        "statements": statements,
        "participants": participants,
        "entries": list(ThreadEntry.objects.at_meeting(meeting)),
        "data_links": [
            DataLink("This meeting", api_url("meeting-detail", meeting.slug)),
            list_link("Its commitments", "commitment-list", meeting=meeting.slug),
            list_link("Who took part, per source", "participation-list", meeting=meeting.slug),
            list_link("Its figures", "figure-list", meeting=meeting.slug),
        ],
    }
    return render(request, "public/meeting.html", context)


def statement(request, slug):
    """A statement's verbatim text with every quoted span marked and linked to its commitment or figure."""
    statement = get_object_or_404(Statement.objects.select_related("meeting"), slug=slug)
    commitments = list(Commitment.objects.filter(statement=statement).for_list())
    figures = list(Figure.objects.filter(statement=statement).order_by("start"))
    participations = list(
        Participation.objects.filter(statement=statement, start__isnull=False)
        .select_related("member")
        .order_by("start", "member__name")
    )
    spans = [Span(c.start, c.end, "commitment", f"c-{c.slug}") for c in commitments]
    spans += [Span(f.start, f.end, "figure", f"f-{f.slug}") for f in figures]
    spans += [Span(p.start, p.end, "participation", f"p-{p.member.slug}-{p.role}") for p in participations]
    context = {
        "statement": statement,
        "meeting": statement.meeting,
        "text": highlighted_text(statement.text, spans),
        "digest_matches": statement.text_matches_digest(),
        "commitments": commitments,
        "figures": figures,
        "participations": participations,
        "data_links": [
            DataLink("This statement, with its text and SHA-256", api_url("statement-detail", statement.slug)),
            list_link("Its commitments", "commitment-list", statement=statement.slug),
            list_link("Its figures", "figure-list", statement=statement.slug),
            list_link("Who took part, per this statement", "participation-list", statement=statement.slug),
        ],
    }
    return render(request, "public/statement.html", context)


def lines_of_effort(request):
    """Commitments per line of effort per meeting, and figure series across meetings with their qualifiers."""
    lines = list(LineOfEffort.objects.all())
    meetings = list(Meeting.objects.in_order())
    counts = list(Commitment.objects.counts_by_line_and_meeting())
    series = []
    for metric in SERIES:
        figures = list(Figure.objects.series(metric))
        series.append((metric, figures, series_chart(figures)))
    context = {
        "chart": counts_chart(lines, meetings, counts),
        "meetings": meetings,
        "series": series,
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
