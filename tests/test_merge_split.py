"""Merging and splitting recurring pledges (commitments.merging): through the service, the API, the admin
and the public pages; the round trip, the redirects, the event in the history and the feed, the snapshot."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from changes.models import Change
from commitments.merging import current_pledge, merge_threads, split_thread
from commitments.models import LinkKind, PledgeLink, Thread, ThreadEntry
from tests.factories import UserFactory, commitments_at_meetings, thread_with

PHRASES = (
    "We will continue to enhance our information sharing, including with INTERPOL.",
    "We must continue to increase our stabilization contributions.",
    "We welcome Libya as the 68th member. We welcome the progress.",
)


def places(thread):
    """(commitment, position, kind) of each place of a pledge, in position order."""
    return list(
        ThreadEntry.objects.filter(thread=thread)
        .order_by("position")
        .values_list("commitment__slug", "position", "change_kind")
    )


@pytest.fixture
def two_pledges(db):
    """Pledge A made in 2016 and 2020, pledge B in 2019 and 2021, each with a curator's kinds."""
    c2016, c2019, c2020, c2021 = commitments_at_meetings(2016, 2019, 2020, 2021, phrases=PHRASES * 2)
    a = thread_with(c2016, c2020, kinds=["narrowed"], slug="pledge-a", title="Pledge A")
    b = thread_with(
        c2019, c2021, kinds=["weakened"], slug="pledge-b", title="Pledge B", line_of_effort=a.line_of_effort
    )
    return a, b


def test_a_merge_keeps_every_place_in_meeting_order_and_retires_the_merged_pledge(two_pledges):
    a, b = two_pledges
    curator = UserFactory(username="merger")
    before_a, before_b = places(a), places(b)
    link = merge_threads(thread=a, into=b, reason="The same pledge, filed twice.", by=curator)
    merged = places(b)
    assert [slug for slug, *_ in merged] == [before_a[0][0], before_b[0][0], before_a[1][0], before_b[1][0]]
    assert [position for _, position, _ in merged] == [1, 2, 3, 4]
    assert merged[0][2] == "new"
    # Every neighbour changed: each kind after the first is suggested again from the two quotes.
    assert all(kind != "new" for _, _, kind in merged[1:])
    assert places(a) == []
    assert Thread.objects.filter(slug="pledge-a").exists()
    assert (link.thread, link.kind, link.other) == (a, LinkKind.MERGED_INTO, b)
    assert current_pledge(a) == b
    assert {(place["commitment"], place["moved"]) for place in link.entries} >= {(before_a[0][0], True)}
    assert PledgeLink.objects.places_to_review() == {("pledge-b", place["commitment"]) for place in link.entries}


def test_a_kind_is_kept_where_its_neighbour_is_unchanged(db):
    c2016, c2019, c2020 = commitments_at_meetings(2016, 2019, 2020, phrases=PHRASES)
    later = commitments_at_meetings(2022, phrases=PHRASES[:1])[0]
    a = thread_with(c2016, c2019, c2020, kinds=["strengthened", "widened"], slug="a")
    b = thread_with(later, slug="b", line_of_effort=a.line_of_effort)
    merge_threads(thread=b, into=a, reason="Same pledge.", by=None)
    # A's places keep the curator's kinds (their neighbours are the same); B's one is suggested anew.
    assert places(a)[:3] == [(c2016.slug, 1, "new"), (c2019.slug, 2, "strengthened"), (c2020.slug, 3, "widened")]
    assert places(a)[3][2] == "repeated"


def test_merge_then_split_back_restores_every_place_and_kind(two_pledges):
    a, b = two_pledges
    before_a, before_b = places(a), places(b)
    merge_threads(thread=a, into=b, reason="Looked like one pledge.", by=None)
    revived = split_thread(
        thread=b, commitments=[slug for slug, *_ in before_a], slug="pledge-a", reason="They are two.", by=None
    )
    assert revived == a
    assert (places(a), places(b)) == (before_a, before_b)
    assert not PledgeLink.objects.exists()
    assert current_pledge(a) is None


