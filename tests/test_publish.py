"""Drafts and publishing (issue 24): a draft meeting and all that quotes it reach no reader, not on a
public page, in the public API or an aggregate, until a curator publishes it, which first checks the
record is complete; curators and auditors see drafts in the API and the admin."""

import datetime
import json
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from api.urls import router
from commitments.models import AssessmentEvidence, Commitment, Evidence, LineOfEffort, Thread, ThreadEntry
from commitments.publishing import PUBLISHED_REASON, NotComplete, publish_meeting, publish_plan
from commitments.services import place_in_thread
from ingest.services import ingest_statement
from meetings.models import Figure, FigureMetric, Meeting, Member, Participation, Statement
from public.urls import urlpatterns as public_patterns
from tests.factories import AssessmentFactory, UserFactory

pytestmark = pytest.mark.django_db

DRAFT_TEXT = (
    "The Draftville Ministerial met today.\n"
    "We pledge xylophonic support for the stabilization of liberated areas.\n"
    "We thank Germany for hosting. Some 42 xylophones were delivered.\n"
)
# What of the draft no reader may see: its slugs (all hold "draftville" or "zebra"), its words.
MARKERS = ("draftville", "xylophon", "zebra")
PUBLISHED_PLEDGE = "stabilization-funding"


def span(phrase):
    start = DRAFT_TEXT.index(phrase)
    return {"quote": phrase, "start": start, "end": start + len(phrase)}


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()  # anonymous reads are throttled per client


@pytest.fixture
def draft(seeded):
    return make_draft()


def make_draft():
    """A draft meeting after the seed's, with a statement, two commitments (one in a published pledge,
    one opening a pledge of its own), a figure, participation, an assessment, and evidence quoting it
    that an assessment of a published commitment relies on."""
    meeting = Meeting.objects.create(
        slug="draftville-2023",
        name="Draftville Ministerial",
        format="ministerial",
        city="Draftville",
        country="Nowhere",
        start_date=datetime.date(2023, 3, 1),
        end_date=datetime.date(2023, 3, 1),
        draft=True,
    )
    statement = Statement.objects.create(
        slug="draftville-2023-statement", meeting=meeting, kind="statement", title="Draftville statement",
        issuer="Ministers", text=DRAFT_TEXT, draft=True,
    )  # fmt: skip
    published = Thread.objects.get(slug=PUBLISHED_PLEDGE)
    line = published.line_of_effort
    pledge = Commitment.objects.create(
        slug="draftville-pledge", statement=statement, line_of_effort=line, actor="Ministers",
        strength="binding", summary="Xylophonic support", **span(DRAFT_TEXT.splitlines()[1]),
    )  # fmt: skip
    opening = Commitment.objects.create(
        slug="draftville-opening", statement=statement, line_of_effort=line, actor="Ministers",
        strength="soft", summary="Met", **span("The Draftville Ministerial met today."),
    )  # fmt: skip
    place_in_thread(thread=published, commitment=pledge, change_kind="repeated")
    own = Thread.objects.create(slug="zebra-pledge", title="Zebra pledge", line_of_effort=line)
    place_in_thread(thread=own, commitment=opening, change_kind="new")
    Figure.objects.create(
        slug="draftville-fig", statement=statement, metric=FigureMetric.PEOPLE_FREED, value=42, unit="xylophones",
        **span("42 xylophones"),
    )  # fmt: skip
    Participation.objects.create(
        meeting=meeting, member=Member.objects.get(slug="germany"), role="host", statement=statement, **span("Germany")
    )
    # A member the seed has joining already, said to join again here: a conflict only curators may see.
    joined = Participation.objects.filter(role="new-member").first().member
    Participation.objects.create(meeting=meeting, member=joined, role="new-member", note="Draftville says so.")
    AssessmentFactory(commitment=pledge, assessed_on=datetime.date(2023, 6, 1))
    evidence = Evidence.objects.create(slug="draftville-evidence", statement=statement, **span("42 xylophones"))
    relying = AssessmentFactory(
        commitment=Commitment.objects.filter(statement__meeting__draft=False).first(),
        assessed_on=datetime.date(2023, 7, 1),
    )
    AssessmentEvidence.objects.create(assessment=relying, evidence=evidence)
    return meeting


