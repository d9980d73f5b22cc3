"""The statements', figures', participation records', members' and lines of effort's API reads as of a date
(`?as_of=`): each list and record as it stood then.

Nothing of the present leaks in (a record changed since has its fields of then, one added since is absent, one
deleted since present, a draft of then hidden though published since), the filters read the fields of then, and
each read asks as many queries whatever the history's length.
"""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    FigureFactory,
    LineOfEffortFactory,
    MeetingFactory,
    MemberFactory,
    ParticipationFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

CHANGES = 12  # versions of each record after the moment read


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def get(client, name, *args, **params):
    return client.get(reverse(f"api:{name}", args=args), params)


def slugs(response, key="slug"):
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


def csv_text(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def changed_record():
    """Two meetings with a statement each, a figure on each, a member welcomed as new at both (sources disagree),
    a draft statement with its figure, a member and a line of effort with nothing quoting them; the moment
    `then`; after it each record changed CHANGES times, the first meeting moved to 2017, the draft published, a
    figure, the second join, the lone member and the lone line deleted, and one of each added."""
    rome = MeetingFactory(slug="rome", start_date=datetime.date(2016, 6, 1), end_date=datetime.date(2016, 6, 1))
    paris = MeetingFactory(slug="paris", start_date=datetime.date(2019, 6, 1), end_date=datetime.date(2019, 6, 1))
    communique = StatementFactory(slug="communique", meeting=rome, position=2, title="Communiqué, then")
    chair = StatementFactory(slug="chair", meeting=paris, position=1, kind="readout")
    drafted = StatementFactory(slug="drafted", meeting=paris, position=2, draft=True)
    freed = FigureFactory(slug="freed", statement=communique, unit="people, then")
    gone_figure = FigureFactory(slug="gone-figure", statement=chair, metric="funds", unit="USD")
    FigureFactory(slug="drafted-figure", statement=drafted)
    ruritania = MemberFactory(slug="ruritania", name="Ruritania, then")
    lone = MemberFactory(slug="lone", name="Lone")
    joined = ParticipationFactory(meeting=rome, member=ruritania, statement=communique, note="Then.")
    again = ParticipationFactory(meeting=paris, member=ruritania, statement=chair)
    sharing = LineOfEffortFactory(slug="sharing", name="Sharing, then", position=1)
    gone_line = LineOfEffortFactory(slug="gone-line", position=2)
    then = timezone.now()
    for n in range(CHANGES):  # a long history after the moment
        communique.title = f"Communiqué, retitled since ({n})"
        communique.save()
        freed.unit = f"people, since ({n})"
        freed.save()
        ruritania.name = f"Ruritania, renamed since ({n})"
        ruritania.save()
        joined.note = f"Since ({n})."
        joined.save()
        sharing.name = f"Sharing, renamed since ({n})"
        sharing.save()
    rome.start_date = rome.end_date = datetime.date(2017, 6, 1)
    rome.save()
    drafted.draft = False
    drafted.save()
    gone_figure.delete()
    again.delete()
    lone.delete()
    gone_line.delete()
    added = StatementFactory(slug="added-since", meeting=paris, position=3)
    FigureFactory(slug="added-since", statement=added)
    newcomer = MemberFactory(slug="added-since")
    ParticipationFactory(meeting=paris, member=newcomer, statement=added)
    LineOfEffortFactory(slug="added-since", position=5)
    return {"then": then.isoformat(), "drafted": drafted}


def test_the_statements_list_as_of_a_moment_is_the_list_then(client, changed_record, django_assert_num_queries):
    then = changed_record["then"]
    with django_assert_num_queries(3):  # the count, the page and its meetings, whatever the history's length
        response = get(client, "statement-list", as_of=then)
    listed = {row["slug"]: row for row in response.json()["results"]}
    assert list(listed) == ["communique", "chair"]  # no draft then, none added since
    assert listed["communique"]["title"] == "Communiqué, then" and listed["communique"]["meeting"] == "rome"
    assert set(listed["communique"]) == set(get(client, "statement-list").json()["results"][0])
    assert response["Link"] == '<http://testserver/api/v1/statements/>; rel="original"'
    assert response["Memento-Datetime"] and response["ETag"].startswith('W/"as-of-')
    today = slugs(get(client, "statement-list"))
    assert "drafted" in today and "added-since" in today


def test_the_statements_list_as_of_a_moment_filters_by_the_fields_of_then(client, changed_record):
    then = changed_record["then"]
    assert slugs(get(client, "statement-list", as_of=then, year="2016")) == ["communique"]  # moved to 2017 since
    assert slugs(get(client, "statement-list", year="2016")) == []
    assert slugs(get(client, "statement-list", as_of=then, meeting="paris")) == ["chair"]
    assert slugs(get(client, "statement-list", as_of=then, kind="readout")) == ["chair"]
    assert slugs(get(client, "statement-list", as_of=then, ordering="-position")) == ["communique", "chair"]
    first = get(client, "statement-list", as_of=then, page_size=1)
    assert slugs(first) == ["communique"] and first.json()["count"] == 2 and "as_of=" in first.json()["next"]
    assert slugs(client.get(first.json()["next"])) == ["chair"]
    unknown = get(client, "statement-list", as_of=then, meeting="nowhere")
    assert unknown.status_code == 400 and "meeting" in unknown.json()
    refused = get(client, "statement-list", as_of=then, changed_since="2024-01-01T00:00:00Z")
    assert refused.status_code == 400 and "changed_since" in refused.json()
    text = csv_text(get(client, "statement-list", as_of=then, format="csv"))
    assert "Communiqué, then" in text and "added-since" not in text and "drafted" not in text


def test_a_curator_sees_the_drafts_of_then_as_of_then(client, changed_record, admin_user):
    client.force_login(admin_user)
    then = changed_record["then"]
    assert "drafted" in slugs(get(client, "statement-list", as_of=then))
    assert "drafted-figure" in slugs(get(client, "figure-list", as_of=then))
    assert get(client, "figure-detail", "drafted-figure", as_of=then).json()["statement"] == "drafted"


def test_the_figures_list_and_a_figure_as_of_a_moment_are_as_they_were_then(
    client, changed_record, django_assert_num_queries
):
    then = changed_record["then"]
    with django_assert_num_queries(4):  # the count, the page, its statements and their meetings
        response = get(client, "figure-list", as_of=then)
    listed = {row["slug"]: row for row in response.json()["results"]}
    assert list(listed) == ["freed", "gone-figure"]  # deleted since: present; drafted then or added since: absent
    assert listed["freed"]["unit"] == "people, then" and listed["freed"]["meeting"] == "rome"
    assert set(listed["freed"]) == set(get(client, "figure-list").json()["results"][0])
    assert slugs(get(client, "figure-list", as_of=then, meeting="paris")) == ["gone-figure"]
    assert slugs(get(client, "figure-list", as_of=then, metric="funds")) == ["gone-figure"]
    assert slugs(get(client, "figure-list", as_of=then, statement="communique")) == ["freed"]
    assert slugs(get(client, "figure-list", as_of=then, ordering="-statement__meeting__start_date")) == [
        "gone-figure",
        "freed",
    ]
    assert "gone-figure" in csv_text(get(client, "figure-list", as_of=then, format="csv"))
    with django_assert_num_queries(3):  # the figure, its statement and its meeting
        figure = get(client, "figure-detail", "gone-figure", as_of=then)
    assert figure.status_code == 200 and figure.json()["statement"] == "chair"
    assert figure["Link"] == '<http://testserver/api/v1/figures/gone-figure/>; rel="original"'
    assert get(client, "figure-detail", "gone-figure").status_code == 404
    assert get(client, "figure-detail", "freed", as_of=then).json()["unit"] == "people, then"
    assert get(client, "figure-detail", "drafted-figure", as_of=then).status_code == 404  # a draft then
    assert get(client, "figure-detail", "added-since", as_of=then).status_code == 404
    assert get(client, "figure-detail", "drafted-figure").status_code == 200


def test_the_participation_records_as_of_a_moment_are_as_they_were_then(
    client, changed_record, django_assert_num_queries
):
    then = changed_record["then"]
    with django_assert_num_queries(5):  # the count, the page, its meetings, members and statements
        response = get(client, "participation-list", as_of=then)
    listed = {row["key"]: row for row in response.json()["results"]}
    joined, again = "rome~ruritania~new-member~communique", "paris~ruritania~new-member~chair"
    assert list(listed) == [joined, again]  # deleted since: present; added since: absent
    assert listed[joined]["note"] == "Then."
    assert set(listed[joined]) == set(get(client, "participation-list").json()["results"][0])
    assert slugs(get(client, "participation-list", as_of=then, meeting="paris"), key="key") == [again]
    assert slugs(get(client, "participation-list", as_of=then, statement="communique"), key="key") == [joined]
    assert slugs(get(client, "participation-list", as_of=then, member="ruritania"), key="key") == [joined, again]
    unknown = get(client, "participation-list", as_of=then, member="added-since")
    assert unknown.status_code == 400 and "member" in unknown.json()
    assert again in csv_text(get(client, "participation-list", as_of=then, format="csv"))
    with django_assert_num_queries(4):  # the meeting, member and statement of its key, and the record
        record = get(client, "participation-detail", again, as_of=then)
    assert record.status_code == 200 and record.json()["key"] == again
    assert get(client, "participation-detail", again).status_code == 404
    assert get(client, "participation-detail", joined, as_of=then).json()["note"] == "Then."
    added = "paris~added-since~new-member~added-since"
    missing = get(client, "participation-detail", added, as_of=then)
    assert missing.status_code == 404 and "No participation record with this key as of" in missing.json()["detail"]


def test_the_members_as_of_a_moment_are_as_they_were_then(client, changed_record, django_assert_num_queries):
    then = changed_record["then"]
    with django_assert_num_queries(5):  # the count, the page, and their joins with their meetings and statements
        response = get(client, "member-list", as_of=then)
    listed = {row["slug"]: row for row in response.json()["results"]}
    assert list(listed) == ["lone", "ruritania"]  # by their names then; deleted since: present
    ruritania = listed["ruritania"]
    assert ruritania["name"] == "Ruritania, then" and ruritania["sources_disagree_on_joining"] is True
    assert [join["meeting"] for join in ruritania["joined_per_sources"]] == ["rome", "paris"]
    assert ruritania["joined_per_sources"][0]["year"] == 2016  # the meeting's date then
    assert set(ruritania) == set(get(client, "member-list").json()["results"][0])
    assert slugs(get(client, "member-list", as_of=then, sources_disagree="true")) == ["ruritania"]
    assert slugs(get(client, "member-list", sources_disagree="true")) == []  # the second join deleted since
    assert slugs(get(client, "member-list", as_of=then, sources_disagree="false")) == ["lone"]
    assert "Ruritania, then" in csv_text(get(client, "member-list", as_of=then, format="csv"))
    with django_assert_num_queries(4):  # the member, its joins, their meetings and statements
        member = get(client, "member-detail", "ruritania", as_of=then)
    assert member.json()["name"] == "Ruritania, then" and member.json()["sources_disagree_on_joining"] is True
    assert get(client, "member-detail", "lone", as_of=then).status_code == 200
    assert get(client, "member-detail", "lone").status_code == 404
    assert get(client, "member-detail", "added-since", as_of=then).status_code == 404


def test_the_lines_of_effort_as_of_a_moment_are_as_they_were_then(client, changed_record, django_assert_num_queries):
    then = changed_record["then"]
    with django_assert_num_queries(2):  # the count and the page
        response = get(client, "lineofeffort-list", as_of=then)
    listed = {row["slug"]: row for row in response.json()["results"]}
    assert list(listed) == ["sharing", "gone-line"]
    assert listed["sharing"]["name"] == "Sharing, then"
    assert set(listed["sharing"]) == set(get(client, "lineofeffort-list").json()["results"][0])
    assert slugs(get(client, "lineofeffort-list", as_of=then, ordering="-position")) == ["gone-line", "sharing"]
    refused = get(client, "lineofeffort-list", as_of=then, changed_since="2024-01-01T00:00:00Z")
    assert refused.status_code == 400 and "changed_since" in refused.json()
    assert "Sharing, then" in csv_text(get(client, "lineofeffort-list", as_of=then, format="csv"))
    with django_assert_num_queries(1):
        line = get(client, "lineofeffort-detail", "gone-line", as_of=then)
    assert line.status_code == 200 and line["Memento-Datetime"]
    assert get(client, "lineofeffort-detail", "added-since", as_of=then).status_code == 404
    assert get(client, "lineofeffort-detail", "sharing", as_of="2001-01-01").status_code == 404
    assert get(client, "lineofeffort-detail", "sharing", as_of="not a date").status_code == 400


def test_a_statement_added_since_is_not_found_as_of_then(client, changed_record):
    then = changed_record["then"]
    assert get(client, "statement-detail", "added-since", as_of=then).status_code == 404
    assert get(client, "statement-detail", "communique", as_of=then).json()["title"] == "Communiqué, then"


def test_a_join_quoting_a_draft_of_then_is_hidden_as_of_then_though_published_since(client, admin_user):
    member = MemberFactory(slug="ruritania")
    drafted = StatementFactory(slug="drafted", draft=True)
    ParticipationFactory(meeting=drafted.meeting, member=member, statement=drafted)
    then = timezone.now().isoformat()
    drafted.draft = False
    drafted.save()
    assert get(client, "member-detail", "ruritania", as_of=then).json()["joined_per_sources"] == []
    assert slugs(get(client, "participation-list", as_of=then), key="key") == []
    assert len(get(client, "member-detail", "ruritania").json()["joined_per_sources"]) == 1
    client.force_login(admin_user)
    assert len(get(client, "member-detail", "ruritania", as_of=then).json()["joined_per_sources"]) == 1
    assert len(slugs(get(client, "participation-list", as_of=then), key="key")) == 1
