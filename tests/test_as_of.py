"""The record as it stood at a moment (core.as_of): created later absent, deleted since present, the version then."""

import datetime

import pytest
from django.utils import timezone

from commitments.models import LineOfEffort
from core.as_of import standing
from tests.factories import LineOfEffortFactory

pytestmark = pytest.mark.django_db


def _at(model, when):
    return {row.slug: row.name for row in standing(model, when)}


def test_standing_reads_each_record_as_it_was_then(django_assert_num_queries):
    kept = LineOfEffortFactory(slug="kept", name="Kept, first name")
    gone = LineOfEffortFactory(slug="gone", name="Deleted later")
    then = timezone.now()
    kept.name = "Kept, renamed later"
    kept.save()
    gone.delete()
    LineOfEffortFactory(slug="new", name="Created later")

    with django_assert_num_queries(1):
        past = _at(LineOfEffort, then)
    assert past == {"kept": "Kept, first name", "gone": "Deleted later"}
    assert _at(LineOfEffort, timezone.now()) == {"kept": "Kept, renamed later", "new": "Created later"}
    assert _at(LineOfEffort, then - datetime.timedelta(days=1)) == {}
