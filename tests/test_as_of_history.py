"""A record's change history in the API as of a date (`…/{key}/history/?as_of=`): the changes made up to and
including that moment, of the record its key addressed then (deleted since, or its slug changed since, it
answers; added later, a 404 naming the key), marked as a past answer, in as many queries whatever the history's
length."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from commitments.models import Assessment, LineOfEffort
from core.when import stamp
from tests.factories import AssessmentFactory, LineOfEffortFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


@pytest.fixture
def auditor_api(auditor):
    client = APIClient()
    client.force_authenticate(auditor)
    return client


def history(client, resource, key, **params):
    return client.get(reverse(f"api:{resource}-history", args=[key]), params)


def changed(line, times, field="description"):
    for n in range(times):
        setattr(line, field, f"Changed {n}.")
        line.save()


@pytest.mark.parametrize("later", [1, 12])
def test_the_history_as_of_a_moment_ends_there_in_as_many_queries_whatever_follows(
    auditor_api, django_assert_num_queries, later
):
    line = LineOfEffortFactory(slug="stabilization", description="First.")
    line.description = "Second."
    line.save()
    then = line.history.order_by("-history_date").first().history_date  # the moment of that change, exactly
    changed(line, later)
    with django_assert_num_queries(3):  # the reader's roles, the record's key then, its versions then
        response = history(auditor_api, "lineofeffort", "stabilization", as_of=stamp(then))
    assert response.status_code == 200, response.content
    records = response.json()
    assert [record["type"] for record in records] == ["+", "~"]  # the change at the moment itself included
    assert records[1]["changes"] == [{"field": "description", "old": "First.", "new": "Second."}]
    assert response["Memento-Datetime"]
    assert response["Link"] == '<http://testserver/api/v1/lines-of-effort/stabilization/history/>; rel="original"'
    assert response["ETag"].startswith('W/"as-of-')
    today = history(auditor_api, "lineofeffort", "stabilization")
    assert len(today.json()) == 2 + later and "Memento-Datetime" not in today


def test_a_record_deleted_since_or_renamed_since_answers_by_its_key_then(auditor_api):
    gone = LineOfEffortFactory(slug="gone", description="Kept then.")
    moved = LineOfEffortFactory(slug="old-slug")
    then = timezone.now()
    gone.delete()
    moved.slug = "new-slug"
    moved.save()
    assert history(auditor_api, "lineofeffort", "gone").status_code == 404  # today: no such record
    past = history(auditor_api, "lineofeffort", "gone", as_of=stamp(then))
    assert past.status_code == 200, past.content
    assert [record["type"] for record in past.json()] == ["+"]  # its deletion came after the moment
    renamed = history(auditor_api, "lineofeffort", "old-slug", as_of=stamp(then))
    assert [record["type"] for record in renamed.json()] == ["+"]
    # The slug it has now did not address it then.
    absent = history(auditor_api, "lineofeffort", "new-slug", as_of=stamp(then))
    assert absent.status_code == 404
    assert "new-slug" in absent.json()["detail"]


def test_a_record_added_after_the_moment_is_a_404_naming_its_key(auditor_api):
    LineOfEffortFactory(slug="earlier")  # the history begins before the moment
    then = timezone.now()
    LineOfEffortFactory(slug="added-since")
    response = history(auditor_api, "lineofeffort", "added-since", as_of=stamp(then))
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No line of effort with the slug “added-since” as of ")
    assert LineOfEffort.objects.filter(slug="added-since").exists()


def test_a_record_addressed_by_its_natural_key_answers_by_its_key_then(auditor_api):
    assessment = AssessmentFactory(note="Then.")
    key = assessment.key()
    then = timezone.now()
    assessment.note = "Since."
    assessment.save()
    response = history(auditor_api, "assessment", key, as_of=stamp(then))
    assert response.status_code == 200, response.content
    assert [record["type"] for record in response.json()] == ["+"]
    assert len(history(auditor_api, "assessment", key).json()) == 2
    AssessmentFactory(commitment=assessment.commitment, assessed_on=assessment.assessed_on.replace(year=2030))
    later = Assessment.objects.get(assessed_on__year=2030).key()
    assert history(auditor_api, "assessment", later, as_of=stamp(then)).status_code == 404


def test_a_bad_moment_is_a_400_and_the_history_stays_for_auditors_and_curators(auditor_api):
    LineOfEffortFactory(slug="line")
    bad = history(auditor_api, "lineofeffort", "line", as_of="not a date")
    assert bad.status_code == 400 and "is not a moment" in bad.json()["as_of"][0]
    reader = APIClient()
    reader.force_authenticate(UserFactory(username="reader"))
    assert history(reader, "lineofeffort", "line", as_of=stamp(timezone.now())).status_code == 403