def test_split_then_merge_back_restores_every_place_and_kind(two_pledges):
    a, b = two_pledges
    merge_threads(thread=a, into=b, reason="One pledge.", by=None)
    whole = places(b)
    new = split_thread(
        thread=b, commitments=[whole[1][0], whole[3][0]], slug="pledge-c", title="Pledge C", reason="Two.", by=None
    )
    assert [slug for slug, *_ in places(new)] == [whole[1][0], whole[3][0]]
    assert places(new)[0][2] == "new"
    link = PledgeLink.objects.get(thread=new)
    assert (link.kind, link.other, link.reason) == (LinkKind.SPLIT_FROM, b, "Two.")
    merge_threads(thread=new, into=b, reason="After all, one.", by=None)
    assert places(b) == whole
    assert list(PledgeLink.objects.values_list("thread__slug", "kind", "other__slug").order_by("thread__slug")) == [
        ("pledge-a", "merged-into", "pledge-b"),
        ("pledge-c", "merged-into", "pledge-b"),
    ]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda a, b: merge_threads(thread=a, into=a, reason="x", by=None), "into"),
        (lambda a, b: merge_threads(thread=a, into=b, reason=" ", by=None), "reason"),
        (lambda a, b: split_thread(thread=a, commitments=[], slug="n", title="N", reason="x", by=None), "commitments"),
        (
            lambda a, b: split_thread(
                thread=a,
                commitments=[e.commitment.slug for e in a.entries.all()],
                slug="n",
                title="N",
                reason="x",
                by=None,
            ),
            "commitments",
        ),
        (
            lambda a, b: split_thread(
                thread=a,
                commitments=[a.entries.first().commitment.slug],
                slug="pledge-b",
                title="N",
                reason="x",
                by=None,
            ),
            "slug",
        ),
        (
            lambda a, b: split_thread(thread=a, commitments=["nowhere"], slug="n", title="N", reason="x", by=None),
            "commitments",
        ),
    ],
)
def test_a_refused_merge_or_split_says_why_and_changes_nothing(two_pledges, call, field):
    a, b = two_pledges
    before = (places(a), places(b), Thread.objects.count())
    with pytest.raises(ValidationError) as refused:
        call(a, b)
    assert field in refused.value.message_dict
    assert (places(a), places(b), Thread.objects.count()) == before
    assert not PledgeLink.objects.exists()


