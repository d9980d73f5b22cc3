"""The seed fixture: every quote is exact, every digest matches its file, the pledges recur."""

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command

from commitments.models import Commitment, Thread, ThreadEntry
from meetings.models import Figure, Meeting, Member, Participation, Statement
from tests.conftest import SEED


@pytest.fixture(scope="module")
def records():
    return json.loads(SEED.read_text(encoding="utf-8"))


def by_model(records, model):
    return [r["fields"] for r in records if r["model"] == model]


def source_texts(records, sources_dir):
    return {s["slug"]: (sources_dir / s["source_file"]).read_bytes() for s in by_model(records, "meetings.statement")}


def test_the_source_statements_ship_inside_the_repository(sources_dir):
    repository = Path(settings.BASE_DIR).resolve()
    assert sources_dir.resolve().is_relative_to(repository)
    assert sorted(p.name for p in sources_dir.glob("*.txt")) == [
        "2016-small-group-joint-statement.txt",
        "2019-06-paris-readout.txt",
        "2019-06-paris-roadmap.txt",
        "2020-01-29-copenhagen-statement.txt",
        "2021-06-28-rome-ministerial-statement.txt",
    ]
    # Nothing the product, its tests or CI run reads from beside the repository.
    outside = re.compile(r"\.\./|shared/sources|parent\s*/\s*[\"']shared")
    readers = [*repository.glob("*/*.py"), *repository.glob("*/*/*/*.py"), repository / "Makefile"]
    readers += [repository / ".ci" / "run", repository / "pyproject.toml", repository / "manage.py"]
    readers = [p for p in readers if p.is_file() and p != Path(__file__).resolve()]  # this test names the paths
    offenders = [str(p.relative_to(repository)) for p in readers if outside.search(p.read_text())]
    assert offenders == [], offenders


def test_statement_texts_and_digests_match_the_source_files_byte_for_byte(records, sources_dir):
    statements = by_model(records, "meetings.statement")
    assert len(statements) == 5
    for statement in statements:
        data = (sources_dir / statement["source_file"]).read_bytes()
        assert statement["text"].encode("utf-8") == data, statement["slug"]
        assert statement["sha256"] == hashlib.sha256(data).hexdigest(), statement["slug"]


def test_every_quote_is_an_exact_substring_of_its_source_file_at_its_offsets(records, sources_dir):
    texts = {slug: data.decode("utf-8") for slug, data in source_texts(records, sources_dir).items()}
    quoted = [
        *by_model(records, "commitments.commitment"),
        *by_model(records, "meetings.figure"),
        *[p for p in by_model(records, "meetings.participation") if p["quote"]],
    ]
    assert len(quoted) > 150
    for item in quoted:
        text = texts[item["statement"][0]]
        assert item["quote"] in text
        assert text[item["start"] : item["end"]] == item["quote"], item.get("slug", item["quote"][:40])


def test_the_fixture_is_what_the_curation_files_build(sources_dir):
    call_command("build_seed", "--check", "--sources", str(sources_dir), verbosity=0)


def test_every_meeting_statement_and_line_of_effort_is_covered(records):
    commitments = by_model(records, "commitments.commitment")
    assert len(commitments) > 100
    per_statement = Counter(c["statement"][0] for c in commitments)
    assert set(per_statement) == {s["slug"] for s in by_model(records, "meetings.statement")}
    assert {c["line_of_effort"][0] for c in commitments} == {
        line["slug"] for line in by_model(records, "commitments.lineofeffort")
    }
    assert {c["strength"] for c in commitments} == {"binding", "soft"}
    assert all(c["summary"] and c["actor"] for c in commitments)


@pytest.fixture
def seeded_db(seeded):
    return seeded


def meetings_of(thread_slug):
    return list(
        Commitment.objects.in_thread(thread_slug)
        .order_by("statement__meeting__start_date")
        .values_list("statement__meeting__slug", flat=True)
        .distinct()
    )


def test_seed_loads_into_an_empty_database_and_every_record_validates(seeded_db):
    assert Meeting.objects.count() == 4
    assert Statement.objects.count() == 5
    for model in (Meeting, Statement, Member, Participation, Figure, Thread, Commitment, ThreadEntry):
        for obj in model.objects.all():
            try:
                obj.full_clean()
            except ValidationError as exc:  # pragma: no cover - the message is the point
                pytest.fail(f"{model.__name__} {obj}: {exc}")
    assert all(c.quote_matches() for c in Commitment.objects.select_related("statement"))
    assert all(s.text_matches_digest() for s in Statement.objects.all())


def test_the_three_headline_pledges_recur_across_paris_copenhagen_and_rome(seeded_db):
    paris, copenhagen, rome = "paris-2019-small-group", "copenhagen-2020-small-group", "rome-2021-ministerial"
    assert {paris, copenhagen, rome} <= set(meetings_of("stabilization-funding"))
    assert {paris, copenhagen, rome} <= set(meetings_of("africa-focus"))
    # Copenhagen's statement does not speak of information sharing; 2016, Paris and Rome do.
    assert meetings_of("ftf-information-sharing") == ["berlin-2016-small-group", paris, rome]


def test_every_thread_recurs_and_opens_with_a_new_pledge(seeded_db):
    for thread in Thread.objects.with_timeline():
        steps = thread.timeline()
        meetings = {s.entry.commitment.statement.meeting_id for s in steps}
        assert len(meetings) >= 2, f"{thread.slug} appears at one meeting only"
        assert steps[0].entry.change_kind == "new"
        assert [s.entry.position for s in steps] == list(range(1, len(steps) + 1))


def test_meetings_are_dated_and_placed_as_the_sources_say(seeded_db):
    meetings = {m.slug: m for m in Meeting.objects.all()}
    berlin = meetings["berlin-2016-small-group"]
    assert (berlin.city, str(berlin.start_date), berlin.facts_basis) == ("Berlin", "2016-11-17", "external")
    paris = meetings["paris-2019-small-group"]
    assert (str(paris.start_date), str(paris.end_date), paris.date_precision) == ("2019-06-24", "2019-06-25", "range")
    assert meetings["rome-2021-ministerial"].format == "ministerial"
    hosts = set(Participation.objects.filter(role="host").values_list("meeting__slug", "member__slug"))
    assert hosts == {
        ("berlin-2016-small-group", "germany"),
        ("paris-2019-small-group", "france"),
        ("copenhagen-2020-small-group", "denmark"),
        ("rome-2021-ministerial", "italy"),
        ("rome-2021-ministerial", "united-states"),
    }


def test_the_drc_joining_conflict_is_kept_as_what_each_source_says(seeded_db):
    claims = set(
        Participation.objects.filter(member__slug="democratic-republic-of-the-congo", role="new-member").values_list(
            "meeting__slug", "statement__slug"
        )
    )
    assert claims == {
        ("paris-2019-small-group", "paris-2019-readout"),
        ("rome-2021-ministerial", "rome-2021-ministerial-statement"),
    }
    assert list(Member.objects.with_conflicting_joins().values_list("slug", flat=True)) == [
        "democratic-republic-of-the-congo"
    ]


def test_people_freed_figures_form_a_series_with_their_hedges(seeded_db):
    series = [(f.statement.meeting.slug, f.qualifier, int(f.value)) for f in Figure.objects.series("people-freed")]
    assert series == [
        ("paris-2019-small-group", "more-than", 7_700_000),
        ("copenhagen-2020-small-group", "almost", 8_000_000),
        ("rome-2021-ministerial", "nearly", 8_000_000),
    ]
