"""The API on the seed data: filters return exactly the right rows, and responses keep their shape."""

import datetime
import json
import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from api.serializers import CommitmentSerializer
from commitments.models import Assessment, Commitment, Thread, ThreadEntry

RESPONSES = Path(__file__).parent / "responses"


@pytest.fixture
def client(seeded):
    cache.clear()
    return APIClient()


def slugs(client, url, **params):
    """Every result slug of a list, following `next` links."""
    found, response = [], client.get(url, {**params, "page_size": 500}).json()
    while True:
        found += [row.get("slug") or row.get("key") for row in response["results"]]
        if not response["next"]:
            return found
        response = client.get(response["next"]).json()


def meetings_of(client, **params):
    rows = client.get(reverse("api:commitment-list"), {**params, "page_size": 500}).json()["results"]
    return sorted({row["meeting"]["slug"] for row in rows})


def test_the_africa_focus_is_found_at_paris_copenhagen_and_rome(client):
    assert meetings_of(client, thread="africa-focus") == [
        "copenhagen-2020-small-group",
        "paris-2019-small-group",
        "rome-2021-ministerial",
    ]
    expected = set(ThreadEntry.objects.filter(thread__slug="africa-focus").values_list("commitment__slug", flat=True))
    assert set(slugs(client, reverse("api:commitment-list"), thread="africa-focus")) == expected


def test_commitment_filters_return_exactly_the_matching_rows(client):
    url = reverse("api:commitment-list")
    everything = Commitment.objects.all()

    def expect(params, queryset):
        assert sorted(slugs(client, url, **params)) == sorted(queryset.values_list("slug", flat=True)), params

    expect(
        {"meeting": "copenhagen-2020-small-group"},
        everything.filter(statement__meeting__slug="copenhagen-2020-small-group"),
    )
    expect({"statement": "paris-2019-readout"}, everything.filter(statement__slug="paris-2019-readout"))
    expect({"year": 2019}, everything.filter(statement__meeting__start_date__year=2019))
    expect(
        {"date_after": "2019-07-01", "date_before": "2020-12-31"},
        everything.filter(statement__meeting__slug="copenhagen-2020-small-group"),
    )
    expect({"line_of_effort": "counter-financing"}, everything.filter(line_of_effort__slug="counter-financing"))
    expect({"has_thread": "false"}, everything.filter(thread_entries__isnull=True))
    expect({"has_thread": "true"}, everything.filter(thread_entries__isnull=False).distinct())
    expect(
        {"strength": "soft", "meeting": "rome-2021-ministerial"},
        everything.filter(strength="soft", statement__meeting__slug="rome-2021-ministerial"),
    )
    expect({"change_kind": "narrowed"}, everything.filter(thread_entries__change_kind="narrowed").distinct())
    expect({"actor": "ministers"}, everything.filter(actor__icontains="ministers"))
    assert "berlin-2016-ftf-information-sharing-interpol" in slugs(client, url, q="INTERPOL")
    assert set(slugs(client, url, q="INTERPOL")) <= set(
        everything.filter(quote__icontains="interpol").values_list("slug", flat=True)
    ) | set(everything.filter(summary__icontains="interpol").values_list("slug", flat=True))


def test_the_status_filter_reads_the_newest_assessment(client):
    # This test's own assessments only: the seed's follow-through is set aside.
    Assessment.objects.all().delete()
    pledge = Commitment.objects.get(slug="rome-2021-pledge-drive")
    # Approved: a draft is never a commitment's status (tests/test_follow_through.py).
    for day, status in [(datetime.date(2021, 12, 1), "in-progress"), (datetime.date(2022, 12, 1), "kept")]:
        Assessment.objects.create(
            commitment=pledge, assessed_on=day, status=status, assessor="A", review_state="approved"
        )
    url = reverse("api:commitment-list")
    assert slugs(client, url, status="kept") == ["rome-2021-pledge-drive"]
    assert slugs(client, url, status="in-progress") == []
    assert len(slugs(client, url, status="not-assessed")) == Commitment.objects.count() - 1