def shows_no_draft(body, where):
    text = body.lower()
    # A search page says what was searched for: the words asked, not the draft's.
    for asked in parse_qs(urlsplit(where).query).get("q", []):
        text = text.replace(asked.lower(), "")
    found = [marker for marker in MARKERS if marker in text]
    assert not found, f"{where} shows the draft ({found})"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.found.append(href)


def public_links(body):
    parser = Links()
    parser.feed(body)
    for href in parser.found:
        parts = urlsplit(href)
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(("/api/", "/admin/", "/static/")):
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


def test_every_public_page_leaves_the_draft_out(client, draft):
    """From every page without arguments (public/urls.py), every public page a link reaches."""
    starts = [reverse(f"public:{p.name}") for p in public_patterns if not p.pattern.converters]
    queue = deque([*starts, "/search/?q=xylophonic", "/search/?q=stabilization", "/search/?q=zebra"])
    seen = set(queue)
    while queue:
        url = queue.popleft()
        response = client.get(url)
        assert response.status_code in (200, 400), url
        body = response.content.decode()
        shows_no_draft(body, url)
        for link in public_links(body):
            if link not in seen and len(seen) < 3000:
                seen.add(link)
                queue.append(link)
    assert f"/pledges/{PUBLISHED_PLEDGE}/" in seen and len(seen) > 100
    # A draft's own pages are not found, by anyone.
    for name, slug in [
        ("meeting", "draftville-2023"),
        ("statement", "draftville-2023-statement"),
        ("commitment", "draftville-pledge"),
        ("pledge", "zebra-pledge"),
    ]:
        assert client.get(reverse(f"public:{name}", args=[slug])).status_code == 404


