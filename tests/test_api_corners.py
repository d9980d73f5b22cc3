"""The API's smaller promises (docs/api.md): flat CSV everywhere, If-Match with a weak tag, how deep a body
may nest, the token scheme named to a client that sends another, and unknown slugs in filters."""

import csv
import io
import json
import re

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import DashboardToken
from api.parsers import MAX_DEPTH
from commitments.models import Commitment
from meetings.models import Member
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db

# What Python writes for a dict or a list of strings or of dicts (`{'slug': …`, `['a', …`, `[{'op': …`),
# and JSON's objects (`{"slug": …`).
PYTHON_TEXT = re.compile(r"""\{'[^']*': |\[\{'|\['[^']*', '|\['[^']*'\]|\{"[^"]*": ?""")


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def csv_rows(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


# Every CSV the API gives: each list, each aggregate, and a record of each resource with nested fields.
CSV_ADDRESSES = [
    "/api/v1/aggregates/pledge-matrix/",
    "/api/v1/aggregates/commitments-by-line/",
    "/api/v1/aggregates/figure-series/?metric=people-freed",
    "/api/v1/aggregates/verdicts/?by=meeting",
    "/api/v1/threads/stabilization-funding/",
    "/api/v1/threads/syria-political-settlement-2254/",
    "/api/v1/commitments/rome-2021-pledge-drive/",
    "/api/v1/members/democratic-republic-of-the-congo/",
    "/api/v1/statements/rome-2021-ministerial-statement/",
    *(
        f"/api/v1/{name}/"
        for name in (
            "meetings",
            "statements",
            "lines-of-effort",
            "threads",
            "commitments",
            "assessments",
            "figures",
            "members",
            "participations",
        )
    ),
]


@pytest.mark.parametrize("address", CSV_ADDRESSES)
def test_no_csv_cell_holds_python_or_json_text(seeded, address):
    AssessmentFactory(commitment=Commitment.objects.get(slug="rome-2021-pledge-drive"))  # the seed has none
    separator = "&" if "?" in address else "?"
    rows = csv_rows(APIClient().get(f"{address}{separator}format=csv"))
    assert len(rows) > 1, address
    assert all(len(row) == len(rows[0]) for row in rows)
    cells = [value for row in rows for value in row]
    assert [value for value in cells if PYTHON_TEXT.search(value)] == []


def test_the_check_finds_python_text():
    assert PYTHON_TEXT.search("{'slug': 'berlin-2016-small-group'}")
    assert PYTHON_TEXT.search("[{'op': 'equal', 'text': 'We'}]")
    assert PYTHON_TEXT.search("['a', 'b']")
    assert PYTHON_TEXT.search('{"slug": "berlin-2016-small-group"}')
    assert not PYTHON_TEXT.search("Berlin 2016 only urged [continued] support: the {UN} facilities")
    assert not PYTHON_TEXT.search("closer to 'repeated': who does it is not said ['a' line]")


def test_the_pledge_matrix_csv_has_a_row_per_entry_with_flat_thread_and_meeting_columns(seeded):
    document = APIClient().get("/api/v1/aggregates/pledge-matrix/").json()
    rows = csv_rows(APIClient().get("/api/v1/aggregates/pledge-matrix/?format=csv"))
    assert rows[0] == [
        "thread.slug",
        "thread.title",
        "thread.line_of_effort",
        "meeting.slug",
        "meeting.name",
        "meeting.start_date",
        "commitment",
        "position",
        "change_kind",
    ]
    entries = [
        (thread["slug"], meeting, entry["commitment"], str(entry["position"]), entry["change_kind"])
        for thread in document["threads"]
        for meeting, cells in thread["meetings"].items()
        for entry in cells
    ]
    assert [(row[0], row[3], row[6], row[7], row[8]) for row in rows[1:]] == entries
    paris = next(row for row in rows if row[3] == "paris-2019-small-group")
    assert paris[5] == "2019-06-24" and "Paris" in paris[4]


def test_a_threads_csv_has_a_row_per_step_with_its_word_difference_as_text(seeded):
    document = APIClient().get("/api/v1/threads/stabilization-funding/").json()
    rows = csv_rows(APIClient().get("/api/v1/threads/stabilization-funding/?format=csv"))
    header, steps = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert header[:6] == ["thread", "position", "commitment", "meeting.slug", "meeting.name", "meeting.start_date"]
    assert header[-1] == "diff"
    assert [step["commitment"] for step in steps] == [step["commitment"] for step in document["timeline"]]
    second = document["timeline"][1]
    expected = " ".join(
        {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}[run["op"]].format(run["text"])
        for run in second["diff"]
    )
    assert steps[1]["diff"] == expected and "{+" in expected
    assert steps[1]["meeting.slug"] == second["meeting"]["slug"] and steps[0]["diff"] == ""


# -- If-Match with a weak tag ----------------------------------------------------------------------


@pytest.fixture
def curator_client(seeded, curator):
    client = APIClient()
    client.force_authenticate(curator)
    return client


def test_a_weak_if_match_of_the_current_version_is_refused_saying_why_not_naming_a_field(curator_client):
    url = "/api/v1/members/democratic-republic-of-the-congo/"
    read = curator_client.get(url)
    etag = read["ETag"]
    bodies = {"patch": {"name": "Changed"}, "put": {**read.json(), "name": "Changed"}, "delete": None}
    for method, body in bodies.items():
        response = getattr(curator_client, method)(url, body, format="json", HTTP_IF_MATCH=f"W/{etag}")
        assert response.status_code == 412, method
        detail = response.json()["detail"]
        assert "weak" in detail and "strong" in detail and "another change" not in detail
    # The strong tag, as given, still works; a tag that is no version of the record says so.
    unknown = curator_client.patch(url, {"name": "Changed"}, format="json", HTTP_IF_MATCH='"bogus"')
    assert unknown.status_code == 412 and "no version of this record" in unknown.json()["detail"]
    assert curator_client.patch(url, {"name": "Changed"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert Member.objects.get(slug="democratic-republic-of-the-congo").name == "Changed"


def test_a_body_that_cannot_be_read_is_a_400_whatever_the_if_match(curator_client):
    url = "/api/v1/members/democratic-republic-of-the-congo/"
    etag = curator_client.get(url)["ETag"]
    for tag in (f"W/{etag}", '"bogus"'):
        response = curator_client.put(url, {"name": ""}, format="json", HTTP_IF_MATCH=tag)
        assert response.status_code == 400 and "slug" in response.json(), tag


def test_a_weak_and_a_strong_tag_together_are_read_by_the_strong_one(curator_client):
    url = "/api/v1/members/democratic-republic-of-the-congo/"
    etag = curator_client.get(url)["ETag"]
    response = curator_client.patch(url, {"name": "Changed"}, format="json", HTTP_IF_MATCH=f'W/"x", {etag}')
    assert response.status_code == 200


# -- nesting ---------------------------------------------------------------------------------------


def nested(levels):
    """A body of `levels` nested levels: the body's object is the first, then arrays down to a string."""
    return json.dumps({"name": "Nested", "ignored": json.loads("[" * (levels - 1) + '"x"' + "]" * (levels - 1))})


def test_sixteen_levels_of_nesting_are_read_and_seventeen_refused(curator_client):
    assert MAX_DEPTH == 16
    url = "/api/v1/members/democratic-republic-of-the-congo/"
    etag = curator_client.get(url)["ETag"]
    deepest = curator_client.patch(
        url, nested(16), content_type="application/json", HTTP_IF_MATCH=etag
    )  # unknown fields are ignored
    assert deepest.status_code == 200, deepest.content
    etag = deepest["ETag"]
    refused = curator_client.patch(url, nested(17), content_type="application/json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 400
    assert refused.json() == {"ignored": ["Nested more than 16 levels deep."]}
    # Arrays alone count the same: 16 read (then refused by the field as not text), 17 refused as too deep.
    as_text = json.dumps({"name": json.loads("[" * 15 + '"x"' + "]" * 15)})
    read = curator_client.patch(url, as_text, content_type="application/json", HTTP_IF_MATCH=etag)
    assert read.status_code == 400 and "levels" not in json.dumps(read.json())
    too_deep = json.dumps({"name": json.loads("[" * 16 + '"x"' + "]" * 16)})
    refused = curator_client.patch(url, too_deep, content_type="application/json", HTTP_IF_MATCH=etag)
    assert refused.json() == {"name": ["Nested more than 16 levels deep."]}


# -- the token scheme ------------------------------------------------------------------------------


def test_a_bearer_token_is_a_401_naming_the_token_scheme(seeded, curator):
    _, key = DashboardToken.objects.issue(name="dashboard", user=curator, days=1)
    client = APIClient()
    for url in ("/api/v1/meetings/", "/api/v1/members/democratic-republic-of-the-congo/"):
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 401
        assert response.json()["detail"] == (
            "Give a dashboard token as `Authorization: Token <key>`; the API does not take `Bearer` credentials."
        )
        assert response["WWW-Authenticate"] == "Token"
    weird = client.get("/api/v1/meetings/", HTTP_AUTHORIZATION="b\u00e9arer x")
    assert weird.status_code == 401 and "this scheme" in weird.json()["detail"]
    assert client.get("/api/v1/meetings/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    # Basic is left to a proxy that may ask for it: a public read stays public.
    assert client.get("/api/v1/meetings/", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz").status_code == 200


# -- unknown slugs in filters ----------------------------------------------------------------------

SLUG_FILTERS = [
    ("statements", "meeting"),
    ("figures", "meeting"),
    ("figures", "statement"),
    ("participations", "meeting"),
    ("participations", "member"),
    ("participations", "statement"),
    ("commitments", "meeting"),
    ("commitments", "statement"),
    ("commitments", "line_of_effort"),
    ("commitments", "thread"),
    ("threads", "line_of_effort"),
    ("assessments", "commitment"),
]


@pytest.mark.parametrize(("resource", "parameter"), SLUG_FILTERS)
def test_an_unknown_slug_in_a_filter_is_a_400_naming_the_parameter(seeded, resource, parameter):
    client = APIClient()
    for extra in ("", "&format=csv"):
        response = client.get(f"/api/v1/{resource}/?{parameter}=nope{extra}")
        assert response.status_code == 400, (resource, parameter, extra)
        assert list(response.json()) == [parameter]
        assert "nope" in response.json()[parameter][0]
    # Empty is no filter, as for every parameter.
    assert client.get(f"/api/v1/{resource}/?{parameter}=").status_code == 200


@pytest.mark.parametrize(
    ("resource", "parameter", "slug", "expected"),
    [
        ("commitments", "line_of_effort", "stabilization", "stabilization"),
        ("threads", "line_of_effort", "stabilization", "stabilization"),
        ("statements", "meeting", "paris-2019-small-group", "paris-2019-small-group"),
        ("participations", "member", "democratic-republic-of-the-congo", "democratic-republic-of-the-congo"),
    ],
)
def test_a_known_slug_still_filters(seeded, resource, parameter, slug, expected):
    results = APIClient().get(f"/api/v1/{resource}/?{parameter}={slug}&page_size=500").json()["results"]
    assert results
    field = {"participations": "member", "statements": "meeting"}.get(resource, "line_of_effort")
    values = {row[field] if isinstance(row[field], str) else row[field]["slug"] for row in results}
    assert values == {expected}


def test_a_thread_filter_lists_its_commitments(seeded):
    results = APIClient().get("/api/v1/commitments/?thread=stabilization-funding").json()["results"]
    timeline = APIClient().get("/api/v1/threads/stabilization-funding/").json()["timeline"]
    assert {row["slug"] for row in results} == {step["commitment"] for step in timeline}


def test_an_unknown_funding_stage_is_a_400(seeded):
    response = APIClient().get("/api/v1/assessments/?funding_stage=nope")
    assert response.status_code == 400 and list(response.json()) == ["funding_stage"]


def test_a_list_in_a_cell_is_text_guarded_against_formulas_and_never_python_text():
    from api.renderers import cell

    assert cell(['=HYPERLINK("http://x.invalid")', "b"]) == '\'=HYPERLINK("http://x.invalid"); b'
    assert cell([{"thread": "t", "position": 1, "nested": {"a": None, "b": ["x", True]}}]) == "t:1::x,true"
