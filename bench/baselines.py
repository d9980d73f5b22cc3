"""The benchmark's baselines for the pages: each page's own data read raw (`.values()` rows, the
same filters and windows) and dumped with orjson, so that a page's figure is its cost over reading
what it shows. `bench/measure.py` times each page against its baseline in the same run.
"""


def dumps(value):
    import orjson

    return orjson.dumps(value, default=str)


def page_subjects():
    """A recurring pledge with the most entries, a meeting in the middle and its first statement."""
    from django.db.models import Count

    from commitments.models import Thread
    from meetings.models import Meeting

    thread = Thread.objects.annotate(n=Count("entries")).order_by("-n", "slug").first()
    meetings = Meeting.objects.in_order()
    meeting = meetings[meetings.count() // 2]
    return thread, meeting, meeting.statements.order_by("position").first()


def raw_timeline(thread):
    """What the API answers for a pledge (`GET /api/v1/threads/{slug}/`), read raw: the pledge, the count of its
    entries and the slugs of every meeting it recurs at, and its first page of timeline steps (all of them
    for a pledge of one page: `api.timeline_pages`)."""
    from api.views import ThreadViewSet
    from commitments.models import ThreadEntry
    from commitments.timeline import TIMELINE_PAGE_SIZE

    entries = ThreadEntry.objects.filter(thread=thread).order_by("position")
    # The columns the API's timeline shows, read raw: its first page.
    rows = list(entries.values("position", *ThreadViewSet.TIMELINE_COLUMNS)[:TIMELINE_PAGE_SIZE])
    head = list(
        type(thread)
        .objects.filter(pk=thread.pk)
        .values("slug", "title", "description", "line_of_effort__slug", "line_of_effort__name")
    )
    count = entries.count()
    meetings = list(dict.fromkeys(entries.values_list("commitment__statement__meeting__slug", flat=True)))
    # The timeline's word differences and suggested kinds are part of its data, and no query gives
    # them: computed here as the API computes them (one matching of each pair of quotes).
    from commitments.models import suggest_change_kind
    from commitments.wording import compare

    previous = None
    for row in rows:
        quote, strength = row["commitment__quote"], row["commitment__strength"]
        runs = compare(previous[0], quote)[0] if previous else []
        row["diff"] = [run.as_dict() for run in runs]
        row["suggested"] = suggest_change_kind(*(previous or (None, None)), quote, strength, diff=runs)
        previous = (quote, strength)
    return dumps({"thread": head, "count": count, "meetings": meetings, "timeline": rows})


def raw_pledge(thread):
    """What a pledge's page shows, its first page (`public.views.pledge`): the pledge with the count of its
    entries and meetings, the page's commitments with statement and meeting and each one's wording against
    the one before, their approved assessments with evidence and money, and the pledge's newest approved
    assessment (its verdict today)."""
    from django.db.models import Count

    from commitments.models import (
        STORY_COMMITMENT_FIELDS,
        STORY_MEETING_FIELDS,
        Assessment,
        AssessmentEvidence,
        MoneyStage,
        Thread,
        ThreadEntry,
    )
    from commitments.timeline import TIMELINE_PAGE_SIZE

    head = list(
        Thread.objects.filter(pk=thread.pk).values(
            "slug", "title", "description", "line_of_effort__slug", "line_of_effort__name"
        )
    )
    entries = ThreadEntry.objects.filter(thread=thread)
    counts = entries.aggregate(entries=Count("pk"), meetings=Count("commitment__statement__meeting", distinct=True))
    # The fields the page reads of each commitment and meeting (what `ThreadEntry.objects.story_of()` reads).
    steps = list(
        entries.order_by("position").values(
            "position",
            "change_kind",
            "note",
            "commitment_id",
            *(f"commitment__{name}" for name in STORY_COMMITMENT_FIELDS),
            "commitment__statement__slug",
            "commitment__statement__title",
            "commitment__statement__sha256",
            *(f"commitment__statement__meeting__{name}" for name in STORY_MEETING_FIELDS),
        )[:TIMELINE_PAGE_SIZE]
    )
    # Each step's wording against the one before is part of what the page shows, and no query gives it:
    # compared here as the page compares them (one matching of each pair of quotes), as `raw_timeline` does.
    from commitments.wording import compare

    previous = None
    for step in steps:
        quote = step["commitment__quote"]
        step["diff"] = [run.as_dict() for run in compare(previous, quote)[0]] if previous else []
        previous = quote
    # The page's approved assessments (their course across cycles) and their evidence.
    approved = Assessment.objects.approved().filter(commitment_id__in=[step["commitment_id"] for step in steps])
    assessments = list(
        approved.order_by("assessed_on", "pk").values(
            "pk",
            "commitment_id",
            "assessed_on",
            "verdict",
            "status",
            "funding_stage",
            "evidence_url",
            "note",
            "assessor",
            "supersedes_id",
            "supersedes__assessed_on",
            "supersedes__verdict",
            "supersede_reason",
            "cycle__slug",
            "cycle__name",
            "cycle__from_meeting__start_date",
            "cycle__to_meeting__end_date",
        )
    )
    evidence = list(
        AssessmentEvidence.objects.filter(assessment__in=approved)
        .order_by("evidence__slug")
        .values(
            "assessment_id",
            "relied_on",
            "evidence__quote",
            "evidence__start",
            "evidence__end",
            "evidence__url",
            "evidence__title",
            "evidence__publisher",
            "evidence__published_on",
            "evidence__passage",
            "evidence__self_reported",
            "evidence__statement__slug",
            "evidence__statement__title",
            "evidence__statement__meeting__city",
            "evidence__statement__meeting__start_date",
        )
    )
    # The page's money: every approved stage of its commitments, as stored.
    money = list(
        MoneyStage.objects.filter(assessment__in=approved).values_list(
            "assessment__commitment_id",
            "assessment__assessed_on",
            "assessment__commitment__currency",
            "stage",
            "amount",
        )
    )
    # Its verdict today, where the page holds only some of its commitments: the newest of all of theirs.
    today = list(
        Assessment.objects.approved()
        .filter(commitment_id__in=entries.values("commitment_id"))
        .order_by("-assessed_on", "-pk")
        .values("verdict", "assessed_on", "cycle__name", "commitment__slug", "commitment__statement__meeting__city")[:1]
    )
    return dumps(
        {
            "thread": head,
            "counts": counts,
            "timeline": steps,
            "assessments": assessments,
            "evidence": evidence,
            "money": money,
            "today": today,
        }
    )


def matrix_window(year_from=None, year_to=None):
    """The meetings (pk, slug, name, start_date rows) a page of the pledge matrix aggregate lists: those of
    its window of years (`api.matrix_paging`), and the entries at them."""
    from api.matrix_paging import matrix_window
    from commitments.models import ThreadEntry
    from meetings.models import Meeting

    window = matrix_window(Meeting.objects.per_year(), {"year_from": year_from, "year_to": year_to})
    meetings = list(
        Meeting.objects.in_years(window.first, window.last).in_order().values("pk", "slug", "name", "start_date")
    )
    return meetings, ThreadEntry.objects.at_meetings([meeting["pk"] for meeting in meetings])


def matrix_pages(page_size=50):
    """The number of pages of the pledge matrix aggregate asked with a page only: its pledges made at the
    meetings of its latest window of years, `page_size` a page."""
    _, entries = matrix_window()
    return max(1, -(-entries.thread_ids_among().count() // page_size))


def raw_matrix_page(page=1, page_size=50, year_from=None, year_to=None, line=None):
    """A page of the pledge matrix aggregate read raw: the meetings of its window of years, the pledges the
    filters choose among their entries (what it pages through, counted), the page's entries."""
    from core.pages import counted_slice

    meetings, entries = matrix_window(year_from, year_to)
    chosen = entries.thread_ids_among()
    if line:
        chosen = chosen.filter(line_of_effort__slug=line)
    first = (page - 1) * page_size
    threads, count = counted_slice(chosen, first, first + page_size)
    cells = list(entries.of_threads(threads).meeting_matrix())
    return dumps({"meetings": meetings, "count": count, "entries": cells})


def matrix_filters():
    """Filters a dashboard asks the pledge matrix for: the latest three years of meetings and the first line."""
    from commitments.models import LineOfEffort
    from meetings.models import Meeting

    latest = Meeting.objects.in_order().last()
    return {"year_from": latest.start_date.year - 2, "line": LineOfEffort.objects.first().slug}


def raw_line_counts():
    """Commitments per line of effort and meeting of the answer's window of years, counted from the table as
    every read did before they were kept."""
    from commitments.models import Commitment

    meetings, _ = matrix_window()
    first, last = meetings[0]["start_date"].year, meetings[-1]["start_date"].year
    return dumps(list(Commitment.objects.at_meetings_in_years(first, last).counts_by_line_and_meeting()))


def raw_meetings(page=1):
    """What a page of the meetings list shows: its meetings (counted, to page them) and their statements."""
    from meetings.models import Meeting, Statement
    from public.views import MEETINGS_PER_PAGE

    first = (page - 1) * MEETINGS_PER_PAGE
    count = Meeting.objects.count()
    meetings = list(
        Meeting.objects.in_order().values(
            "pk", "slug", "name", "city", "country", "format", "start_date", "end_date", "date_precision"
        )[first : first + MEETINGS_PER_PAGE]
    )
    statements = list(Statement.objects.filter(meeting__in=[m["pk"] for m in meetings]).listed_rows())
    return dumps([count, meetings, statements])


def raw_meeting(meeting):
    """What a meeting's page shows: the meeting, its statements, who took part per source, the pledges made there."""
    from commitments.models import ThreadEntry
    from meetings.models import Participation, Statement

    return dumps(
        [
            list(type(meeting).objects.filter(slug=meeting.slug).values()),
            list(
                Statement.objects.filter(meeting=meeting)
                .listed()
                .values("slug", "title", "kind", "issuer", "sha256", "commitment_count", "figure_count")
            ),
            list(
                Participation.objects.conflicting_joins(meeting=meeting).values(
                    "member_id",
                    "meeting_id",
                    "role",
                    "quote",
                    "meeting__slug",
                    "meeting__city",
                    "meeting__start_date",
                    "member__slug",
                    "statement__slug",
                    "statement__title",
                )
            ),
            list(
                Participation.objects.at_meeting(meeting).values(
                    "role",
                    "member_id",
                    "member__name",
                    "member__slug",
                    "statement__slug",
                    "statement__title",
                    "quote",
                    "note",
                )
            ),
            list(ThreadEntry.objects.rows_at_meeting(meeting)),
        ]
    )


def raw_statement(statement):
    """What a statement's page shows: it with its text, and the commitments, figures and participation quoting it."""
    from commitments.models import Commitment, ThreadEntry
    from meetings.models import Figure, Participation, Statement

    head = list(
        Statement.objects.filter(slug=statement.slug).values(
            "slug",
            "title",
            "kind",
            "issuer",
            "publisher",
            "issued_on",
            "issued_on_basis",
            "source_url",
            "note",
            "text",
            "sha256",
            "meeting__slug",
            "meeting__name",
            "meeting__city",
            "meeting__start_date",
            "meeting__end_date",
            "meeting__date_precision",
        )
    )
    commitments = list(Commitment.objects.rows_quoting(statement))
    places = ThreadEntry.objects.places_for([commitment["id"] for commitment in commitments])
    figures = list(
        Figure.objects.filter(statement=statement)
        .order_by("start")
        .values("slug", "start", "end", "quote", "metric", "value", "unit", "qualifier", "note")
    )
    participations = list(
        Participation.objects.filter(statement=statement, start__isnull=False)
        .order_by("start", "member__name")
        .values("start", "end", "role", "member__slug", "member__name")
    )
    return dumps([head, commitments, list(places.items()), figures, participations])


def raw_lines():
    """What the lines-of-effort page shows: the counts per line and meeting (or year), the latest of each series."""
    from commitments.models import Commitment, LineOfEffort
    from meetings.models import Figure, Meeting
    from public.views import MEETING_COLUMNS, SERIES, SERIES_LENGTH

    meetings = list(Meeting.objects.in_order().values("slug", "city", "start_date")[: MEETING_COLUMNS + 1])
    if len(meetings) <= MEETING_COLUMNS:
        counts = list(Commitment.objects.counts_by_line_and_meeting())
    else:
        counts = list(Commitment.objects.counts_by_line_and_year())
    return dumps(
        [
            list(LineOfEffort.objects.values("slug", "name")),
            meetings,
            counts,
            *(
                list(
                    Figure.objects.latest_in_series(metric).values(
                        "slug",
                        "value",
                        "unit",
                        "qualifier",
                        "quote",
                        "series_total",
                        "statement__slug",
                        "statement__title",
                        "statement__kind",
                        "statement__meeting__slug",
                        "statement__meeting__city",
                        "statement__meeting__start_date",
                    )[:SERIES_LENGTH]
                )
                for metric in SERIES
            ),
        ]
    )


def raw_public_matrix():
    """What the home page shows unfiltered: the lines and years (its filters), the meetings of its window
    of years (its columns), the recurring pledges made at them (counted and paged), the first page's cells."""
    from commitments.models import LineOfEffort, ThreadEntry
    from commitments.verdicts import newest_verdict
    from core.pages import counted_slice
    from meetings.models import Meeting
    from public.matrix import PLEDGES_PER_PAGE, meeting_window

    lines = list(LineOfEffort.objects.values("slug", "name"))
    per_year = list(Meeting.objects.per_year())
    window = meeting_window(per_year)
    meetings = list(
        Meeting.objects.in_years(window.first, window.last)
        .in_order()
        .values("pk", "slug", "city", "start_date", "format")
    )
    entries = ThreadEntry.objects.at_meetings([meeting["pk"] for meeting in meetings])
    # The first page's pledges and the count of all, as the page reads them: not a list of every pledge.
    threads, count = counted_slice(entries.thread_ids_among(), 0, PLEDGES_PER_PAGE)
    cells = list(entries.of_threads(threads).meeting_matrix().annotate(verdict=newest_verdict("commitment")))
    return dumps({"lines": lines, "years": per_year, "meetings": meetings, "pledges": count or 0, "cells": cells})


def verdict_rows(commitments, by):
    """Commitments counted by line (or meeting) and the verdict of their newest approved assessment, as rows."""
    from django.db.models import Count

    from commitments.verdicts import GROUP_COLUMNS, with_verdict

    columns = GROUP_COLUMNS[by]
    key, _, order, _ = columns
    grouped = with_verdict(commitments.order_by()).values(*dict.fromkeys(columns), "verdict").annotate(n=Count("pk"))
    return list(grouped.order_by(order, key))


def raw_verdicts(by="line"):
    """What the verdicts aggregate gives: every commitment counted by its group and its newest approved verdict."""
    from commitments.models import Commitment

    return dumps(verdict_rows(Commitment.objects.all(), by))


def raw_follow_through():
    """What the follow-through page shows: verdicts by line of effort, the latest meetings, verdicts by meeting."""
    from commitments.models import Commitment
    from meetings.models import Meeting
    from public.follow_through import MEETINGS_SHOWN

    latest = list(Meeting.objects.order_by("-start_date", "-slug").values_list("pk", flat=True)[: MEETINGS_SHOWN + 1])
    shown = Commitment.objects.filter(statement__meeting_id__in=latest[:MEETINGS_SHOWN])
    return dumps(
        {
            "line": verdict_rows(Commitment.objects.all(), "line"),
            "meeting": verdict_rows(shown, "meeting"),
            "member": member_rows(),
            "unscored": unscored_assessments(),
        }
    )


def member_rows():
    """Each member's scores on the newest approved assessment of each commitment, counted per score."""
    from django.db.models import Count, OuterRef, Subquery

    from commitments.models import Assessment, MemberScore

    newest = Assessment.objects.filter(review_state="approved", commitment=OuterRef("assessment__commitment"))
    rows = (
        MemberScore.objects.filter(assessment=Subquery(newest.order_by("-assessed_on", "-pk").values("pk")[:1]))
        .values("member__slug", "member__name", "score")
        .annotate(n=Count("pk"))
        .order_by("member__slug", "score")
    )
    return list(rows)


def unscored_assessments():
    """How many newest approved assessments score no member, and how many there are."""
    from django.db.models import Count, Exists, OuterRef, Q, Subquery

    from commitments.models import Assessment, MemberScore

    newest = Assessment.objects.filter(review_state="approved", commitment=OuterRef("commitment"))
    counted = Assessment.objects.filter(pk=Subquery(newest.order_by("-assessed_on", "-pk").values("pk")[:1]))
    scored = Exists(MemberScore.objects.filter(assessment=OuterRef("pk")))
    return counted.aggregate(n=Count("pk"), unscored=Count("pk", filter=~Q(scored)))


def raw_member_verdicts():
    """What the verdicts aggregate gives by member: each member's scores counted."""
    return dumps(member_rows())


def commitment_subject(statement):
    """A commitment of the statement `page_subjects()` chose: the first in its text."""
    return statement.commitments.order_by("start", "pk").first()


def raw_commitments():
    """What the commitments list's first page shows: the lines, the meetings with their statements in order
    (its filters, and the list's order), the commitments per statement (its count, what it pages through),
    the rows of the statements the page spans, and their places in recurring pledges."""
    from commitments.models import Commitment, LineOfEffort, ThreadEntry
    from meetings.models import Meeting
    from public.views import COMMITMENTS_PER_PAGE

    lines = list(LineOfEffort.objects.values("slug", "name"))
    statements = list(
        Meeting.objects.order_by("start_date", "slug", "statements__position", "statements__pk").values_list(
            "slug", "name", "statements__pk"
        )
    )
    counts = dict(Commitment.objects.counts_by_statement())
    spanned, shown = [], 0
    for _, _, pk in statements:
        if pk in counts and shown < COMMITMENTS_PER_PAGE:
            spanned.append(pk)
            shown += counts[pk]
    rows = list(Commitment.objects.filter(statement_id__in=spanned).listed_rows()[:COMMITMENTS_PER_PAGE])
    places = ThreadEntry.objects.places_for([row["id"] for row in rows])
    return dumps([lines, statements, list(counts.items()), rows, list(places.items())])


def raw_commitment(commitment):
    """What a commitment's page shows: it with its statement (and text), meeting and line of effort, its
    places in recurring pledges, its newest assessment."""
    from commitments.models import Assessment, Commitment, ThreadEntry

    head = list(
        Commitment.objects.filter(pk=commitment.pk).values(
            "slug",
            "quote",
            "start",
            "end",
            "actor",
            "strength",
            "summary",
            "deadline_text",
            "amount",
            "currency",
            "note",
            "line_of_effort__slug",
            "line_of_effort__name",
            "statement__slug",
            "statement__title",
            "statement__kind",
            "statement__issuer",
            "statement__issued_on",
            "statement__source_url",
            "statement__text",
            "statement__sha256",
            "statement__meeting__slug",
            "statement__meeting__name",
            "statement__meeting__city",
            "statement__meeting__start_date",
            "statement__meeting__end_date",
            "statement__meeting__date_precision",
        )
    )
    places = ThreadEntry.objects.places_for([commitment.pk])
    latest = list(
        Assessment.objects.newest_of([commitment.pk]).values(
            "assessed_on", "status", "funding_stage", "evidence_url", "note", "assessor"
        )
    )
    return dumps([head, list(places.items()), latest])


# What the search page is asked in the benchmark: two words every demo pledge's title holds.
SEARCH_WORDS = "support liberated"


def raw_search(text=SEARCH_WORDS):
    """What /search/ shows, read raw: the first page of matching pledges (and their count), their
    matching quotes, the members the words name with their meetings, the first commitments in no pledge."""
    from django.db.models import Q

    from commitments import search
    from commitments.models import Commitment, Thread, ThreadEntry
    from meetings.models import Participation
    from public.views import SEARCH_COMMITMENTS_SHOWN, SEARCH_PLEDGES_PER_PAGE

    pledges = Thread.objects.search(text).order_by("line_of_effort__position", "title", "pk")
    count = pledges.count()
    rows = list(pledges.values("pk", "slug", "title", "line_of_effort__name")[:SEARCH_PLEDGES_PER_PAGE])
    found = Commitment.objects.search(text)
    quotes = list(
        ThreadEntry.objects.filter(thread_id__in=[row["pk"] for row in rows], commitment__in=found)
        .order_by("thread_id", "position")
        .values("thread_id", "position", "commitment__slug", "commitment__quote")
    )
    named = Q()
    for concept in search.parse(text):
        named |= search.names_holding(concept, "member__name")
    members = list(Participation.objects.filter(named).values("member__slug", "meeting__slug").distinct())
    alone = list(found.in_any_thread(False).listed_rows()[: SEARCH_COMMITMENTS_SHOWN + 1])
    return dumps({"count": count, "rows": rows, "quotes": quotes, "members": members, "alone": alone})