def api_client(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


LOOKUPS = ("slug", "key")


def read(client, url, params=None):
    """A GET that the anonymous rate limit does not stop: the walk reads hundreds of pages."""
    cache.clear()
    return client.get(url, params)


def walk_api(client):
    """Every list of the router (every page), every record's own page, and every aggregate: (url, body)."""
    for _prefix, _viewset, basename in router.registry:
        url = reverse(f"api:{basename}-list") + "?page_size=500"
        while url:
            response = read(client, url)
            assert response.status_code == 200, url
            yield url, response.content.decode()
            data = response.json()
            rows = data["results"] if isinstance(data, dict) else data
            for row in rows:
                lookup = next((row[name] for name in LOOKUPS if name in row), None)
                if lookup is not None:
                    detail = reverse(f"api:{basename}-detail", args=[lookup])
                    yield detail, read(client, detail).content.decode()
            url = data.get("next") if isinstance(data, dict) else None
    for name in ("pledge-matrix", "commitments-by-line"):
        yield name, read(client, reverse(f"api:{name}")).content.decode()
    for metric in FigureMetric.values:
        yield metric, read(client, reverse("api:figure-series"), {"metric": metric}).content.decode()


DRAFT_DETAILS = [
    ("meeting", "draftville-2023"),
    ("statement", "draftville-2023-statement"),
    ("commitment", "draftville-pledge"),
    ("figure", "draftville-fig"),
    ("thread", "zebra-pledge"),
    ("evidence", "draftville-evidence"),
    ("participation", "draftville-2023~germany~host~draftville-2023-statement"),
    ("assessment", "draftville-pledge@2023-06-01"),
]


@pytest.mark.parametrize("role", ["anonymous", "reader"])
def test_the_public_api_leaves_the_draft_out(draft, role):
    client = api_client(None if role == "anonymous" else UserFactory(username="reader"))
    walked = 0
    for url, body in walk_api(client):
        shows_no_draft(body, url)
        walked += 1
    assert walked > 100
    for basename, lookup in DRAFT_DETAILS:
        assert client.get(reverse(f"api:{basename}-detail", args=[lookup])).status_code == 404, basename
    for basename in ("commitment", "figure", "participation", "statement"):
        # A draft's slug in a filter is as unknown as a slug no record has: a 400, not an empty list.
        listed = client.get(reverse(f"api:{basename}-list"), {"meeting": "draftville-2023"})
        assert listed.status_code == 400 and "No meeting has the slug" in listed.content.decode(), basename
    # The published pledge shows its published entries only.
    timeline = client.get(reverse("api:thread-detail", args=[PUBLISHED_PLEDGE])).json()
    assert timeline["commitment_count"] == ThreadEntry.objects.published().filter(thread__slug=PUBLISHED_PLEDGE).count()


@pytest.mark.parametrize("role", ["curator", "auditor"])
def test_curators_and_auditors_see_drafts_in_the_api(draft, role, request):
    client = api_client(request.getfixturevalue(role))
    for basename, lookup in DRAFT_DETAILS:
        response = client.get(reverse(f"api:{basename}-detail", args=[lookup]))
        assert response.status_code == 200, basename
    assert client.get(reverse("api:meeting-detail", args=["draftville-2023"])).json()["draft"] is True
    assert "draftville-2023" in client.get(reverse("api:pledge-matrix")).content.decode()
    assert "draftville-2023" in client.get(reverse("api:commitments-by-line")).content.decode()
    series = client.get(reverse("api:figure-series"), {"metric": FigureMetric.PEOPLE_FREED}).content.decode()
    assert "draftville-fig" in series
    timeline = client.get(reverse("api:thread-detail", args=[PUBLISHED_PLEDGE])).json()
    assert "draftville-pledge" in [step["commitment"] for step in timeline["timeline"]]
    listed = client.get(reverse("api:commitment-list"), {"meeting": "draftville-2023"}).json()["results"]
    assert sorted(row["slug"] for row in listed) == ["draftville-opening", "draftville-pledge"]


def if_match(client, slug):
    return {"HTTP_IF_MATCH": client.get(reverse("api:meeting-detail", args=[slug]))["ETag"]}


def publish_url(slug="draftville-2023"):
    return reverse("api:meeting-publish", args=[slug])


def test_publishing_refuses_an_incomplete_meeting_naming_each_problem(draft, curator):
    # Saved past the forms' checks (as an import gone wrong might): a blank summary, a quote not the text's.
    Commitment.objects.filter(slug="draftville-opening").update(summary="")
    Figure.objects.filter(slug="draftville-fig").update(quote="43 xylophones")
    client = api_client(curator)
    response = client.post(publish_url(), **if_match(client, "draftville-2023"))
    assert response.status_code == 409
    problems = response.json()["non_field_errors"]
    assert any("draftville-opening" in problem and "summary" in problem for problem in problems), problems
    assert any("draftville-fig" in problem and "quote" in problem for problem in problems), problems
    assert Meeting.objects.get(slug="draftville-2023").draft
    with pytest.raises(NotComplete):
        publish_meeting(meeting=draft, by=curator)


def test_publishing_is_for_curators_with_the_meetings_version(draft, curator, auditor):
    assert api_client().post(publish_url()).status_code in (401, 403)
    reader = api_client(auditor)
    assert reader.post(publish_url(), **if_match(reader, "draftville-2023")).status_code == 403
    client = api_client(curator)
    assert client.post(publish_url()).status_code == 428
    assert client.post(publish_url(), HTTP_IF_MATCH='"0000000000000000"').status_code == 412
    assert Meeting.objects.get(slug="draftville-2023").draft


def test_publishing_shows_the_draft_to_readers_recorded_with_who(draft, curator, client):
    plan = publish_plan(draft)
    assert plan.summary() == [
        "1 statement",
        "2 commitments",
        "2 places in recurring pledges",
        "1 figure",
        "2 participation records",
        "1 assessment",
        "1 evidence item",
    ]
    curating = api_client(curator)
    response = curating.post(publish_url(), **if_match(curating, "draftville-2023"))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "meeting": "draftville-2023",
        "statements": ["draftville-2023-statement"],
        "published": plan.summary(),
    }
    assert response["ETag"] == if_match(curating, "draftville-2023")["HTTP_IF_MATCH"]
    assert "Draftville" in client.get(reverse("public:meeting", args=["draftville-2023"])).content.decode()
    assert client.get(reverse("public:pledge", args=["zebra-pledge"])).status_code == 200
    reader = api_client()
    for basename, lookup in DRAFT_DETAILS:
        assert reader.get(reverse(f"api:{basename}-detail", args=[lookup])).status_code == 200, basename
    change = Meeting.history.filter(slug="draftville-2023").latest("history_date")
    assert (change.history_user, change.history_change_reason) == (curator, PUBLISHED_REASON)
    assert Statement.history.filter(slug="draftville-2023-statement").latest("history_date").history_user == curator
    # Published stays published: no way back through the API, a form's clean() or the action.
    patched = curating.patch(
        reverse("api:meeting-detail", args=["draftville-2023"]),
        {"draft": True},
        format="json",
        **if_match(curating, "draftville-2023"),
    )
    assert patched.status_code == 400 and "draft" in patched.json()
    assert curating.post(publish_url(), **if_match(curating, "draftville-2023")).status_code == 409