def test_meeting_and_figure_filters(client):
    assert slugs(client, reverse("api:meeting-list"), year=2019) == ["paris-2019-small-group"]
    assert slugs(client, reverse("api:meeting-list"), meeting_format="ministerial") == ["rome-2021-ministerial"]
    assert slugs(client, reverse("api:meeting-list"), country="denmark") == ["copenhagen-2020-small-group"]
    assert slugs(client, reverse("api:figure-list"), metric="people-freed") == [
        "paris-2019-roadmap-fig-people-freed",
        "copenhagen-2020-fig-people-freed",
        "rome-2021-fig-people-freed",
    ]
    assert slugs(client, reverse("api:member-list"), sources_disagree="true") == ["democratic-republic-of-the-congo"]


def test_the_people_freed_series_keeps_each_hedge(client):
    series = client.get(reverse("api:figure-series"), {"metric": "people-freed"}).json()
    assert [(p["meeting"], p["qualifier"], p["value"]) for p in series] == [
        ("paris-2019-small-group", "more-than", "7700000.0000"),
        ("copenhagen-2020-small-group", "almost", "8000000.0000"),
        ("rome-2021-ministerial", "nearly", "8000000.0000"),
    ]


def test_the_pledge_matrix_places_each_thread_at_its_meetings(client):
    matrix = client.get(reverse("api:pledge-matrix")).json()
    assert [m["slug"] for m in matrix["meetings"]] == [
        "berlin-2016-small-group",
        "paris-2019-small-group",
        "copenhagen-2020-small-group",
        "rome-2021-ministerial",
    ]
    stabilization = next(t for t in matrix["threads"] if t["slug"] == "stabilization-funding")
    assert set(stabilization["meetings"]) == {m["slug"] for m in matrix["meetings"]}
    assert stabilization["meetings"]["berlin-2016-small-group"] == [
        {"commitment": "berlin-2016-un-stabilization-facilities", "position": 1, "change_kind": "new"}
    ]
    # Rendered from plain rows, as the schema's serializer would render them.
    from api.aggregates import PledgeMatrixSerializer

    assert matrix == json.loads(json.dumps(PledgeMatrixSerializer(matrix).data))


def test_the_thread_timeline_gives_structured_word_diffs(client):
    timeline = client.get(reverse("api:thread-detail", args=["stabilization-funding"])).json()["timeline"]
    assert [step["position"] for step in timeline] == list(range(1, len(timeline) + 1))
    assert timeline[0]["diff"] == [] and timeline[0]["change_kind"] == "new"
    ops = {run["op"] for step in timeline[1:] for run in step["diff"]}
    assert ops == {"equal", "insert", "delete"}
    dates = [step["meeting"]["start_date"] for step in timeline]
    assert dates == sorted(dates)


def test_a_timeline_step_is_written_as_its_declared_fields_write_it(client):
    from rest_framework import serializers

    from api.serializers import ThreadTimelineSerializer, TimelineStepSerializer
    from commitments.models import Thread

    writer = TimelineStepSerializer()
    threads = list(Thread.objects.select_related("line_of_effort").with_timeline())
    steps = [step for thread in threads for step in thread.timeline()]
    assert len(steps) == ThreadEntry.objects.count()
    for step in steps:
        declared = serializers.Serializer.to_representation(writer, step)
        assert writer.to_representation(step) == json.loads(json.dumps(declared)), step.entry
    for thread in threads:
        document = ThreadTimelineSerializer(thread)
        declared = serializers.ModelSerializer.to_representation(document, thread)
        assert document.data == json.loads(json.dumps(declared)), thread.slug


def test_the_fast_list_path_gives_what_the_declarative_serializer_gives(client):
    # The list renders .values() rows with CommitmentRowSerializer; the detail uses instances.
    fast = {
        row["slug"]: row for row in client.get(reverse("api:commitment-list"), {"page_size": 500}).json()["results"]
    }
    slow = CommitmentSerializer(Commitment.objects.for_list(), many=True).data
    assert len(fast) == len(slow) == Commitment.objects.count()
    for row in slow:
        assert fast[row["slug"]] == json.loads(json.dumps(row)), row["slug"]


def test_the_members_series_places_a_figure_at_the_date_its_text_gives(client):
    rows = client.get(reverse("api:figure-series"), {"metric": "members"}).json()
    first = rows[0]
    # “we began as a 12-member Coalition back in 2014”, said at Paris 2019, is about 2014.
    assert (first["figure"], first["meeting_date"], first["as_of"]) == (
        "paris-2019-readout-fig-members-2014",
        "2019-06-24",
        "2014-12-31",
    )
    assert (first["about_from"], first["about_to"]) == ("2014-01-01", "2014-12-31")
    assert [row["as_of"] for row in rows] == sorted(row["as_of"] for row in rows)
    assert all(row["as_of"] == row["meeting_date"] for row in rows[1:])


