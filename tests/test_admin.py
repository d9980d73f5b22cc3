"""The admin as curators use it: pages, query counts, the quote-paste flow, refusals and history."""

import pytest
from django.urls import reverse

from commitments.models import Commitment
from meetings.models import Statement
from tests.factories import (
    STATEMENT_TEXT,
    AssessmentFactory,
    CommitmentFactory,
    FigureFactory,
    LineOfEffortFactory,
    MeetingFactory,
    MemberFactory,
    ParticipationFactory,
    StatementFactory,
    ThreadEntryFactory,
    ThreadFactory,
    commitments_at_meetings,
    thread_with,
)

pytestmark = pytest.mark.django_db

PHRASES = [
    "We, the Political Directors, met today.",
    "We will continue to enhance our information sharing, including with INTERPOL.",
    "We must continue to increase our stabilization contributions.",
    "We welcome Libya as the 68th member.",
    "We welcome the progress.",
    "More than 7.7 million people have been freed.",
]


def populate(n):
    """n rows of every curated model, each with its relations, as a changelist would show them."""
    for _ in range(n):
        statement = StatementFactory()
        line = LineOfEffortFactory()
        thread = ThreadFactory(line_of_effort=line)
        for i, phrase in enumerate(PHRASES[:3]):
            commitment = CommitmentFactory(statement=statement, phrase=phrase, line_of_effort=line)
            if i == 0:
                ThreadEntryFactory(thread=thread, commitment=commitment)
                AssessmentFactory(commitment=commitment)
        FigureFactory(statement=statement)
        member = MemberFactory()
        ParticipationFactory(meeting=statement.meeting, member=member, role="new-member")
        ParticipationFactory(member=member, role="new-member")


CHANGELISTS = [
    "admin:meetings_meeting_changelist",
    "admin:meetings_statement_changelist",
    "admin:meetings_member_changelist",
    "admin:meetings_participation_changelist",
    "admin:meetings_figure_changelist",
    "admin:commitments_lineofeffort_changelist",
    "admin:commitments_thread_changelist",
    "admin:commitments_commitment_changelist",
    "admin:commitments_threadentry_changelist",
    "admin:commitments_assessment_changelist",
]

# Queries per changelist page for a curator, whatever the number of rows: session, user,
# permissions, counts, the page, then prefetches or filter choices. Commitments add the
# thread prefetch and the filter choices of meeting, line of effort and thread.
EXPECTED_QUERIES = {
    "admin:meetings_meeting_changelist": 8,
    "admin:meetings_statement_changelist": 8,
    "admin:meetings_member_changelist": 8,
    "admin:meetings_participation_changelist": 8,
    "admin:meetings_figure_changelist": 8,
    "admin:commitments_lineofeffort_changelist": 7,
    "admin:commitments_thread_changelist": 8,
    "admin:commitments_commitment_changelist": 11,
    "admin:commitments_threadentry_changelist": 8,
    "admin:commitments_assessment_changelist": 10,
}


@pytest.mark.parametrize("name", CHANGELISTS)
def test_changelist_query_count_does_not_grow_with_the_rows(curator_client, django_assert_num_queries, name):
    url = reverse(name)
    for rows in (2, 8):
        populate(rows)
        with django_assert_num_queries(EXPECTED_QUERIES[name]):
            response = curator_client.get(url)
        assert response.status_code == 200


@pytest.mark.parametrize("name", CHANGELISTS)
def test_every_add_and_change_page_renders_for_a_curator(curator_client, name):
    populate(1)
    changelist = curator_client.get(reverse(name))
    obj = changelist.context["cl"].result_list[0]
    app_model = name.removeprefix("admin:").removesuffix("_changelist")
    assert curator_client.get(reverse(f"admin:{app_model}_change", args=[obj.pk])).status_code == 200
    assert curator_client.get(reverse(f"admin:{app_model}_history", args=[obj.pk])).status_code == 200
    assert curator_client.get(reverse(f"admin:{app_model}_add")).status_code == 200


