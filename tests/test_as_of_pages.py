"""A pledge's page and its API answer as of a date (`?as_of=`): the record as it stood then, marked as past.

Nothing of the present leaks in (a commitment placed later is absent, one taken out since present, a
renamed record under its name of then, a draft of then hidden), a bad moment is a 400 saying why, a
page or endpoint that does not read `as_of` refuses it, and the queries are as many whatever the
history's length.
"""

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from commitments.services import remove_from_thread
from core.when import BadMoment, parse_when
from tests.factories import (
    AssessmentFactory,
    CommitmentFactory,
    MeetingFactory,
    StatementFactory,
    ThreadEntryFactory,
    commitments_at_meetings,
    thread_with,
)

pytestmark = pytest.mark.django_db

PHRASES = (
    "We will continue to enhance our information sharing, including with INTERPOL.",
    "We will continue to enhance our information sharing, including with INTERPOL.",
)


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def page(client, slug, **params):
    return client.get(reverse("public:pledge", args=[slug]), params)


def api(client, slug, **params):
    return client.get(reverse("api:thread-detail", args=[slug]), params)


def commitment_page(client, slug, **params):
    return client.get(reverse("public:commitment", args=[slug]), params)


def commitment_api(client, slug, **params):
    return client.get(reverse("api:commitment-detail", args=[slug]), params)


@pytest.fixture
def changed_pledge():
    """A pledge of two commitments, the moment `then`, and after it: the pledge and a meeting renamed, a
    commitment's summary rewritten, the second commitment taken out, a third placed."""
    first, second = commitments_at_meetings(2016, 2019)
    first.summary = "Share information, as first summarised."
    first.save()
    thread = thread_with(first, second, kinds=["repeated"], slug="info-sharing", title="Information sharing, then")
    then = timezone.now()
    thread.title = "Information sharing, renamed since"
    thread.save()
    meeting = first.statement.meeting
    meeting.city = "Renamed City"
    meeting.save()
    first.summary = "Share information, summarised since."
    first.save()
    remove_from_thread(entry=thread.entries.get(commitment=second))
    AssessmentFactory(commitment=first, status="kept", assessor="Kept as of")
    (third,) = commitments_at_meetings(2021)
    ThreadEntryFactory(thread=thread, commitment=third, position=2, change_kind="repeated")
    return {"thread": thread, "then": then, "first": first, "second": second, "third": third}


def test_the_pledge_page_as_of_a_moment_shows_the_record_then_marked_as_past(client, changed_pledge):
    c = changed_pledge
    response = page(client, "info-sharing", as_of=c["then"].isoformat())
    assert response.status_code == 200
    body = response.content.decode()
    assert "A past state: as of" in body
    assert 'href="/pledges/info-sharing/">Today\'s page</a>' in body
    assert "Information sharing, then" in body and "renamed since" not in body
    assert "Share information, as first summarised." in body and "summarised since" not in body
    assert f'id="c-{c["second"].slug}"' in body  # taken out since: present then
    assert f'id="c-{c["third"].slug}"' not in body  # placed later: absent
    # Its meetings are linked as of the same moment.
    assert f'href="/meetings/{c["first"].statement.meeting.slug}/?as_of=' in body
    assert "Renamed City" not in body
    # The latest assessment as it stood then (none yet, approved later); the verdict's course is today's page's.
    assert "Latest assessment" in body and "Its verdict today" not in body
    assert "Not yet assessed" in body and "Kept as of" not in body
    # Its citation is the dated address, said as of then.
    cite = body[body.index('id="cite-heading"') :]
    assert "as of " in cite and "as_of=" in cite


def test_todays_pledge_page_is_unchanged_and_offers_the_dated_link_to_cite(client, changed_pledge):
    body = page(client, "info-sharing").content.decode()
    assert "A past state" not in body
    assert "Information sharing, renamed since" in body
    cite = body[body.index('id="cite-heading"') :]
    dated = re.search(r'<a href="(http://testserver/pledges/info-sharing/\?as_of=[^"]+)"', cite)
    assert dated, cite
    # The dated link shows the page as it stands now, marked as a past state once the record changes.
    shown = client.get(dated.group(1).removeprefix("http://testserver"))
    assert shown.status_code == 200 and "Information sharing, renamed since" in shown.content.decode()