def test_a_draft_statement_of_a_published_meeting_is_published_with_the_meeting_action(seeded, curator, client):
    meeting = Meeting.objects.get(slug="rome-2021-ministerial")
    statement = Statement.objects.create(
        slug="draftville-annex", meeting=meeting, position=99, kind="statement", title="Annex", issuer="Ministers",
        text=DRAFT_TEXT, draft=True,
    )  # fmt: skip
    Commitment.objects.create(
        slug="draftville-annex-pledge", statement=statement, line_of_effort=LineOfEffort.objects.first(),
        actor="Ministers", strength="binding", summary="Annex pledge", **span(DRAFT_TEXT.splitlines()[1]),
    )  # fmt: skip
    pages = [
        reverse("public:meeting", args=["rome-2021-ministerial"]),
        "/commitments/?q=xylophonic",
        "/commitments/?meeting=rome-2021-ministerial",
        reverse("api:commitment-list") + "?meeting=rome-2021-ministerial&page_size=500",
    ]
    for url in pages:
        shows_no_draft(client.get(url).content.decode(), url)
    assert client.get(reverse("public:statement", args=[statement.slug])).status_code == 404
    plan = publish_meeting(meeting=meeting, by=curator)
    assert plan.statements == [statement] and not Meeting.objects.get(pk=meeting.pk).draft
    assert client.get(reverse("public:statement", args=[statement.slug])).status_code == 200
    assert "draftville-annex-pledge" in client.get("/commitments/?q=xylophonic").content.decode()


NEW_MEETING = {
    "slug": "draftville-2024",
    "name": "Draftville 2024",
    "format": "ministerial",
    "city": "Draftville",
    "country": "Nowhere",
    "start_date": datetime.date(2024, 1, 1),
    "end_date": datetime.date(2024, 1, 1),
}


def test_ingest_makes_drafts(seeded, client):
    result = ingest_statement(
        text=DRAFT_TEXT, slug="draftville-ingested", title="Ingested", kind="statement", issuer="Ministers",
        new_meeting=NEW_MEETING,
    )  # fmt: skip
    assert result.statement.draft and result.statement.meeting.draft
    assert client.get(reverse("public:meeting", args=["draftville-2024"])).status_code == 404
    # Into a published meeting, the new statement is a draft of its own.
    rome = ingest_statement(
        text=DRAFT_TEXT.replace("Draftville", "Draftburg"), meeting=Meeting.objects.get(slug="rome-2021-ministerial"),
        slug="draftville-rome", title="Rome annex", kind="statement", issuer="Ministers",
    )  # fmt: skip
    assert rome.statement.draft and not rome.statement.meeting.draft