def commitment_post(statement, line, **overrides):
    data = {
        "slug": "pasted-commitment",
        "statement": statement.pk,
        "quote": "We must continue to increase our stabilization contributions.",
        "start": "",
        "end": "",
        "line_of_effort": line.pk,
        "actor": "Political Directors",
        "strength": "binding",
        "summary": "Increase stabilization contributions.",
        "assessable": "on",
        "note": "",
        "deadline": "",
        "deadline_text": "",
        "amount": "",
        "currency": "",
        "thread_entries-TOTAL_FORMS": "0",
        "thread_entries-INITIAL_FORMS": "0",
        "thread_entries-2-TOTAL_FORMS": "0",
        "thread_entries-2-INITIAL_FORMS": "0",
        "assessments-TOTAL_FORMS": "0",
        "assessments-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_pasting_a_quote_creates_the_commitment_with_its_offsets(curator_client):
    statement, line = StatementFactory(), LineOfEffortFactory()
    response = curator_client.post(reverse("admin:commitments_commitment_add"), commitment_post(statement, line))
    assert response.status_code == 302, response.context["adminform"].form.errors
    commitment = Commitment.objects.get(slug="pasted-commitment")
    quote = "We must continue to increase our stabilization contributions."
    assert (commitment.start, commitment.end) == (STATEMENT_TEXT.index(quote), STATEMENT_TEXT.index(quote) + len(quote))
    assert commitment.quote_matches()


@pytest.mark.parametrize(
    ("quote", "message"),
    [
        ("We must continue to increase our stabilisation contributions.", "is not in the text"),
        ("We welcome", "occurs 2 times"),
    ],
)
def test_a_quote_absent_or_repeated_is_refused_and_nothing_is_saved(curator_client, quote, message):
    statement, line = StatementFactory(), LineOfEffortFactory()
    response = curator_client.post(
        reverse("admin:commitments_commitment_add"), commitment_post(statement, line, quote=quote)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["quote"])
    assert message in response.content.decode()
    assert not Commitment.objects.exists()


def test_a_repeated_quote_is_accepted_with_a_start_offset_that_chooses_the_place(curator_client):
    statement, line = StatementFactory(), LineOfEffortFactory()
    second = STATEMENT_TEXT.index("We welcome the progress.")
    data = commitment_post(statement, line, quote="We welcome", start=str(second))
    assert curator_client.post(reverse("admin:commitments_commitment_add"), data).status_code == 302
    assert Commitment.objects.get().start == second


def test_commitments_are_added_on_the_statement_page_by_pasting_quotes(curator_client):
    statement, line = StatementFactory(), LineOfEffortFactory()
    page = curator_client.get(reverse("admin:meetings_statement_change", args=[statement.pk]))
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(meeting=statement.meeting.pk, position=1, text=statement.text)
    for prefix, total in [("commitments", 0), ("commitments-2", 1), ("figures", 0), ("figures-2", 0)]:
        data[f"{prefix}-TOTAL_FORMS"], data[f"{prefix}-INITIAL_FORMS"] = str(total), "0"
    data.update(
        {
            "commitments-2-0-slug": "inline-commitment",
            "commitments-2-0-quote": "We welcome Libya as the 68th member.",
            "commitments-2-0-line_of_effort": line.pk,
            "commitments-2-0-actor": "the Small Group",
            "commitments-2-0-strength": "soft",
            "commitments-2-0-summary": "Welcome Libya.",
            "commitments-2-0-assessable": "on",
        }
    )
    response = curator_client.post(reverse("admin:meetings_statement_change", args=[statement.pk]), data)
    assert response.status_code == 302, [f.errors for f in response.context["inline_admin_formsets"][1].formset]
    commitment = Commitment.objects.get(slug="inline-commitment")
    assert commitment.statement == statement
    assert commitment.quote_matches()


def test_thread_page_shows_commitments_in_meeting_order_with_the_wording_difference(curator_client):
    old, new = commitments_at_meetings(
        2016,
        2020,
        phrases=[
            "We must continue to increase our stabilization contributions.",
            "We will continue to enhance our information sharing, including with INTERPOL.",
        ],
    )
    thread = thread_with(old, new, kinds=["widened"])
    html = curator_client.get(reverse("admin:commitments_thread_change", args=[thread.pk])).content.decode()
    assert html.index(old.statement.meeting.name) < html.index(new.statement.meeting.name)
    assert "<del class='diff-delete'>must</del>" in html
    assert "<ins class='diff-insert'>will</ins>" in html
    assert "Widened" in html


def test_adding_a_commitment_to_a_thread_in_admin_renumbers_by_meeting(curator_client):
    earlier, later = commitments_at_meetings(2016, 2021)
    thread = thread_with(later)
    url = reverse("admin:commitments_threadentry_add")
    refused = curator_client.post(url, {"thread": thread.pk, "commitment": earlier.pk, "change_kind": "repeated"})
    assert refused.status_code == 200
    assert "must be “new”" in refused.content.decode()
    assert thread.entries.count() == 1

    accepted = curator_client.post(url, {"thread": thread.pk, "commitment": earlier.pk, "change_kind": "new"})
    assert accepted.status_code == 302
    assert list(thread.entries.order_by("position").values_list("commitment", flat=True)) == [earlier.pk, later.pk]


def test_statements_cannot_be_deleted_in_admin(curator_client):
    statement = StatementFactory()
    url = reverse("admin:meetings_statement_delete", args=[statement.pk])
    assert curator_client.get(url).status_code == 403
    assert curator_client.post(url, {"post": "yes"}).status_code == 403
    assert Statement.objects.filter(pk=statement.pk).exists()


def test_an_assessed_commitment_cannot_be_deleted_in_admin_but_an_unassessed_one_can(curator_client):
    assessed = AssessmentFactory().commitment
    url = reverse("admin:commitments_commitment_delete", args=[assessed.pk])
    assert curator_client.post(url, {"post": "yes"}).status_code == 403
    assert Commitment.objects.filter(pk=assessed.pk).exists()

    unassessed = CommitmentFactory(statement=assessed.statement, phrase="We welcome the progress.")
    url = reverse("admin:commitments_commitment_delete", args=[unassessed.pk])
    assert curator_client.post(url, {"post": "yes"}).status_code == 302
    assert not Commitment.objects.filter(pk=unassessed.pk).exists()


def test_a_quoted_statements_text_is_read_only_in_admin(curator_client):
    statement = CommitmentFactory().statement
    page = curator_client.get(reverse("admin:meetings_statement_change", args=[statement.pk]))
    assert "text" not in page.context["adminform"].form.fields
    assert "sha256" not in page.context["adminform"].form.fields


def test_admin_changes_are_recorded_with_who_and_when_and_the_history_is_viewable(curator_client, curator):
    statement, line = StatementFactory(), LineOfEffortFactory()
    curator_client.post(reverse("admin:commitments_commitment_add"), commitment_post(statement, line))
    commitment = Commitment.objects.get()
    data = commitment_post(statement, line, summary="Increase contributions to stabilization.")
    response = curator_client.post(reverse("admin:commitments_commitment_change", args=[commitment.pk]), data)
    assert response.status_code == 302
    records = list(commitment.history.order_by("history_date"))
    assert [(r.history_type, r.history_user) for r in records] == [("+", curator), ("~", curator)]
    assert records[1].diff_against(records[0]).changed_fields == ["summary"]
    page = curator_client.get(reverse("admin:commitments_commitment_history", args=[commitment.pk]))
    assert page.status_code == 200
    assert "curator" in page.content.decode()


def test_members_whose_sources_disagree_on_joining_are_shown(curator_client):
    drc = MemberFactory(name="Democratic Republic of the Congo")
    ParticipationFactory(member=drc, role="new-member")
    ParticipationFactory(member=drc, role="new-member")
    page = curator_client.get(reverse("admin:meetings_member_changelist") + "?joining=conflict")
    html = page.content.decode()
    assert "sources disagree" in html
    assert list(page.context["cl"].result_list) == [drc]


def test_auditors_read_but_cannot_change(client, auditor):
    client.force_login(auditor)
    commitment = CommitmentFactory()
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:commitments_commitment_add")).status_code == 403
    data = commitment_post(commitment.statement, commitment.line_of_effort, summary="changed")
    assert client.post(url, data).status_code == 403
    commitment.refresh_from_db()
    assert commitment.summary != "changed"


def test_adding_a_commitment_to_a_thread_on_its_page_renumbers_the_thread_by_meeting(curator_client):
    earlier, later = commitments_at_meetings(2016, 2021)
    thread = thread_with(later)
    data = commitment_post(earlier.statement, earlier.line_of_effort, slug=earlier.slug, quote=earlier.quote)
    data.update(
        {
            "thread_entries-2-TOTAL_FORMS": "1",
            "thread_entries-2-0-thread": thread.pk,
            "thread_entries-2-0-change_kind": "new",
            "thread_entries-2-0-note": "First time.",
        }
    )
    response = curator_client.post(reverse("admin:commitments_commitment_change", args=[earlier.pk]), data)
    assert response.status_code == 302
    # Added second, placed first: positions follow the meetings, not the order of entry.
    assert list(thread.entries.order_by("position").values_list("commitment__slug", "position", "note")) == [
        (earlier.slug, 1, "First time."),
        (later.slug, 2, ""),
    ]


def statement_post(meeting, **overrides):
    data = {
        "slug": "uploaded",
        "meeting": meeting.pk,
        "position": 1,
        "kind": "statement",
        "title": "Uploaded statement",
        "issuer": "Political Directors",
        "issued_on_basis": "text",
        "text": "",
        **{
            f"{prefix}-{key}": "0"
            for prefix in ("commitments", "commitments-2", "figures", "figures-2")
            for key in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    }
    data.update(overrides)
    return data


def test_a_statement_uploaded_from_its_file_is_stored_byte_for_byte(curator_client, sources_dir):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    path = sources_dir / "2021-06-28-rome-ministerial-statement.txt"
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/plain")
    response = curator_client.post(
        reverse("admin:meetings_statement_add"), statement_post(MeetingFactory(), text_file=upload)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Statement.objects.get(slug="uploaded").sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("content", "message"), [(b"", "empty"), (b"PK\x03\x04\x00\x00", "NUL bytes")])
def test_an_empty_or_binary_statement_file_is_refused(curator_client, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("statement.txt", content, content_type="text/plain")
    response = curator_client.post(
        reverse("admin:meetings_statement_add"), statement_post(MeetingFactory(), text_file=upload)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["text_file"])
    assert not Statement.objects.exists()


def test_pasted_statement_text_keeps_its_white_space_and_gets_lf_line_breaks(curator_client):
    pasted = "  Line one\r\nLine two\r\n"
    response = curator_client.post(
        reverse("admin:meetings_statement_add"), statement_post(MeetingFactory(), text=pasted)
    )
    assert response.status_code == 302
    assert Statement.objects.get(slug="uploaded").text == "  Line one\nLine two\n"


def test_a_quote_sent_with_browser_line_breaks_and_a_leading_space_is_kept_exact(curator_client):
    text = "Daesh/ISIS will continue to be pressured by curbing its ability to raise\n revenue, enhancing sharing.\n"
    statement, line = StatementFactory(text=text), LineOfEffortFactory()
    # What a browser submits for the quote "to raise\n revenue,": CRLF line breaks.
    data = commitment_post(statement, line, quote="to raise\r\n revenue,")
    response = curator_client.post(reverse("admin:commitments_commitment_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    commitment = Commitment.objects.get()
    assert commitment.quote == "to raise\n revenue,"
    assert commitment.quote_matches()
    # A quote that begins with the text's own white space keeps it.
    data = commitment_post(statement, line, slug="leading-space", quote=" revenue, enhancing")
    assert curator_client.post(reverse("admin:commitments_commitment_add"), data).status_code == 302
    assert Commitment.objects.get(slug="leading-space").quote == " revenue, enhancing"


def test_a_thread_entry_keeps_its_thread_and_commitment_and_its_opener_is_not_removed_unmarked(
    curator_client, opened_thread
):
    thread, first, second = opened_thread
    opener = thread.entries.get(commitment=first)
    page = curator_client.get(reverse("admin:commitments_threadentry_change", args=[opener.pk]))
    assert {"thread", "commitment"}.isdisjoint(page.context["adminform"].form.fields)
    changelist = curator_client.get(reverse("admin:commitments_threadentry_changelist"))
    # No bulk action at all: delete_selected would bypass remove_from_thread.
    assert changelist.context["action_form"] is None

    response = curator_client.post(
        reverse("admin:commitments_threadentry_delete", args=[opener.pk]), {"post": "yes"}, follow=True
    )
    assert "mark it “new” first" in response.content.decode()
    assert list(thread.entries.values_list("position", "commitment")) == [(1, first.pk), (2, second.pk)]