def test_a_pledge_created_later_is_not_found_then_and_one_deleted_since_is_shown(client, changed_pledge):
    before = changed_pledge["then"] - datetime.timedelta(days=1)
    response = page(client, "info-sharing", as_of=before.date().isoformat())
    assert response.status_code == 404
    # Before the change history begins: it says so, rather than that the pledge was added later.
    assert "Not in the record as of" in response.content.decode()
    assert "change history begins on" in response.content.decode()
    answer = api(client, "info-sharing", as_of=before.isoformat())
    assert answer.status_code == 404 and "change history begins on" in answer.json()["detail"]

    (lone,) = commitments_at_meetings(2017)
    # After the history began, before this pledge was: added later.
    not_yet = page(client, "gone-since", as_of=timezone.now().isoformat())
    assert not_yet.status_code == 404 and "it was added later" in not_yet.content.decode()
    assert (
        "No recurring pledge with this slug"
        in api(client, "gone-since", as_of=timezone.now().isoformat()).json()["detail"]
    )
    gone = thread_with(lone, slug="gone-since", title="A pledge deleted since")
    kept_then = timezone.now()
    gone.delete()
    assert page(client, "gone-since").status_code == 404
    shown = page(client, "gone-since", as_of=kept_then.isoformat())
    assert shown.status_code == 200 and "A pledge deleted since" in shown.content.decode()
    assert api(client, "gone-since", as_of=kept_then.isoformat()).json()["commitment_count"] == 1


def test_a_draft_of_then_stays_hidden_as_of_then_though_published_since(client):
    published, drafted = commitments_at_meetings(2016, 2019)
    meeting = drafted.statement.meeting
    meeting.draft = True
    meeting.save()
    thread_with(published, drafted, kinds=["repeated"], slug="with-a-draft")
    then = timezone.now()
    meeting.draft = False
    meeting.save()
    body = page(client, "with-a-draft", as_of=then.isoformat()).content.decode()
    assert f'id="c-{published.slug}"' in body and f'id="c-{drafted.slug}"' not in body
    assert [step["commitment"] for step in api(client, "with-a-draft", as_of=then.isoformat()).json()["timeline"]] == [
        published.slug
    ]
    # Today it is published: both.
    assert f'id="c-{drafted.slug}"' in page(client, "with-a-draft").content.decode()


def test_a_pledge_all_in_drafts_then_is_not_found_then(client):
    statement = StatementFactory(meeting=MeetingFactory(draft=True))
    commitment = CommitmentFactory(statement=statement)
    thread_with(commitment, slug="all-draft")
    then = timezone.now()
    meeting = statement.meeting
    meeting.draft = False
    meeting.save()
    assert page(client, "all-draft", as_of=then.isoformat()).status_code == 404
    assert page(client, "all-draft").status_code == 200


def test_the_api_answers_the_pledge_as_it_stood_then_in_the_same_shape_marked_by_its_headers(client, changed_pledge):
    c = changed_pledge
    today = api(client, "info-sharing").json()
    response = api(client, "info-sharing", as_of=c["then"].isoformat())
    assert response.status_code == 200
    past = response.json()
    assert set(past) == set(today)
    assert past["title"] == "Information sharing, then"
    assert [step["commitment"] for step in past["timeline"]] == [c["first"].slug, c["second"].slug]
    assert past["timeline"][0]["meeting"]["slug"] == c["first"].statement.meeting.slug
    assert response["Memento-Datetime"]
    assert response["Link"] == '<http://testserver/api/v1/threads/info-sharing/>; rel="original"'
    assert response["ETag"].startswith('W/"as-of-')
    csv = api(client, "info-sharing", as_of=c["then"].isoformat(), format="csv")
    assert csv.status_code == 200 and c["second"].slug in csv.content.decode()


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-13-01", "9999-12-31T23:59:59-15:00", "0001-01-01T00:00:00+05:00", "x" * 60, "3000-01-01"],
)
def test_a_bad_or_future_moment_is_a_400_saying_why_never_a_500(client, changed_pledge, value):
    response = page(client, "info-sharing", as_of=value)
    assert response.status_code == 400
    assert "is not a moment" in response.content.decode() or "in the future" in response.content.decode()
    answer = api(client, "info-sharing", as_of=value)
    assert answer.status_code == 400 and "as_of" in answer.json()