# -- the admin -----------------------------------------------------------------------------------


def test_the_admin_adds_drafts_and_never_unpublishes(seeded, curator_client):
    page = curator_client.get(reverse("admin:meetings_meeting_add")).content.decode()
    assert 'name="draft"' in page and "checked" in page.split('name="draft"')[1].split(">")[0]
    change = curator_client.get(reverse("admin:meetings_meeting_change", args=[Meeting.objects.first().pk]))
    assert 'name="draft"' not in change.content.decode()


def publish_action(client, meeting, **extra):
    return client.post(
        reverse("admin:meetings_meeting_changelist"),
        {"action": "publish_selected", "_selected_action": [meeting.pk], **extra},
    )


def test_the_admin_action_lists_what_it_publishes_then_publishes_on_confirmation(draft, curator_client, curator):
    confirmation = publish_action(curator_client, draft)
    page = confirmation.content.decode()
    assert confirmation.status_code == 200
    for line in publish_plan(draft).summary():
        assert line in page
    assert "Yes, publish" in page
    assert Meeting.objects.get(pk=draft.pk).draft
    done = publish_action(curator_client, draft, confirmed="yes")
    assert done.status_code == 302
    assert not Meeting.objects.get(pk=draft.pk).draft
    assert Meeting.history.filter(id=draft.pk).latest("history_date").history_user == curator


def test_the_admin_action_names_what_is_missing_and_offers_no_confirmation(draft, curator_client):
    Commitment.objects.filter(slug="draftville-opening").update(summary="")
    page = publish_action(curator_client, draft, confirmed="yes").content.decode()
    assert "Cannot publish yet" in page and "draftville-opening" in page
    assert "Yes, publish" not in page
    assert Meeting.objects.get(pk=draft.pk).draft


def test_a_drafts_join_makes_no_conflict_for_readers(draft):
    joined = Participation.objects.get(meeting=draft, role="new-member").member
    assert joined in {record.member for record in Participation.objects.conflicting_joins()}
    assert joined not in {record.member for record in Participation.objects.published().conflicting_joins()}


def test_search_finds_no_pledge_through_a_draft_s_words(client, draft):
    """A published pledge holding a draft commitment is not found by the draft's words (search, matrix, API)."""
    for where in ("/search/?q=xylophonic", "/?q=xylophonic"):
        body = client.get(where).content.decode()
        assert f"/pledges/{PUBLISHED_PLEDGE}/" not in body, where
    found = client.get("/api/v1/threads/", {"q": "xylophonic"}).json()
    assert PUBLISHED_PLEDGE not in json.dumps(found)


def test_a_draft_s_join_makes_no_member_conflicting_for_readers(client, draft, curator):
    """The seed's joined member, said to join again by the draft only, conflicts for curators alone."""
    joined = Participation.objects.get(meeting=draft, role="new-member").member.slug
    readers = {row["slug"] for row in client.get("/api/v1/members/", {"sources_disagree": "true"}).json()["results"]}
    assert joined not in readers
    client.force_login(curator)
    curators = {row["slug"] for row in client.get("/api/v1/members/", {"sources_disagree": "true"}).json()["results"]}
    assert joined in curators


def test_the_atom_feeds_leave_the_draft_out(client, draft):
    """Issue 24: drafts never reach a feed; a draft meeting has no feed, as it has no page."""
    for where in ("/feed/", f"/pledges/{PUBLISHED_PLEDGE}/feed/", "/lines-of-effort/"):
        response = client.get(where)
        if where.endswith("/feed/"):
            assert response.status_code == 200, where
            shows_no_draft(response.content.decode(), where)
    assert client.get(f"/meetings/{draft.slug}/feed/").status_code == 404
    assert client.get("/pledges/zebra-pledge/feed/").status_code == 404