def test_the_funds_series_gives_each_sum_its_stage(client):
    rows = client.get(reverse("api:figure-series"), {"metric": "funds"}).json()
    assert [(row["figure"], row["stage"]) for row in rows] == [
        ("berlin-2016-fig-iraq-pledges", "committed"),
        ("paris-2019-roadmap-fig-funds", "raised"),
        ("paris-2019-readout-fig-funds-20bn", "raised"),
    ]


GOLDEN = {
    "meeting": ("api:meeting-detail", ["paris-2019-small-group"], {}),
    "statement": ("api:statement-detail", ["copenhagen-2020-statement"], {}),
    "lineofeffort": ("api:lineofeffort-detail", ["ftf-information-sharing"], {}),
    "thread": ("api:thread-detail", ["ftf-information-sharing"], {}),
    "commitment": ("api:commitment-detail", ["rome-2021-pledge-drive"], {}),
    "commitment-list": ("api:commitment-list", [], {"thread": "ftf-information-sharing"}),
    "figure": ("api:figure-detail", ["rome-2021-fig-people-freed"], {}),
    "member": ("api:member-detail", ["democratic-republic-of-the-congo"], {}),
    "participation": (
        "api:participation-detail",
        ["rome-2021-ministerial~democratic-republic-of-the-congo~new-member~rome-2021-ministerial-statement"],
        {},
    ),
    "assessment": ("api:assessment-detail", ["rome-2021-pledge-drive@2022-06-30"], {}),
    "commitments-by-line": ("api:commitments-by-line", [], {}),
    "figure-series": ("api:figure-series", [], {"metric": "territory"}),
    "verdicts": ("api:verdicts", [], {"by": "line"}),
    # Every `by` the aggregate knows (line, meeting, member): the seed scores no member one by one.
    "verdicts-by-meeting": ("api:verdicts", [], {"by": "meeting"}),
    "verdicts-by-member": ("api:verdicts", [], {"by": "member"}),
}


@pytest.mark.parametrize("name", GOLDEN)
def test_responses_keep_their_golden_shape(client, name):
    Assessment.objects.create(
        commitment=Commitment.objects.get(slug="rome-2021-pledge-drive"),
        assessed_on=datetime.date(2022, 6, 30),
        status="in-progress",
        funding_stage="",
        evidence_url="https://example.org/pledge-drive-2021",
        assessor="Golden test",
        # Readers see approved assessments only.
        review_state="approved",
    )
    url_name, args, params = GOLDEN[name]
    response = client.get(reverse(url_name, args=args), params)
    assert response.status_code == 200
    path = RESPONSES / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(response.json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert response.json() == json.loads(path.read_text(encoding="utf-8")), f"{name} drifted from {path}"


# -- q: the same search as the public pages (commitments.search) ---------------------------------


def test_q_finds_foreign_fighters_detainees_and_both_spellings(client):
    commitments, threads = reverse("api:commitment-list"), reverse("api:thread-list")
    fighters = set(slugs(client, commitments, q="foreign fighters"))
    assert fighters == set(Commitment.objects.search("foreign fighters").values_list("slug", flat=True))
    assert "berlin-2016-ftf-information-sharing-interpol" in fighters
    assert fighters == set(slugs(client, commitments, q="FTF"))
    assert "ftf-information-sharing" in slugs(client, threads, q="foreign fighters")
    detainees = set(slugs(client, threads, q="detainees"))
    assert (
        set(Thread.objects.filter(line_of_effort__slug="detainees-justice").values_list("slug", flat=True)) <= detainees
    )
    filed = set(Commitment.objects.filter(line_of_effort__slug="detainees-justice").values_list("slug", flat=True))
    assert filed <= set(slugs(client, commitments, q="detainees"))
    for url in (commitments, threads):
        british = slugs(client, url, q="stabilisation")
        assert british and british == slugs(client, url, q="stabilization")
    # q narrows what the other filters give, as any filter does.
    assert set(slugs(client, commitments, q="stabilization", has_thread="false")) == set(
        Commitment.objects.search("stabilization").in_any_thread(False).values_list("slug", flat=True)
    )