def test_an_empty_as_of_is_the_parameter_left_out(client, changed_pledge):
    assert "A past state" not in page(client, "info-sharing", as_of="").content.decode()
    assert api(client, "info-sharing", as_of="").json()["title"] == "Information sharing, renamed since"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/login/",
        "/healthz",
        "/api/v1/",
        "/api/v1/schema/",
    ],
)
def test_a_page_or_endpoint_that_does_not_read_as_of_refuses_it(client, url):
    response = client.get(url, {"as_of": "2024-01-01"})
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert "cannot be read as of a past date" in response.json()["as_of"][0]
    else:
        assert "cannot be shown as it stood on a past date" in response.content.decode()


def test_only_a_read_with_a_value_is_refused_as_of_a_view_that_does_not_read_it(client):
    # Empty: the parameter left out, as the schema says of every query parameter.
    assert client.get("/api/v1/statements/", {"as_of": ""}).status_code == 200
    # A method the endpoint does not have is answered as it always is (401 anonymously, 405 signed in), not
    # refused for its query.
    assert client.generic("TRACE", "/api/v1/meetings/?as_of=2024-01-01").status_code in (401, 405)


def test_parse_when_reads_a_date_as_the_end_of_that_day_in_utc():
    now = datetime.datetime(2026, 12, 7, 18, 0, tzinfo=datetime.UTC)
    assert parse_when("2026-03-03", now) == datetime.datetime(2026, 3, 3, 23, 59, 59, 999999, tzinfo=datetime.UTC)
    assert parse_when("2026-03-03T12:00:00", now) == datetime.datetime(2026, 3, 3, 12, tzinfo=datetime.UTC)
    assert parse_when("2026-03-03T12:00:00+02:00", now) == datetime.datetime(2026, 3, 3, 10, tzinfo=datetime.UTC)
    assert parse_when("2026-12-07", now) == now  # today: as it stands now
    with pytest.raises(BadMoment):
        parse_when("2026-12-08", now)


def _rewrite(records, times):
    for record, field in records:
        for n in range(times):
            setattr(record, field, f"{getattr(record, field).split(' (v')[0]} (v{n})")
            record.save()


@pytest.mark.parametrize("changes", [1, 12])
def test_the_past_page_and_answer_run_as_many_queries_whatever_the_historys_length(
    client, django_assert_num_queries, changes
):
    commitments = commitments_at_meetings(2016, 2019, 2021)
    thread = thread_with(*commitments, kinds=["repeated", "repeated"], slug="much-changed")
    records = [(thread, "title"), (thread.line_of_effort, "name")]
    for commitment in commitments:
        records += [(commitment, "summary"), (commitment.statement, "title"), (commitment.statement.meeting, "name")]
    _rewrite(records, changes)
    for entry in thread.entries.all():
        _rewrite([(entry, "note")], changes)
    then = timezone.now().isoformat()
    _rewrite(records, changes)
    # Eight reads of the past (pledge, line, entries, commitments, statements, meetings, assessments, its links
    # to other pledges; a ninth, their pledges, when it has links).
    with django_assert_num_queries(8):
        response = page(client, "much-changed", as_of=then)
    assert response.status_code == 200
    assert response.content.decode().count('class="step"') == 3
    # The API: the same but the assessments, which its timeline does not show (read for the steps a page
    # shows since long pledges are paged); the anonymous client's throttle is in the cache: no query.
    with django_assert_num_queries(7):
        assert len(api(client, "much-changed", as_of=then).json()["timeline"]) == 3
    slug = commitments[0].slug
    # A commitment: itself, statement, meeting, line, places, their pledges, assessments.
    with django_assert_num_queries(7):
        assert commitment_page(client, slug, as_of=then).status_code == 200
    with django_assert_num_queries(7):
        assert commitment_api(client, slug, as_of=then).status_code == 200


