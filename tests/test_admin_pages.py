"""The commitments' changelist at any depth and under its filters: counted up to a bound, deeper pages by
key, the status filter on the stored status, the search through the full-text indexes; the same queries
on every page (`core.admin.paging`)."""

import re

import pytest
from django.urls import reverse

from commitments.admin import CommitmentAdmin
from core.admin.paging import BoundedPaginator
from tests.factories import AssessmentFactory, CommitmentFactory, StatementFactory
from tests.test_admin import EXPECTED_QUERIES, PHRASES

pytestmark = pytest.mark.django_db

URL = reverse("admin:commitments_commitment_changelist")
# Session, user, the bounded count, the page's rows, their thread entries, and the filters' lists: the
# first page's queries (tests/test_admin.py), on every page.
QUERIES = EXPECTED_QUERIES["admin:commitments_commitment_changelist"]


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of two, counted up to four: eleven commitments run past the bound."""
    monkeypatch.setattr(CommitmentAdmin, "list_per_page", 2)
    monkeypatch.setattr(BoundedPaginator, "bound", 4)
    statement = StatementFactory()
    commitments = [CommitmentFactory(statement=statement, phrase=PHRASES[i % 3]) for i in range(11)]
    for commitment in commitments[::2]:
        AssessmentFactory(commitment=commitment, status="kept")
    return commitments


def slugs(response):
    return [commitment.slug for commitment in response.context["cl"].result_list]


def older_link(response):
    found = re.search(r'<a href="(\?[^"]*)" class="older">', response.content.decode())
    return found and found.group(1).replace("&amp;", "&")


def walk(client, params):
    """Every page from the first, by the "Older" links: the slugs in order, and each page's query count."""
    response, listed, pages = client.get(URL, params), [], []
    for _ in range(20):  # more pages than there are rows: a link that does not move on fails the test
        listed += slugs(response)
        pages.append(response)
        link = older_link(response)
        if not link:
            return listed, pages
        response = client.get(URL + link)
    raise AssertionError(f"the pages never end: {listed}")


def test_every_page_is_reached_by_key_newest_first_with_the_first_page_s_queries(
    curator_client, small_pages, django_assert_num_queries
):
    newest_first = [c.slug for c in reversed(small_pages)]
    listed, pages = walk(curator_client, {})
    assert listed == newest_first
    first = pages[0].content.decode()
    assert "More than 4 commitments" in first and 'class="end"' in first  # page numbers up to the bound
    assert "← Newest" in pages[-1].content.decode()
    deep = older_link(pages[-2])
    assert "after=" in deep and "p=" not in deep
    with django_assert_num_queries(QUERIES):
        assert curator_client.get(URL + deep).status_code == 200
    with django_assert_num_queries(QUERIES):
        curator_client.get(URL)


def test_the_status_filter_and_a_search_page_by_key_too(curator_client, small_pages, django_assert_num_queries):
    kept = [c.slug for c in reversed(small_pages[::2])]
    listed, pages = walk(curator_client, {"status": "kept"})
    assert listed == kept
    # A filter link drops the key: it starts from the newest page of its own list.
    assert "after=" not in pages[-1].context["cl"].get_query_string({"strength": "binding"})
    stabilised = [c.slug for c in reversed(small_pages) if "stabilization" in c.quote]
    assert walk(curator_client, {"q": "stabilisation"})[0] == stabilised
    both = [slug for slug in stabilised if slug in kept]
    assert walk(curator_client, {"q": "stabilisation", "status": "kept"})[0] == both != []
    for params in ({"status": "kept"}, {"status": "kept", "q": "stabilisation"}, {"q": "stabilisation"}):
        with django_assert_num_queries(QUERIES):
            curator_client.get(URL, params)


def test_the_search_finds_words_as_readers_find_them_and_the_start_of_a_slug(curator_client, small_pages):
    # As readers search: the other spelling of a word finds it (the quotes say "stabilization").
    stabilisation = [c.slug for c in reversed(small_pages) if "stabilization" in c.quote]
    assert slugs(curator_client.get(URL, {"q": "stabilisation", "all": ""})) == stabilisation
    one = small_pages[5].slug
    assert slugs(curator_client.get(URL, {"q": one})) == [one]
    assert slugs(curator_client.get(URL, {"q": "commitment-", "all": ""})) == [c.slug for c in reversed(small_pages)]
    assert slugs(curator_client.get(URL, {"q": "the Coalition"})) == []  # the actor is not searched


def test_a_list_sorted_by_a_column_keeps_its_page_numbers_and_no_key(curator_client, small_pages):
    response = curator_client.get(URL, {"o": "4", "p": "2"})
    assert response.status_code == 200 and older_link(response) is None
    assert len(slugs(response)) == 2


def test_the_assessments_list_pages_by_key_as_well(curator_client, small_pages, monkeypatch):
    from commitments.assessments_admin import AssessmentAdmin

    monkeypatch.setattr(AssessmentAdmin, "list_per_page", 2)
    url = reverse("admin:commitments_assessment_changelist")
    response, seen = curator_client.get(url), []
    for _ in range(10):
        seen += [assessment.pk for assessment in response.context["cl"].result_list]
        link = older_link(response)
        if not link:
            break
        response = curator_client.get(url + link)
    assert seen == sorted(seen, reverse=True) and len(seen) == len(small_pages[::2])