def test_a_merge_that_fails_half_way_leaves_nothing_behind(two_pledges, monkeypatch):
    a, b = two_pledges
    before = (places(a), places(b))

    def broken(self, *args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(PledgeLink, "save", broken)
    with pytest.raises(RuntimeError):
        merge_threads(thread=a, into=b, reason="One pledge.", by=None)
    assert (places(a), places(b)) == before
    assert not PledgeLink.objects.exists()


def test_the_merge_is_one_event_in_the_history_and_the_feed_with_who_and_why(two_pledges):
    a, b = two_pledges
    curator = UserFactory(username="merger")
    started = Change.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    entries_before = ThreadEntry.history.order_by("-history_id").values_list("history_id", flat=True).first()
    merge_threads(thread=a, into=b, reason="The same pledge.", by=curator)
    reason = "merged “pledge-a” into “pledge-b”: The same pledge."
    moved = list(ThreadEntry.history.filter(history_id__gt=entries_before))
    assert len(moved) == 4  # each place saved once: all four moved or re-suggested
    written = [*moved, *PledgeLink.history.all()]
    assert {(row.history_user, row.history_change_reason, row.history_type) for row in written} == {
        (curator, reason, "~"),
        (curator, reason, "+"),
    }
    changes = Change.objects.filter(pk__gt=started)
    assert {(change.user, change.reason) for change in changes} == {("merger", reason)}
    assert changes.filter(resource="pledge-links", action="created", key="pledge-a/merged-into/pledge-b").exists()


# -- the API ------------------------------------------------------------------------------------------------


def if_match(thread):
    return {"HTTP_IF_MATCH": f'"{Thread.objects.get(pk=thread.pk).version()}"'}


def test_the_api_merges_with_if_match_and_the_old_address_redirects_permanently(two_pledges, curator_client):
    a, b = two_pledges
    url = reverse("api:thread-merge", args=[a.slug])
    body = {"into": b.slug, "reason": "The same pledge."}
    assert curator_client.post(url, body, content_type="application/json").status_code == 428
    stale = {"HTTP_IF_MATCH": '"' + "0" * len(a.version()) + '"'}
    assert curator_client.post(url, body, content_type="application/json", **stale).status_code == 412
    merged = curator_client.post(url, body, content_type="application/json", **if_match(a))
    assert merged.status_code == 200, merged.json()
    assert merged.json()["slug"] == b.slug and merged.json()["commitment_count"] == 4
    assert merged.json()["links"] == [
        {"kind": "merged-from", "pledge": "pledge-a", "title": "Pledge A", "reason": "The same pledge."}
    ]
    moved = curator_client.get(reverse("api:thread-detail", args=[a.slug]) + "?format=json")
    assert moved.status_code == 301
    assert moved["Location"].endswith(reverse("api:thread-detail", args=[b.slug]) + "?format=json")
    listed = curator_client.get(reverse("api:thread-list")).json()["results"]
    assert [thread["slug"] for thread in listed] == [b.slug]
    # Its own history stays at its address, and shows the merge as one event: who and why.
    history = curator_client.get(reverse("api:thread-history", args=[a.slug])).json()
    assert (history[-1]["user"], history[-1]["reason"]) == (
        "curator",
        "merged “pledge-a” into “pledge-b”: The same pledge.",
    )


def test_the_api_splits_and_the_old_page_links_to_where_the_commitments_went(two_pledges, curator_client):
    a, b = two_pledges
    first = a.entries.get(position=1).commitment.slug
    split = curator_client.post(
        reverse("api:thread-split", args=[a.slug]),
        {"commitments": [first], "slug": "pledge-a-early", "title": "Pledge A, early", "reason": "Two pledges."},
        content_type="application/json",
        **if_match(a),
    )
    assert split.status_code == 201, split.json()
    assert split["Location"].endswith(reverse("api:thread-detail", args=["pledge-a-early"]))
    assert [step["commitment"] for step in split.json()["timeline"]] == [first]
    old = curator_client.get(reverse("api:thread-detail", args=[a.slug]))
    assert old.status_code == 200
    assert old.json()["commitment_count"] == 1
    assert old.json()["links"] == [
        {"kind": "split-into", "pledge": "pledge-a-early", "title": "Pledge A, early", "reason": "Two pledges."}
    ]


@pytest.mark.parametrize("who", ["anonymous", "auditor"])
def test_readers_may_not_merge_or_split(two_pledges, client, auditor, who):
    a, b = two_pledges
    if who == "auditor":
        client.force_login(auditor)
    for action, body in (("merge", {"into": b.slug, "reason": "x"}), ("split", {"commitments": ["x"], "slug": "n"})):
        response = client.post(
            reverse(f"api:thread-{action}", args=[a.slug]), body, content_type="application/json", **if_match(a)
        )
        assert response.status_code in (401, 403)
    assert not PledgeLink.objects.exists() and places(b)[0][1] == 1


def test_a_refused_merge_through_the_api_is_a_400_naming_why(two_pledges, curator_client):
    a, b = two_pledges
    response = curator_client.post(
        reverse("api:thread-merge", args=[a.slug]),
        {"into": a.slug, "reason": "x"},
        content_type="application/json",
        **if_match(a),
    )
    assert response.status_code == 400
    assert "into itself" in str(response.json())


# -- the public pages -----------------------------------------------------------------------------------------


def test_a_merged_pledges_page_redirects_permanently_and_the_other_names_it(two_pledges, client):
    a, b = two_pledges
    merge_threads(thread=a, into=b, reason="The same pledge, filed twice.", by=None)
    old = client.get(reverse("public:pledge", args=[a.slug]))
    assert (old.status_code, old["Location"]) == (301, reverse("public:pledge", args=[b.slug]))
    page = client.get(reverse("public:pledge", args=[b.slug])).content.decode()
    assert "Merged from" in page and "Pledge A</a> (its address leads here)" in page
    assert "The same pledge, filed twice." in page


def test_a_split_pledges_page_lists_what_stayed_and_links_to_where_the_rest_went(two_pledges, client):
    a, b = two_pledges
    first, second = (entry.commitment for entry in a.entries.order_by("position"))
    split_thread(thread=a, commitments=[second.slug], slug="pledge-a-later", title="Later A", reason="Two.", by=None)
    page = client.get(reverse("public:pledge", args=[a.slug]))
    assert page.status_code == 200
    text = page.content.decode()
    assert f'href="{reverse("public:pledge", args=["pledge-a-later"])}">Later A</a>' in text and "Split into" in text
    assert f'id="c-{first.slug}"' in text and f'id="c-{second.slug}"' not in text
    new = client.get(reverse("public:pledge", args=["pledge-a-later"])).content.decode()
    assert "Split from" in new and f'id="c-{second.slug}"' in new


# -- the admin ----------------------------------------------------------------------------------------------


def admin_action(client, action, thread, **fields):
    return client.post(
        reverse("admin:commitments_thread_changelist"),
        {"action": action, "_selected_action": [thread.pk], **fields},
    )


def test_the_admin_merges_after_showing_the_result_and_a_confirmation(two_pledges, curator_client):
    a, b = two_pledges
    form = admin_action(curator_client, "merge_selected", a)
    assert form.status_code == 200 and b"Merge it into" in form.content
    version = form.context["form"]["version"].value()
    fields = {"into": b.pk, "reason": "The same pledge.", "version": version}
    preview = admin_action(curator_client, "merge_selected", a, step="preview", **fields)
    assert preview.status_code == 200 and b"As they would stand" in preview.content
    assert places(a) != [] and not PledgeLink.objects.exists()  # shown, not saved
    done = admin_action(curator_client, "merge_selected", a, step="confirm", **fields)
    assert done.status_code == 302 and done["Location"] == reverse("admin:commitments_thread_change", args=[b.pk])
    assert places(a) == [] and len(places(b)) == 4
    link = PledgeLink.objects.get()
    assert link.history.get().history_user.username == "curator"
    # The moved places are flagged to review in the places' list until the link is marked reviewed.
    flagged = curator_client.get(reverse("admin:commitments_threadentry_changelist"), {"suggestion": "moved"})
    assert flagged.context["cl"].result_count == 4
    PledgeLink.objects.update(reviewed=True)
    flagged = curator_client.get(reverse("admin:commitments_threadentry_changelist"), {"suggestion": "moved"})
    assert flagged.context["cl"].result_count == 0


def test_the_admin_refuses_a_confirmation_made_on_a_stale_page(two_pledges, curator_client):
    a, b = two_pledges
    version = a.version()
    first = a.entries.get(position=1).commitment.slug
    fields = {"commitments": [first], "slug": "pledge-a-early", "title": "Early", "reason": "Two.", "version": version}
    # Someone else changes the pledge's places after the page was opened.
    ThreadEntry.objects.filter(thread=a, position=2).update(note="Changed meanwhile.")
    stale = admin_action(curator_client, "split_selected", a, step="confirm", **fields)
    assert stale.status_code == 200 and "Someone else changed this pledge" in stale.content.decode()
    assert not Thread.objects.filter(slug="pledge-a-early").exists()
    # Confirmed again from the page shown, which carries the version it showed: done.
    fields["version"] = stale.context["form"].data["version"]
    done = admin_action(curator_client, "split_selected", a, step="confirm", **fields)
    assert done.status_code == 302
    assert [slug for slug, *_ in places(Thread.objects.get(slug="pledge-a-early"))] == [first]


def test_readers_do_not_get_the_admin_actions(two_pledges, client, auditor):
    a, b = two_pledges
    client.force_login(auditor)
    admin_action(client, "merge_selected", a, step="confirm", into=b.pk, reason="x", version=a.version())
    assert not PledgeLink.objects.exists() and len(places(a)) == 2


# -- snapshots ------------------------------------------------------------------------------------------------


def test_a_snapshot_and_its_diff_carry_the_link_and_restore_loads_it(seeded, tmp_path):
    from tests.test_snapshot import diff_command, empty_curated_tables, export, snapshot_command

    before = export(tmp_path / "before")
    funding = Thread.objects.get(slug="stabilization-funding")
    last = funding.entries.order_by("-position").first().commitment.slug
    split_thread(thread=funding, commitments=[last], slug="pledge-drive", title="Pledge drive", reason="Two.", by=None)
    after = export(tmp_path / "after")
    out, status = diff_command(before, after)
    assert status == 1
    assert "+ commitments.pledgelink (pledge-drive, split-from, stabilization-funding)" in out
    assert "+ commitments.thread pledge-drive" in out
    snapshot_command("verify", after)
    empty_curated_tables()
    snapshot_command("restore", after)
    link = PledgeLink.objects.get()
    assert (link.thread.slug, link.kind, link.other.slug, link.reason) == (
        "pledge-drive",
        "split-from",
        "stabilization-funding",
        "Two.",
    )
    assert link.entries and link.entries[0]["commitment"] == last


def test_verify_refuses_a_merged_pledge_that_still_holds_commitments(seeded, tmp_path):
    from snapshots.verify import verify_snapshot
    from tests.test_snapshot import export

    funding, syria = Thread.objects.get(slug="stabilization-funding"), Thread.objects.get(slug="syria-stabilization")
    PledgeLink.objects.create(thread=funding, kind=LinkKind.MERGED_INTO, other=syria, reason="Forged.")
    snapshot = export(tmp_path / "forged")
    result = verify_snapshot(snapshot, check_origin=False)
    assert any(
        "“stabilization-funding”: merged into “syria-stabilization” but still holds" in f for f in result.failures
    )


def test_a_merged_pledge_takes_no_new_commitment(two_pledges, curator_client):
    a, b = two_pledges
    merge_threads(thread=a, into=b, reason="One pledge.", by=None)
    other = commitments_at_meetings(2023, phrases=PHRASES[:1])[0]
    response = curator_client.post(
        reverse("api:thread-add-entry", args=[a.slug]),
        {"commitment": other.slug, "change_kind": "new"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "was merged into" in str(response.json())
    assert places(a) == []


def test_the_search_finds_a_merged_pledge_through_the_one_it_went_to(two_pledges, client):
    a, b = two_pledges
    merge_threads(thread=a, into=b, reason="One pledge.", by=None)
    page = client.get(reverse("public:search"), {"q": "Pledge"}).content.decode()
    assert reverse("public:pledge", args=[b.slug]) in page
    assert reverse("public:pledge", args=[a.slug]) not in page


def test_a_pledge_as_of_a_date_shows_its_links_of_then(two_pledges, client):
    """Before the split, a past answer has no link; after it, the link of then, on the page and in the API."""
    from django.utils import timezone

    a, b = two_pledges
    before = timezone.now()
    second = a.entries.order_by("position").last().commitment
    split_thread(thread=a, commitments=[second.slug], slug="pledge-a-later", title="Later A", reason="Two.", by=None)
    after = timezone.now()
    api = reverse("api:thread-detail", args=[a.slug])
    assert client.get(api, {"as_of": before.isoformat()}).json()["links"] == []
    assert client.get(api, {"as_of": after.isoformat()}).json()["links"] == [
        {"kind": "split-into", "pledge": "pledge-a-later", "title": "Later A", "reason": "Two."}
    ]
    page = reverse("public:pledge", args=[a.slug])
    assert "Split into" not in client.get(page, {"as_of": before.isoformat()}).content.decode()
    assert "Split into" in client.get(page, {"as_of": after.isoformat()}).content.decode()