def test_a_commitment_as_of_a_moment_is_filed_placed_and_assessed_as_it_was_then(client, changed_pledge):
    c = changed_pledge
    first, second, then = c["first"], c["second"], c["then"].isoformat()
    body = commitment_page(client, first.slug, as_of=then).content.decode()
    assert "A past state: as of" in body
    assert "Share information, as first summarised." in body and "summarised since" not in body
    assert "Renamed City" not in body
    assert "Information sharing, then" in body and "renamed since" not in body
    assert "/pledges/info-sharing/?as_of=" in body  # its place links the pledge as of the same moment
    assert "Not yet assessed" in body and "Kept as of" not in body
    assert "Kept as of" in commitment_page(client, first.slug).content.decode()
    # Taken out of the pledge since: in it then.
    assert "Information sharing, then" in commitment_page(client, second.slug, as_of=then).content.decode()
    assert "In no recurring pledge" in commitment_page(client, second.slug).content.decode()

    today = commitment_api(client, first.slug).json()
    response = commitment_api(client, first.slug, as_of=then)
    past = response.json()
    assert set(past) == set(today)
    assert past["summary"] == "Share information, as first summarised."
    assert past["latest_status"] == "not-assessed" and today["latest_status"] == "kept"
    assert past["threads"] == [{"thread": "info-sharing", "position": 1, "change_kind": "new"}]
    assert past["meeting"]["slug"] == first.statement.meeting.slug
    assert response["Link"].endswith(f'/api/v1/commitments/{first.slug}/>; rel="original"')
    assert commitment_api(client, second.slug, as_of=then).json()["threads"][0]["thread"] == "info-sharing"


def test_a_commitment_created_later_or_quoting_a_draft_then_is_not_found_then(client):
    before = timezone.now()
    statement = StatementFactory(meeting=MeetingFactory(draft=True))
    commitment = CommitmentFactory(statement=statement)
    drafted = timezone.now()
    statement.meeting.draft = False
    statement.meeting.save()
    for moment in (before, drafted):
        response = commitment_page(client, commitment.slug, as_of=moment.isoformat())
        assert response.status_code == 404 and "Not in the record as of" in response.content.decode()
        assert commitment_api(client, commitment.slug, as_of=moment.isoformat()).status_code == 404
    assert commitment_page(client, commitment.slug).status_code == 200
    bad = commitment_api(client, commitment.slug, as_of="not a date")
    assert bad.status_code == 400 and "is not a moment" in bad.json()["as_of"][0]


def test_a_meeting_in_the_api_as_of_a_moment_is_as_it_was_then_and_a_draft_then_is_not_found(
    client, django_assert_num_queries
):
    meeting = MeetingFactory(slug="berlin", name="Berlin meeting", draft=True)
    drafted = timezone.now()
    meeting.draft = False
    meeting.save()
    published = timezone.now()
    for _ in range(5):
        meeting.name = f"{meeting.name}, renamed"
        meeting.save()
    url = reverse("api:meeting-detail", args=["berlin"])
    assert client.get(url, {"as_of": drafted.isoformat()}).status_code == 404
    with django_assert_num_queries(1):
        response = client.get(url, {"as_of": published.isoformat()})
    assert response.status_code == 200
    assert response.json()["name"] == "Berlin meeting" and response.json()["draft"] is False
    assert set(response.json()) == set(client.get(url).json())
    assert response["Link"] == '<http://testserver/api/v1/meetings/berlin/>; rel="original"'
    assert client.get(url, {"as_of": "2026-02-30"}).status_code == 400


# The resources whose record's `history/` reads `as_of`: {URL name: (path, key)}.
HISTORIES = {
    "meeting": ("meetings", "slug"),
    "statement": ("statements", "slug"),
    "member": ("members", "slug"),
    "participation": ("participations", "key"),
    "figure": ("figures", "slug"),
    "lineofeffort": ("lines-of-effort", "slug"),
    "thread": ("threads", "slug"),
    "commitment": ("commitments", "slug"),
    "assessment": ("assessments", "key"),
}


