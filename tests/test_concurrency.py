"""No edit lost: versions (ETag / If-Match, the admin's hidden version), and real concurrent
clients against a live server on SQLite and PostgreSQL. Run with `-s` to see the tallies."""

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django import forms
from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test import override_settings
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import DashboardToken
from commitments.models import Commitment, ThreadEntry
from core.admin.concurrency import VERSION_FIELD
from meetings.models import Member
from tests.factories import (
    AssessmentFactory,
    CommitmentFactory,
    LineOfEffortFactory,
    MemberFactory,
    ThreadFactory,
    commitments_at_meetings,
)
from tests.test_admin import commitment_post

# Enough to make writers queue behind each other, few enough for PostgreSQL's connection limit
# with other clients about (each request in flight holds a connection).
REQUESTS = 60
THREADS = 60 if connection.vendor == "sqlite" else 40
TIMEOUT = 60  # seconds per request: a bound, never an expectation


class BacklogServer(ThreadedWSGIServer):
    # Django's test server queues 10 connections; here up to 60 clients connect at once.
    request_queue_size = 128


class BusyLiveServerThread(LiveServerThread):
    server_class = BacklogServer


@pytest.fixture(scope="module")
def busy_server(django_db_setup, django_db_blocker):
    """A live server (a thread per request) that takes REQUESTS connections at once."""
    with django_db_blocker.unblock():
        thread = BusyLiveServerThread("127.0.0.1", _StaticFilesHandler)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
    if thread.error:
        raise thread.error
    with override_settings(ALLOWED_HOSTS=["127.0.0.1", "testserver"]):
        yield SimpleNamespace(url=f"http://127.0.0.1:{thread.port}")
    thread.terminate()


def fire(requests):
    """Send (method, url, body, headers) requests at once, from THREADS threads; (status, body) for each."""
    together = min(THREADS, len(requests))
    start = threading.Barrier(together)

    def send(numbered):
        index, (method, url, body, headers) = numbered
        data = None if body is None else json.dumps(body).encode()
        outgoing = urllib.request.Request(url, data=data, method=method, headers=headers)
        if index < together:  # the first of each thread start at once; the rest as threads come free
            start.wait(timeout=TIMEOUT)
        try:
            with urllib.request.urlopen(outgoing, timeout=TIMEOUT) as answer:  # noqa: S310 - the live server
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(send, enumerate(requests)))


def tally(results):
    return dict(sorted(Counter(status for status, _ in results).items()))


@pytest.fixture
def token_headers(curator):
    _, key = DashboardToken.objects.issue(name="concurrency test", user=curator, days=1, read_only=False)
    return {"Authorization": f"Token {key}", "Content-Type": "application/json"}


def if_match(obj):
    return {"HTTP_IF_MATCH": f'"{type(obj)._default_manager.get(pk=obj.pk).version()}"'}


# -- versions, one client after another --------------------------------------------------------------


@pytest.fixture
def read_commitment(db, curator):
    """A curator's API client, a commitment, its address and the ETag the client read it at."""
    client = APIClient()
    client.force_authenticate(curator)
    commitment = CommitmentFactory()
    url = reverse("api:commitment-detail", args=[commitment.slug])
    return client, commitment, url, client.get(url)["ETag"]


