"""Words as of a date read alike in the API and on the pages: one rule (`commitments.past_search`) for the
commitments' list `q` with `as_of`, the public search, the matrix and the commitments list as of a date.
"""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tests.factories import CommitmentFactory, LineOfEffortFactory, StatementFactory, thread_with

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def worded():
    """A commitment whose quote opens on a capital letter no ASCII case folding reaches ("Égalité"), one filed
    under a line whose name then holds a word its own text does not ("Gender"), and one holding neither; the
    moment `then`, after which the line is renamed and the first commitment's summary rewritten."""
    plain = LineOfEffortFactory(slug="plain", name="Plain", position=1)
    gender = LineOfEffortFactory(slug="gender", name="Gender, then", position=2)
    phrases = [
        "Égalité of access to courts is a goal we share.",
        "We will fund shelters for survivors.",
        "We will meet again next year.",
    ]
    statement = StatementFactory(text=" ".join(phrases))
    accented, named, neither = (
        CommitmentFactory(statement=statement, phrase=phrase, line_of_effort=plain) for phrase in phrases
    )
    named.line_of_effort = gender
    named.save()
    for commitment, slug in ((accented, "accented"), (named, "named"), (neither, "neither")):
        thread_with(commitment, slug=slug, title=f"Pledge {slug}", line_of_effort=commitment.line_of_effort)
    then = timezone.now().isoformat()
    gender.name = "Equality, renamed since"
    gender.save()
    return {"then": then, "accented": accented.slug, "named": named.slug, "neither": neither.slug}


def api_slugs(client, then, q):
    response = client.get(reverse("api:commitment-list"), {"as_of": then, "q": q})
    assert response.status_code == 200, response.json()
    return {row["slug"] for row in response.json()["results"]}


def page_slugs(client, then, q):
    body = client.get(reverse("public:commitments"), {"as_of": then, "q": q}).content.decode()
    return set(re.findall(r'<li id="c-([^"]+)">', body))


def matrix_pledges(client, then, q):
    body = client.get(reverse("public:matrix"), {"as_of": then, "q": q}).content.decode()
    return set(re.findall(r'data-pledge="([^"]+)"', body))


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("égalité", {"accented"}),  # the capital É of the text: not folded by SQLite's LIKE, found all the same
        ("ÉGALITÉ", {"accented"}),
        ("gender", {"named"}),  # the line's name then
        ("equality", set()),  # the line's name since: not then
        ("shelters", {"named"}),
        ("the", set()),  # words that say nothing find nothing
    ],
)
def test_the_same_words_match_in_the_api_and_on_the_pages_as_of_a_date(client, worded, q, found):
    then = worded["then"]
    expected = {worded[key] for key in found}
    assert api_slugs(client, then, q) == expected
    assert page_slugs(client, then, q) == expected
    assert matrix_pledges(client, then, q) == found