def test_the_docs_list_every_page_and_endpoint_that_reads_as_of():
    """docs/api.md and docs/reading-and-curating.md name exactly the reads that take `as_of`."""
    from django.urls import get_resolver

    from core.when import supports_as_of
    from tests.servers import ROOT

    def walk(patterns, namespace=""):
        for pattern in patterns:
            inner = getattr(pattern, "url_patterns", None)
            if inner is not None:
                yield from walk(inner, getattr(pattern, "namespace", None) or namespace)
            elif supports_as_of(pattern.callback, "GET"):
                yield f"{namespace}:{pattern.name}"

    supported = set(walk(get_resolver().url_patterns))
    assert supported == {
        "public:matrix",
        "public:meetings",
        "public:commitments",
        "public:lines",
        "public:follow-through",
        "public:search",
        "public:pledge",
        "public:commitment",
        "public:meeting",
        "public:statement",
        # The Atom feeds as they stood then (public.past_feeds).
        "public:feed",
        "public:pledge-feed",
        "public:line-feed",
        "public:meeting-feed",
        "api:thread-detail",
        "api:commitment-detail",
        "api:meeting-detail",
        "api:meeting-list",
        "api:thread-list",
        "api:commitment-list",
        "api:statement-detail",
        "api:statement-list",
        "api:figure-list",
        "api:figure-detail",
        "api:participation-list",
        "api:participation-detail",
        "api:member-list",
        "api:member-detail",
        "api:lineofeffort-list",
        "api:lineofeffort-detail",
        "api:assessment-list",
        "api:assessment-detail",
        "api:assessmentcycle-list",
        "api:assessmentcycle-detail",
        "api:evidence-list",
        "api:evidence-detail",
        "api:pledge-matrix",
        "api:commitments-by-line",
        "api:figure-series",
        "api:verdicts",
        "api:changes",
        "api:snapshot",
        # A record's change history up to the moment (api.history).
        *(f"api:{resource}-history" for resource in HISTORIES),
    }
    pages = (ROOT / "docs" / "reading-and-curating.md").read_text(encoding="utf-8")
    for page in (
        "`/pledges/{thread}/?as_of=…`",
        "`/commitments/{commitment}/?as_of=…`",
        "`/meetings/{meeting}/?as_of=…`",
        "`/statements/{statement}/?as_of=…`",
        "`/?as_of=…`",
        "`/meetings/?as_of=…`",
        "`/commitments/?as_of=…`",
        "`/lines-of-effort/?as_of=…`",
        "`/follow-through/?as_of=…`",
        "`/search/?q=…&as_of=…`",
        "`/feed/?as_of=…`",
        "`/pledges/{slug}/feed/?as_of=…`",
        "`/lines-of-effort/{slug}/feed/?as_of=…`",
        "`/meetings/{slug}/feed/?as_of=…`",
    ):
        assert page in pages
    api_doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for read in (
        "threads",
        "commitments",
        "meetings",
        "statements",
        "figures",
        "members",
        "lines-of-effort",
        "assessment-cycles",
        "evidence",
    ):
        assert f"`{read}/{{slug}}/?as_of=…`" in api_doc
    assert "`participations/{key}/?as_of=…`" in api_doc
    assert "`assessments/{key}/?as_of=…`" in api_doc
    for read in (
        "meetings",
        "threads",
        "commitments",
        "statements",
        "figures",
        "participations",
        "members",
        "lines-of-effort",
        "assessments",
        "assessment-cycles",
        "evidence",
        "changes",
    ):
        assert f"`{read}/?as_of=…`" in api_doc
    for aggregate in ("pledge-matrix", "commitments-by-line", "figure-series", "verdicts"):
        assert f"`aggregates/{aggregate}/?as_of=…`" in api_doc
    assert "`{resource}/{key}/history/?as_of=…`" in api_doc