def test_a_change_needs_the_version_it_was_read_at(read_commitment):
    client, commitment, url, etag = read_commitment

    missing = client.patch(url, {"summary": "A"}, format="json")
    assert missing.status_code == 428 and "If-Match" in missing.json()["detail"]
    assert client.patch(url, {"summary": "A"}, format="json", HTTP_IF_MATCH="*").status_code == 428
    assert client.patch(url, {"summary": "A"}, format="json", HTTP_IF_MATCH='"bogus"').status_code == 412
    assert client.patch(url, {"summary": "A"}, format="json", HTTP_IF_MATCH="bogus").status_code == 400
    assert client.patch(url, {"summary": "A"}, format="json", HTTP_IF_MATCH=f"W/{etag}").status_code == 412
    assert client.delete(url).status_code == 428
    assert Commitment.objects.get(pk=commitment.pk).summary == commitment.summary

    first = client.patch(url, {"summary": "A"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    # Another PATCH of the same field from the same stale read is refused, naming the field.
    stale = client.patch(url, {"summary": "B"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and "summary" in stale.json()["detail"]
    # PUT and DELETE compare the whole record.
    full = {**client.get(url).json(), "note": "Full."}
    assert client.put(url, full, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert client.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    # A list of tags matches when one of them does.
    assert client.put(url, full, format="json", HTTP_IF_MATCH=f'"x", {first["ETag"]}').status_code == 200
    assert Commitment.objects.get(pk=commitment.pk).summary == "A"


def test_patches_of_different_fields_from_one_read_both_land(read_commitment):
    client, commitment, url, etag = read_commitment
    assert client.patch(url, {"summary": "New summary."}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert client.patch(url, {"note": "New note."}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    stored = Commitment.objects.get(pk=commitment.pk)
    assert (stored.summary, stored.note) == ("New summary.", "New note.")
    # Each PATCH wrote its own field only: one history row each, each changing one field.
    records = list(stored.history.order_by("history_date", "history_id"))
    assert [r.diff_against(p).changed_fields for p, r in zip(records, records[1:], strict=False)] == [
        ["summary"],
        ["note"],
    ]


@pytest.mark.django_db
def test_a_stale_admin_form_saves_nothing_and_shows_what_changed(client, curator):
    from django.test import Client

    commitment = CommitmentFactory(summary="Original summary.")
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    client.force_login(curator)
    page = client.get(url)
    opened = page.context["record_version"]
    assert f'name="{VERSION_FIELD}" value="{opened}"' in page.content.decode()

    other = Client()
    other.force_login(curator)
    data = commitment_post(
        commitment.statement, commitment.line_of_effort, slug=commitment.slug, quote=commitment.quote
    )
    theirs = {**data, "summary": "Their summary.", VERSION_FIELD: other.get(url).context["record_version"]}
    assert other.post(url, theirs).status_code == 302

    mine = {**data, "summary": "My summary.", "note": "My note.", VERSION_FIELD: opened}
    refused = client.post(url, mine)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Someone else saved this record after you opened this page" in html
    assert "now stored “Their summary.”; yours “My summary.”" in html
    stored = Commitment.objects.get(pk=commitment.pk)
    assert (stored.summary, stored.note) == ("Their summary.", "")
    # The page now carries the stored version: saving again, knowingly, keeps the curator's values.
    assert refused.context["record_version"] == stored.version()
    again = client.post(url, {**mine, VERSION_FIELD: refused.context["record_version"]})
    assert again.status_code == 302
    assert Commitment.objects.get(pk=commitment.pk).summary == "My summary."


# -- concurrent clients against a live server ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_lose_nothing_and_never_fail(busy_server, token_headers, capsys):
    commitment = CommitmentFactory()
    url = busy_server.url + reverse("api:commitment-detail", args=[commitment.slug])
    etag = if_match(commitment)["HTTP_IF_MATCH"]
    headers = {**token_headers, "If-Match": etag}
    requests = [
        ("PATCH", url, {"summary": f"Summary {i}."} if i % 2 else {"note": f"Note {i}."}, headers)
        for i in range(REQUESTS)
    ]

    results = fire(requests)

    counts = tally(results)
    with capsys.disabled():
        print(f"\n{connection.vendor}: {REQUESTS} concurrent PATCHes (summary or note) from one read: {counts}")
    assert counts == {200: 2, 412: REQUESTS - 2}, results
    stored = Commitment.objects.get(pk=commitment.pk)
    winners = [json.loads(body) for status, body in results if status == 200]
    # One summary and one note won, and both are stored: neither write undid the other.
    assert stored.summary in {w["summary"] for w in winners} and stored.summary.startswith("Summary")
    assert stored.note in {w["note"] for w in winners} and stored.note.startswith("Note")


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_of_four_fields_land_once_each(busy_server, token_headers, capsys):
    commitment = CommitmentFactory()
    url = busy_server.url + reverse("api:commitment-detail", args=[commitment.slug])
    results = fire([("PATCH", url, {"note": f"Note {i}."}, {**token_headers, "If-Match": "*"}) for i in range(10)])
    assert tally(results) == {428: 10}
    etag = if_match(commitment)["HTTP_IF_MATCH"]
    fields = ["summary", "note", "actor", "deadline_text"]
    requests = [
        ("PATCH", url, {fields[i % 4]: f"{fields[i % 4]} {i}"}, {**token_headers, "If-Match": etag})
        for i in range(REQUESTS)
    ]
    counts = tally(fire(requests))
    with capsys.disabled():
        print(f"{connection.vendor}: {REQUESTS} concurrent PATCHes of 4 fields from one read: {counts}")
    assert counts == {200: 4, 412: REQUESTS - 4}


@pytest.mark.django_db(transaction=True)
def test_a_uniqueness_race_is_a_409_naming_the_field(busy_server, token_headers, capsys):
    url = busy_server.url + reverse("api:member-list")
    counts = Counter()
    for attempt in range(10):
        body = {"slug": f"raced-{attempt}", "name": f"Raced {attempt}", "kind": "state"}
        results = fire([("POST", url, body, token_headers), ("POST", url, body, token_headers)])
        counts.update(status for status, _ in results)
        assert sorted(status for status, _ in results) == [201, 409], results
        conflict = next(json.loads(body) for status, body in results if status == 409)
        assert "slug" in conflict, conflict
    with capsys.disabled():
        print(f"{connection.vendor}: 10 pairs of concurrent creates with one slug: {dict(sorted(counts.items()))}")
    assert Member.objects.filter(slug__startswith="raced-").count() == 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_thread_placements_and_removals_keep_the_thread_whole(busy_server, token_headers, capsys):
    thread = ThreadFactory(line_of_effort=LineOfEffortFactory())
    commitments = commitments_at_meetings(2016, 2017, 2018, 2019, 2020, 2021)
    url = busy_server.url + reverse("api:thread-add-entry", args=[thread.slug])
    placed = fire([("POST", url, {"commitment": c.slug, "change_kind": "new"}, token_headers) for c in commitments])
    # Every opener is "new", so every placement is allowed: each waits for the thread, none is lost.
    assert tally(placed) == {201: len(commitments)}, placed
    positions = list(thread.entries.order_by("position").values_list("commitment_id", "position"))
    assert positions == [(c.pk, i) for i, c in enumerate(commitments, start=1)]

    # The same commitment placed twice at once: one places it, the other is told it is there.
    extra = CommitmentFactory(statement=commitments[-1].statement, phrase="We welcome the progress.")
    twice = fire(
        [("POST", url, {"commitment": extra.slug, "change_kind": kind}, token_headers) for kind in ("new", "repeated")]
    )
    assert sorted(status for status, _ in twice) == [201, 409], twice
    assert "commitment" in next(json.loads(body) for status, body in twice if status == 409)
    ThreadEntry.objects.filter(commitment=extra).delete()

    removal = busy_server.url + reverse("api:thread-remove-entry", args=[thread.slug, commitments[0].slug])
    removed = fire([("DELETE", removal, None, token_headers) for _ in range(10)])
    counts = tally(removed)
    with capsys.disabled():
        print(
            f"{connection.vendor}: {len(commitments)} concurrent placements: {tally(placed)}; "
            f"2 concurrent placements of one commitment: {tally(twice)}; "
            f"10 concurrent removals of one entry: {counts}"
        )
    assert counts.get(204) == 1 and set(counts) <= {204, 404, 409}, removed
    assert list(thread.entries.order_by("position").values_list("position", flat=True)) == [1, 2, 3, 4, 5]
    assert not ThreadEntry.objects.filter(thread=thread, commitment=commitments[0]).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_to_different_records_all_succeed(busy_server, token_headers, capsys):
    # Every write is fresh: on SQLite they queue for the write lock (busy timeout), none fails.
    lines = LineOfEffortFactory.create_batch(REQUESTS)
    requests = [
        (
            "PATCH",
            busy_server.url + reverse("api:lineofeffort-detail", args=[line.slug]),
            {"description": f"Changed {line.slug}."},
            {**token_headers, "If-Match": if_match(line)["HTTP_IF_MATCH"]},
        )
        for line in lines
    ]
    counts = tally(fire(requests))
    with capsys.disabled():
        print(f"{connection.vendor}: {REQUESTS} concurrent PATCHes of {REQUESTS} records: {counts}")
    assert counts == {200: REQUESTS}
    assert all(line.description.startswith("Changed") for line in type(lines[0]).objects.all())


@pytest.mark.django_db
def test_an_entry_taken_out_meanwhile_is_a_message_in_the_admin_and_a_conflict_in_the_services(
    client, curator, opened_thread
):
    from commitments.services import remove_from_thread
    from core.exceptions import ConcurrentChange

    thread, first, second = opened_thread
    ThreadEntry.objects.filter(commitment=second).update(change_kind="new")
    entry = thread.entries.get(commitment=first)
    stale_copy = ThreadEntry.objects.get(pk=entry.pk)
    remove_from_thread(entry=entry)
    with pytest.raises(ConcurrentChange, match="already taken out"):
        remove_from_thread(entry=stale_copy)

    client.force_login(curator)
    response = client.post(
        reverse("admin:commitments_threadentry_delete", args=[stale_copy.pk]), {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert "doesn’t exist" in response.content.decode()
    assert list(thread.entries.values_list("commitment", "position")) == [(second.pk, 1)]


# -- the admin: inline rows and races, with two curators' sessions ------------------------------------------


def page_post(page, **overrides):
    """What the browser would send from an admin change or add page as it was rendered: every field of the
    main form and of each inline formset at its shown value, management forms included; then `overrides`."""
    data = {}

    def put(form):
        for name in form.fields:
            bound = form[name]
            value = bound.value()
            if isinstance(bound.field, forms.BooleanField):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)

    put(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management[name].html_name] = str(management[name].value())
        for form in formset.forms:
            put(form)
    data.update(overrides)
    return data


def two_curators(curator):
    """Two logged-in sessions of curators, as two browsers."""
    from django.test import Client

    sessions = []
    for _ in range(2):
        session = Client()
        session.force_login(curator)
        sessions.append(session)
    return sessions


def add_row(page, prefix, **values):
    """`page_post` with one more row in the inline formset `prefix`, holding `values`."""
    formset = next(i.formset for i in page.context["inline_admin_formsets"] if i.formset.prefix == prefix)
    index = formset.total_form_count()
    return page_post(
        page,
        **{f"{prefix}-TOTAL_FORMS": str(index + 1)},
        **{f"{prefix}-{index}-{name}": str(value) for name, value in values.items()},
    )


def errors_of(response):
    """Every error the page shows: the main form's and each inline row's, as one text."""
    context = response.context
    texts = [str(context["adminform"].form.errors), str(context.get("errors") or "")]
    for inline in context["inline_admin_formsets"]:
        texts.extend(str(form.errors) for form in inline.formset.forms)
        texts.append(str(inline.formset.non_form_errors()))
    return " ".join(texts)


@pytest.mark.django_db
def test_a_commitment_already_in_a_pledge_is_refused_on_the_pledges_page(curator, opened_thread):
    thread, first, second = opened_thread
    url = reverse("admin:commitments_thread_change", args=[thread.pk])
    mine, theirs = two_curators(curator)

    # One after the other: the commitment is in the pledge already; its entry stays as it was.
    page = mine.get(url)
    refused = mine.post(url, add_row(page, "entries", commitment=second.pk, change_kind="repeated", note="Mine."))
    assert refused.status_code == 200
    assert f"“{second.slug}” is already in “{thread}”" in errors_of(refused)
    assert f"“{second.slug}” is already in “{thread}”" in refused.content.decode()
    assert list(thread.entries.values_list("commitment", "position", "change_kind", "note")) == [
        (first.pk, 1, "new", ""),
        (second.pk, 2, "widened", ""),
    ]

    # Both open the page; both add the same new commitment: the second is refused, the first's entry kept.
    third = commitments_at_meetings(2023)[0]
    page_mine, page_theirs = mine.get(url), theirs.get(url)
    added = mine.post(url, add_row(page_mine, "entries", commitment=third.pk, change_kind="repeated", note="Mine."))
    assert added.status_code == 302
    late = theirs.post(
        url, add_row(page_theirs, "entries", commitment=third.pk, change_kind="narrowed", note="Theirs.")
    )
    assert late.status_code == 200
    assert f"“{third.slug}” is already in “{thread}”" in errors_of(late)
    assert thread.entries.get(commitment=third).change_kind == "repeated"
    assert thread.entries.get(commitment=third).note == "Mine."

    # Two rows of one page placing the same commitment: the formset's own check refuses them.
    fourth = commitments_at_meetings(2024)[0]
    page = mine.get(url)
    twice = add_row(page, "entries", commitment=fourth.pk, change_kind="repeated")
    index = int(twice["entries-TOTAL_FORMS"])
    twice.update({"entries-TOTAL_FORMS": str(index + 1), f"entries-{index}-commitment": str(fourth.pk)})
    twice[f"entries-{index}-change_kind"] = "narrowed"
    doubled = mine.post(url, twice)
    assert doubled.status_code == 200
    assert "Please correct the duplicate data for commitment." in errors_of(doubled)
    assert not thread.entries.filter(commitment=fourth).exists()

    # The entry's own add page says the same.
    refused = mine.post(
        reverse("admin:commitments_threadentry_add"),
        {"thread": thread.pk, "commitment": third.pk, "change_kind": "narrowed", "note": "Again."},
    )
    assert refused.status_code == 200
    assert f"“{third.slug}” is already in “{thread}”" in refused.content.decode()
    assert thread.entries.get(commitment=third).note == "Mine."


@pytest.mark.django_db
def test_a_pledge_already_holding_the_commitment_is_refused_on_the_commitments_page(curator, opened_thread):
    thread, first, second = opened_thread
    url = reverse("admin:commitments_commitment_change", args=[second.pk])
    mine, theirs = two_curators(curator)

    page = mine.get(url)
    refused = mine.post(url, add_row(page, "thread_entries-2", thread=thread.pk, change_kind="repeated", note="M."))
    assert refused.status_code == 200
    assert f"“{second.slug}” is already in “{thread}”" in errors_of(refused)
    assert thread.entries.get(commitment=second).change_kind == "widened"

    other = ThreadFactory(line_of_effort=thread.line_of_effort)
    page_mine, page_theirs = mine.get(url), theirs.get(url)
    assert (
        mine.post(
            url, add_row(page_mine, "thread_entries-2", thread=other.pk, change_kind="new", note="Mine.")
        ).status_code
        == 302
    )
    late = theirs.post(
        url, add_row(page_theirs, "thread_entries-2", thread=other.pk, change_kind="new", note="Theirs.")
    )
    assert late.status_code == 200
    assert f"“{second.slug}” is already in “{other}”" in errors_of(late)
    assert list(other.entries.values_list("commitment", "note")) == [(second.pk, "Mine.")]


@pytest.mark.django_db
def test_a_stale_inline_row_is_refused_naming_the_row_and_what_changed(curator):
    assessment = AssessmentFactory(note="", status="in-progress")
    commitment = assessment.commitment
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    mine, theirs = two_curators(curator)
    page_mine, page_theirs = mine.get(url), theirs.get(url)
    row = "assessments-0"
    assert f'name="{row}-{VERSION_FIELD}"' in page_mine.content.decode()

    saved = theirs.post(url, page_post(page_theirs, **{f"{row}-note": "Their note."}))
    assert saved.status_code == 302

    refused = mine.post(url, page_post(page_mine, **{f"{row}-status": "kept"}))
    assert refused.status_code == 200
    shown = errors_of(refused)
    assert f"Someone else saved the assessment “{commitment.slug} on {assessment.assessed_on}" in shown
    assert "note: now stored “Their note.”; yours “”." in shown
    assert "Someone else saved" in refused.content.decode()
    stored = type(assessment).objects.get(pk=assessment.pk)
    assert (stored.note, stored.status) == ("Their note.", "in-progress")

    # The row shown again carries the version stored now: saving it again, knowingly, stores the curator's values.
    again = mine.post(url, page_post(refused))
    assert again.status_code == 302
    stored.refresh_from_db()
    assert (stored.note, stored.status) == ("", "kept")


RACED_ADD_FORMS = {
    "meetings_member": lambda: {"slug": "raced", "name": "Raced", "kind": "state"},
    "commitments_lineofeffort": lambda: {"slug": "raced", "name": "Raced line", "position": "99"},
    "commitments_thread": lambda: {"slug": "raced", "title": "Raced", "line_of_effort": LineOfEffortFactory().pk},
    "meetings_meeting": lambda: {
        "slug": "raced",
        "name": "Raced",
        "format": "small-group",
        "city": "Paris",
        "country": "France",
        "start_date": "2020-01-01",
        "end_date": "2020-01-01",
        "date_precision": "day",
        "facts_basis": "text",
    },
}


def blind_first_unique_checks(monkeypatch, model, times=1):
    """The race, deterministically: the first `times` uniqueness checks of `model` run as if the other
    curator's row were not there yet (it was saved between this form's validation and its save)."""
    real = model._perform_unique_checks
    calls = []

    def checks(self, unique_checks):
        calls.append(1)
        return {} if len(calls) <= times else real(self, unique_checks)

    monkeypatch.setattr(model, "_perform_unique_checks", checks)
    return calls


@pytest.mark.django_db
@pytest.mark.parametrize("name", RACED_ADD_FORMS)
def test_two_curators_adding_one_slug_at_once_get_a_form_error_not_a_500(curator, monkeypatch, name):
    from django.apps import apps

    model = apps.get_model(*name.split("_"))
    url = reverse(f"admin:{name}_add")
    mine, theirs = two_curators(curator)
    page_mine, page_theirs = mine.get(url), theirs.get(url)
    values = RACED_ADD_FORMS[name]()
    assert theirs.post(url, page_post(page_theirs, **values)).status_code == 302

    blind_first_unique_checks(monkeypatch, model)
    late = mine.post(url, page_post(page_mine, **{**values, "name": "Mine", "title": "Mine"}))

    assert late.status_code == 200
    assert "with this Slug already exists" in " ".join(late.context["adminform"].form.errors["slug"])
    # Theirs is the one row stored.
    stored = model.objects.get(slug="raced")
    assert getattr(stored, "name", None) != "Mine" and getattr(stored, "title", None) != "Mine"


@pytest.mark.django_db
def test_a_slug_race_on_a_change_form_is_a_form_error_and_a_lost_race_twice_is_a_message(curator, monkeypatch):
    from meetings.models import Member

    MemberFactory(slug="raced", name="Theirs")
    member = MemberFactory(slug="mine", name="Mine")
    url = reverse("admin:meetings_member_change", args=[member.pk])
    mine, _ = two_curators(curator)
    page = mine.get(url)

    blind_first_unique_checks(monkeypatch, Member)
    late = mine.post(url, page_post(page, slug="raced"))
    assert late.status_code == 200
    assert "with this Slug already exists" in " ".join(late.context["adminform"].form.errors["slug"])
    assert Member.objects.get(pk=member.pk).slug == "mine"

    # Should the database refuse the row again (a race not found by validation), nothing is saved,
    # the curator is told so, and the page opens again: never a server error.
    blind_first_unique_checks(monkeypatch, Member, times=10)
    refused = mine.post(url, page_post(page, slug="raced"), follow=True)
    assert refused.status_code == 200
    assert "Nothing was saved" in refused.content.decode()
    assert Member.objects.get(pk=member.pk).slug == "mine"


@pytest.mark.django_db
def test_a_place_taken_between_validation_and_save_is_a_form_error_and_the_first_entry_stays(
    curator, monkeypatch, opened_thread
):
    import commitments.admin

    thread, first, second = opened_thread
    third = commitments_at_meetings(2023)[0]
    url = reverse("admin:commitments_thread_change", args=[thread.pk])
    mine, theirs = two_curators(curator)
    page_mine, page_theirs = mine.get(url), theirs.get(url)
    assert (
        theirs.post(url, add_row(page_theirs, "entries", commitment=third.pk, change_kind="repeated")).status_code
        == 302
    )

    # My form was validated before their entry was stored (its checks, the first time, do not see it):
    # place_in_thread, under the pledge's lock, finds it.
    def blind_once(real, nothing):
        calls = []

        def check(*args, **kwargs):
            calls.append(1)
            return nothing if len(calls) == 1 else real(*args, **kwargs)

        return check

    monkeypatch.setattr(commitments.admin, "already_in_thread", blind_once(commitments.admin.already_in_thread, None))
    monkeypatch.setattr(ThreadEntry, "unique_conflicts", blind_once(ThreadEntry.unique_conflicts, {}))
    late = mine.post(url, add_row(page_mine, "entries", commitment=third.pk, change_kind="narrowed", note="Mine."))
    assert late.status_code == 200
    assert f"“{third.slug}” is already in “{thread}”" in errors_of(late)
    assert list(thread.entries.filter(commitment=third).values_list("change_kind", "note")) == [("repeated", "")]


# -- a record's ETag covers what its page shows and edits ---------------------------------------------------


@pytest.mark.django_db
def test_a_pledges_etag_changes_with_its_entries_so_a_stale_if_match_is_refused(curator, opened_thread):
    thread, first, second = opened_thread
    api = APIClient()
    api.force_authenticate(curator)
    url = reverse("api:thread-detail", args=[thread.slug])

    def refused_after(change):
        """PATCH the pledge from a read made before `change`: 412 naming its entries; then from a fresh read: 200."""
        etag = api.get(url)["ETag"]
        change()
        fresh = api.get(url)["ETag"]
        assert fresh != etag
        stale = api.patch(url, {"description": "From a dashboard."}, format="json", HTTP_IF_MATCH=etag)
        assert stale.status_code == 412, stale.content
        assert "entries" in stale.json()["detail"]
        assert api.patch(url, {"description": "Read again."}, format="json", HTTP_IF_MATCH=fresh).status_code == 200

    # An entry added (through the API) …
    third = commitments_at_meetings(2023)[0]
    add = reverse("api:thread-add-entry", args=[thread.slug])
    refused_after(lambda: api.post(add, {"commitment": third.slug, "change_kind": "repeated"}, format="json"))

    # … its change kind edited (in the admin) …
    session, _ = two_curators(curator)
    entry = thread.entries.get(commitment=third)
    entry_url = reverse("admin:commitments_threadentry_change", args=[entry.pk])

    def edit_in_admin():
        page = session.get(entry_url)
        assert session.post(entry_url, page_post(page, change_kind="narrowed")).status_code == 302

    refused_after(edit_in_admin)
    assert ThreadEntry.objects.get(pk=entry.pk).change_kind == "narrowed"

    # … or removed (through the API).
    remove = reverse("api:thread-remove-entry", args=[thread.slug, third.slug])
    refused_after(lambda: api.delete(remove))

    # PUT and DELETE compare the whole of it too.
    etag = api.get(url)["ETag"]
    api.post(add, {"commitment": third.slug, "change_kind": "repeated"}, format="json")
    assert api.delete(url, HTTP_IF_MATCH=etag).status_code == 412


@pytest.mark.django_db
def test_a_commitments_etag_changes_with_its_assessments_and_its_places_in_pledges(curator, opened_thread):
    thread, first, second = opened_thread
    api = APIClient()
    api.force_authenticate(curator)
    url = reverse("api:commitment-detail", args=[second.slug])

    etag = api.get(url)["ETag"]
    created = api.post(
        reverse("api:assessment-list"),
        {"commitment": second.slug, "assessed_on": "2024-05-01", "status": "kept", "assessor": "Analyst"},
        format="json",
    )
    assert created.status_code == 201, created.content
    stale = api.patch(url, {"summary": "From a dashboard."}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and "assessments" in stale.json()["detail"]

    # Its place in a pledge moves when an earlier commitment is placed before it.
    etag = api.get(url)["ETag"]
    earlier = commitments_at_meetings(2018)[0]
    add = reverse("api:thread-add-entry", args=[thread.slug])
    assert api.post(add, {"commitment": earlier.slug, "change_kind": "repeated"}, format="json").status_code == 201
    assert thread.entries.get(commitment=second).position == 3
    stale = api.patch(url, {"summary": "From a dashboard."}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and "thread_entries" in stale.json()["detail"]
    fresh = api.get(url)["ETag"]
    assert api.patch(url, {"summary": "Read again."}, format="json", HTTP_IF_MATCH=fresh).status_code == 200


@pytest.mark.django_db
def test_an_inline_row_repeating_a_record_of_its_parent_is_a_form_error_naming_it(curator):
    from meetings.models import Participation
    from tests.factories import MeetingFactory

    meeting, member = MeetingFactory(), MemberFactory()
    Participation.objects.create(meeting=meeting, member=member, role="host")
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    session, _ = two_curators(curator)
    page = session.get(url)
    prefix = next(
        i.formset.prefix
        for i in page.context["inline_admin_formsets"]
        if i.formset.model is Participation and i.has_add_permission
    )
    refused = session.post(url, add_row(page, prefix, member=member.pk, role="host", note="Again."))
    assert refused.status_code == 200
    # The same message as the API's 409 gives, on the row's field that the constraint names.
    role_errors = next(
        f.errors
        for i in refused.context["inline_admin_formsets"]
        if i.formset.prefix == prefix
        for f in i.formset.forms
    )
    assert "participation_unique_without_source" in " ".join(role_errors["role"])
    assert Participation.objects.filter(meeting=meeting, member=member).count() == 1


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is the answer to look at, not a page to follow


def admin_session(curator, url):
    """A curator's browser session against the live server: its cookies and the add page's CSRF token."""
    from http.cookies import SimpleCookie

    from django.test import Client

    client = Client()
    client.force_login(curator)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    request = urllib.request.Request(url, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as page:  # noqa: S310 - the live server
        html = page.read().decode()
        cookies = SimpleCookie()
        for header in page.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
    # The hidden fields of the page: the CSRF token and each inline's management form.
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    csrf = cookies[settings.CSRF_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    return {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, hidden


@pytest.mark.django_db(transaction=True)
def test_two_curators_adding_one_slug_at_once_on_a_live_server_never_get_a_500(busy_server, curator, capsys):
    from meetings.models import Member

    url = busy_server.url + reverse("admin:meetings_member_add")
    sessions = [admin_session(curator, url) for _ in range(2)]
    opener = urllib.request.build_opener(_NoRedirects)
    counts = Counter()
    for attempt in range(10):
        together = threading.Barrier(2)

        def add(session, attempt=attempt, together=together):
            headers, hidden = session
            body = urllib.parse.urlencode(
                {**hidden, "slug": f"admin-raced-{attempt}", "name": "Raced", "kind": "state"}
            ).encode()
            together.wait(timeout=TIMEOUT)
            try:
                with opener.open(urllib.request.Request(url, data=body, headers=headers), timeout=TIMEOUT) as answer:
                    return answer.status, answer.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(add, sessions))
        counts.update(status for status, _ in results)
        assert sorted(status for status, _ in results) == [200, 302], [status for status, _ in results]
        refused = next(html for status, html in results if status == 200)
        assert "Member with this Slug already exists." in refused
    with capsys.disabled():
        print(f"{connection.vendor}: 10 pairs of concurrent admin adds with one slug: {dict(sorted(counts.items()))}")
    assert Member.objects.filter(slug__startswith="admin-raced-").count() == 10