def test_the_schema_documents_as_of_on_the_reads_that_take_it_and_nowhere_else():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    taking = {
        (path, method)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if any(parameter["name"] == "as_of" for parameter in operation.get("parameters", []))
    }
    assert taking == {
        ("/api/v1/threads/{slug}/", "get"),
        ("/api/v1/commitments/{slug}/", "get"),
        ("/api/v1/meetings/{slug}/", "get"),
        ("/api/v1/meetings/", "get"),
        ("/api/v1/threads/", "get"),
        ("/api/v1/commitments/", "get"),
        ("/api/v1/statements/{slug}/", "get"),
        ("/api/v1/statements/", "get"),
        ("/api/v1/figures/{slug}/", "get"),
        ("/api/v1/figures/", "get"),
        ("/api/v1/participations/{key}/", "get"),
        ("/api/v1/participations/", "get"),
        ("/api/v1/members/{slug}/", "get"),
        ("/api/v1/members/", "get"),
        ("/api/v1/lines-of-effort/{slug}/", "get"),
        ("/api/v1/lines-of-effort/", "get"),
        ("/api/v1/assessments/", "get"),
        ("/api/v1/assessments/{key}/", "get"),
        ("/api/v1/assessment-cycles/", "get"),
        ("/api/v1/assessment-cycles/{slug}/", "get"),
        ("/api/v1/evidence/", "get"),
        ("/api/v1/evidence/{slug}/", "get"),
        ("/api/v1/aggregates/pledge-matrix/", "get"),
        ("/api/v1/aggregates/commitments-by-line/", "get"),
        ("/api/v1/aggregates/figure-series/", "get"),
        ("/api/v1/aggregates/verdicts/", "get"),
        ("/api/v1/changes/", "get"),
        ("/api/v1/snapshot/", "get"),
        *((f"/api/v1/{path}/{{{key}}}/history/", "get") for path, key in HISTORIES.values()),
    }
    (parameter,) = [p for p in schema["paths"]["/api/v1/threads/{slug}/"]["get"]["parameters"] if p["name"] == "as_of"]
    assert parameter["in"] == "query" and "a date" in parameter["description"]
    assert "400" in schema["paths"]["/api/v1/threads/{slug}/"]["get"]["responses"]


def meeting_page(client, slug, **params):
    return client.get(reverse("public:meeting", args=[slug]), params)


def test_a_meeting_page_as_of_a_moment_shows_its_statements_participants_and_pledges_then(
    client, django_assert_num_queries
):
    from tests.factories import MemberFactory, ParticipationFactory

    meeting = MeetingFactory(slug="rome", name="Rome meeting, then")
    first = StatementFactory(meeting=meeting, title="The first statement", position=1)
    joined = MemberFactory(name="Libya")
    ParticipationFactory(meeting=meeting, member=joined, statement=None, note="Joined then.")
    ParticipationFactory(meeting=MeetingFactory(slug="paris"), member=joined, statement=None)  # a conflict then
    early = CommitmentFactory(statement=first)
    thread_with(early, slug="pledged-then", title="Pledged then")
    then = timezone.now()
    meeting.name = "Rome meeting, renamed since"
    meeting.save()
    joined.name = "Libya, renamed since"
    joined.save()
    StatementFactory(meeting=meeting, title="A statement added since", position=2)
    ParticipationFactory(meeting=meeting, member=MemberFactory(name="Added since"), statement=None, role="observer")
    later = CommitmentFactory(statement=first, phrase="More than 7.7 million people")
    thread_with(later, slug="pledged-since", title="Pledged since")

    # Twelve reads of the past, less the statements of the other meetings' joins (none: they are from outside
    # sources, and an empty set asks nothing).
    with django_assert_num_queries(11):
        response = meeting_page(client, "rome", as_of=then.isoformat())
    body = response.content.decode()
    assert response.status_code == 200 and "A past state: as of" in body
    assert "Rome meeting, then" in body and "renamed since" not in body
    assert "The first statement" in body and "A statement added since" not in body
    assert "1 commitment," in body  # the one quoting it then
    assert "Libya" in body and "Added since" not in body
    assert "Sources disagree" in body and "/meetings/paris/" in body
    assert "Pledged then" in body and "Pledged since" not in body
    assert "/pledges/pledged-then/?as_of=" in body
    today = meeting_page(client, "rome").content.decode()
    assert "Rome meeting, renamed since" in today and "Pledged since" in today and "as_of=" in today
    before = (then - datetime.timedelta(days=1)).date().isoformat()
    assert meeting_page(client, "rome", as_of=before).status_code == 404
    assert meeting_page(client, "rome", as_of="soon").status_code == 400


@pytest.mark.parametrize("changes", [1, 8])
def test_a_past_meeting_page_runs_as_many_queries_whatever_the_historys_length(
    client, django_assert_num_queries, changes
):
    from tests.factories import MemberFactory, ParticipationFactory

    commitments = commitments_at_meetings(2016, 2019)
    thread_with(*commitments, kinds=["repeated"])
    meeting = commitments[1].statement.meeting
    member = MemberFactory()
    ParticipationFactory(meeting=meeting, member=member, statement=None)
    ParticipationFactory(meeting=commitments[0].statement.meeting, member=member, statement=None)
    records = [(meeting, "name"), (member, "name"), (commitments[1], "summary"), (commitments[1].statement, "title")]
    _rewrite(records, changes)
    then = timezone.now().isoformat()
    _rewrite(records, changes)
    with django_assert_num_queries(11):  # as above: no join quotes a statement
        assert meeting_page(client, meeting.slug, as_of=then).status_code == 200


def test_a_statement_that_was_a_draft_then_is_hidden_on_its_meetings_past_page(client):
    meeting = MeetingFactory(slug="copenhagen")
    statement = StatementFactory(meeting=meeting, title="Drafted then", draft=True)
    then = timezone.now()
    statement.draft = False
    statement.save()
    assert "Drafted then" not in meeting_page(client, "copenhagen", as_of=then.isoformat()).content.decode()
    assert "Drafted then" in meeting_page(client, "copenhagen").content.decode()


def test_the_meetings_list_as_of_a_moment_is_the_list_then_filtered_ordered_and_paged_as_today(
    client, django_assert_num_queries
):
    kept = MeetingFactory(slug="kept", name="Kept, as named then", country="France")
    gone = MeetingFactory(slug="gone", name="Deleted since", country="Iraq")
    drafted = MeetingFactory(slug="drafted", name="A draft then", draft=True)
    then = timezone.now()
    for n in range(6):
        kept.name, kept.country = f"Kept, renamed since ({n})", "Italy"
        kept.save()
    gone.delete()
    drafted.draft = False
    drafted.save()
    MeetingFactory(slug="later", name="Added since")
    url = reverse("api:meeting-list")
    # The page and its count: two queries, whatever the history's length.
    with django_assert_num_queries(2):
        response = client.get(url, {"as_of": then.isoformat()})
    assert response.status_code == 200
    assert [m["name"] for m in response.json()["results"]] == ["Kept, as named then", "Deleted since"]
    assert response["Link"] == '<http://testserver/api/v1/meetings/>; rel="original"'
    assert set(response.json()["results"][0]) == set(client.get(url).json()["results"][0])
    # Its filters read the fields of then.
    assert [m["slug"] for m in client.get(url, {"as_of": then.isoformat(), "country": "france"}).json()["results"]] == [
        "kept"
    ]
    assert client.get(url, {"as_of": then.isoformat(), "country": "italy"}).json()["count"] == 0
    ordered = client.get(url, {"as_of": then.isoformat(), "ordering": "-name"}).json()["results"]
    assert [m["slug"] for m in ordered] == ["kept", "gone"]
    csv = client.get(url, {"as_of": then.isoformat(), "format": "csv"})
    text = b"".join(csv.streaming_content).decode()
    assert csv.status_code == 200 and "Kept, as named then" in text and "Added since" not in text
    assert client.get(url, {"as_of": "the day before"}).status_code == 400
    # Today's list is today's.
    assert "Added since" in [m["name"] for m in client.get(url).json()["results"]]
