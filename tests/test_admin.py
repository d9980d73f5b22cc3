"""The admin as curators use it: pages, query counts, the quote-paste flow, refusals and history."""

import datetime

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
# thread prefetch and the filter choices of meeting, line of effort and thread, and count
# once (a filtered page does not count the whole table again for its total). Recurring
# pledges add the prefetch of their entries with meetings (the `meetings` column); thread
# entries get their suggested kind from the previous entry in the page's own query.
EXPECTED_QUERIES = {
    "admin:meetings_meeting_changelist": 8,
    "admin:meetings_statement_changelist": 8,
    "admin:meetings_member_changelist": 8,
    "admin:meetings_participation_changelist": 8,
    "admin:meetings_figure_changelist": 8,
    "admin:commitments_lineofeffort_changelist": 7,
    "admin:commitments_thread_changelist": 9,
    "admin:commitments_commitment_changelist": 10,
    "admin:commitments_threadentry_changelist": 8,
    # and the cycles of its filter; one bounded count (core.admin.paging), not a filtered and a full one
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
    history_before = statement.history.count()
    response = curator_client.post(reverse("admin:meetings_statement_change", args=[statement.pk]), data)
    assert response.status_code == 302, [f.errors for f in response.context["inline_admin_formsets"][1].formset]
    commitment = Commitment.objects.get(slug="inline-commitment")
    assert commitment.statement == statement
    assert commitment.quote_matches()
    # The commitment's creation is recorded; the statement, unchanged, records no empty change.
    assert commitment.history.count() == 1
    assert statement.history.count() == history_before


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
    assert html.index(old.statement.title) < html.index(new.statement.title)
    # Two different sentences: rewritten, so shown side by side (close wording is tested below).
    assert "side-by-side" in html and old.quote in html and new.quote in html
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


# -- quotes pasted the way they come -----------------------------------------------------------------

PDF_TEXT = (
    "The Coalition’s members noted the 2021 Pledge Drive for Stabilization as an important means\n"
    "to help sustain the recovery of areas liberated from Daesh/ISIS – and prevent its resurgence.\n"
    "We welcome Libya. We welcome the progress.\n"
)


def test_a_quote_pasted_from_a_pdf_is_stored_with_the_texts_own_characters_and_offsets(curator_client):
    statement, line = StatementFactory(text=PDF_TEXT), LineOfEffortFactory()
    # As a PDF gives it: a space for the line break, a straight apostrophe, a hyphen for the dash.
    pasted = "The Coalition's members noted the 2021 Pledge Drive for Stabilization as an important means to help"
    data = commitment_post(
        statement, line, quote=pasted + "\r\nsustain the recovery of areas liberated from Daesh/ISIS -"
    )
    response = curator_client.post(reverse("admin:commitments_commitment_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    commitment = Commitment.objects.get()
    expected = PDF_TEXT[: PDF_TEXT.index("–") + 1]
    assert (commitment.start, commitment.end, commitment.quote) == (0, len(expected), expected)
    assert commitment.quote_matches()


def test_an_ambiguous_quote_offers_its_places_and_is_saved_at_the_one_picked(curator_client):
    statement, line = StatementFactory(text=PDF_TEXT), LineOfEffortFactory()
    url = reverse("admin:commitments_commitment_add")
    response = curator_client.post(url, commitment_post(statement, line, quote="We welcome"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    # One error, on the quote: none under Start or End.
    assert list(form.errors) == ["quote"]
    assert "occurs 2 times" in form.errors["quote"][0] and "pick the place you mean" in form.errors["quote"][0]
    first, second = PDF_TEXT.index("We welcome Libya"), PDF_TEXT.index("We welcome the progress")
    html = response.content.decode()
    assert f'type="radio" name="start" value="{first}"' in html
    assert f'type="radio" name="start" value="{second}"' in html
    assert (
        f"offset {second}: “…– and prevent its resurgence. We welcome Libya. <mark>We welcome</mark> the progress.”"
        in html
    )

    picked = curator_client.post(url, commitment_post(statement, line, quote="We welcome", start=str(second)))
    assert picked.status_code == 302
    assert Commitment.objects.get().start == second


@pytest.mark.parametrize(
    ("quote", "start", "end"),
    [("We welcome Narnia", "", ""), ("We welcome Libya", "3", ""), ("We welcome Libya", "", "7"), ("", "", "")],
)
def test_a_refused_quote_gets_one_error_on_one_field(curator_client, quote, start, end):
    statement, line = StatementFactory(text=PDF_TEXT), LineOfEffortFactory()
    data = commitment_post(statement, line, quote=quote, start=start, end=end)
    response = curator_client.post(reverse("admin:commitments_commitment_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert len(errors) == 1 and len(next(iter(errors.values()))) == 1, errors
    assert not Commitment.objects.exists()


def test_a_commitments_changed_quote_is_found_afresh_rather_than_at_its_old_offsets(curator_client):
    commitment = CommitmentFactory(phrase="We welcome Libya as the 68th member.")
    data = commitment_post(
        commitment.statement,
        commitment.line_of_effort,
        slug=commitment.slug,
        quote="We must continue to increase our stabilization contributions.",
        start=str(commitment.start),
        end=str(commitment.end),
    )
    response = curator_client.post(reverse("admin:commitments_commitment_change", args=[commitment.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    commitment.refresh_from_db()
    assert commitment.start == STATEMENT_TEXT.index("We must continue")
    assert commitment.quote_matches()


def test_the_add_form_starts_from_a_selection_given_in_its_address(curator_client):
    statement = StatementFactory()
    start = STATEMENT_TEXT.index("We welcome the progress.")
    url = reverse("admin:commitments_commitment_add")
    page = curator_client.get(url, {"statement": statement.pk, "quote": "We welcome the progress.", "start": start})
    form = page.context["adminform"].form
    assert form.initial["quote"] == "We welcome the progress."
    assert str(form.initial["start"]) == str(start)
    assert str(form.initial["statement"]) == str(statement.pk)


# -- a statement's page as a reading view --------------------------------------------------------------


def test_the_statement_page_marks_every_quoted_span_and_links_it(curator_client):
    statement = StatementFactory()
    commitment = CommitmentFactory(
        statement=statement, phrase="We must continue to increase our stabilization contributions."
    )
    figure = FigureFactory(statement=statement)
    page = curator_client.get(reverse("admin:meetings_statement_change", args=[statement.pk]))
    html = page.content.decode()
    commitment_url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    figure_url = reverse("admin:meetings_figure_change", args=[figure.pk])
    assert (
        f'<span id="mark-commitment-{commitment.slug}"></span><a class="mark mark-commitment" href="{commitment_url}"'
        in html
    )
    assert f">{commitment.quote}</a>" in html
    assert f'<a class="mark mark-figure" href="{figure_url}" title="Figure {figure.slug}: ' in html
    assert "1 commitment, 1 figure" in html
    # The text is there character for character, so a selection in it is the text itself.
    assert 'data-base-url="/admin/commitments/commitment/add/?statement=' in html
    assert "meetings/admin/reading-view.js" in html
    # The add form comes right after the text and the folded list of commitments.
    assert html.index('class="reading-view"') < html.lower().index("new commitment (paste its quote)")


def test_auditors_read_the_marked_text_without_links_to_add(client, auditor):
    client.force_login(auditor)
    statement = CommitmentFactory().statement
    html = client.get(reverse("admin:meetings_statement_change", args=[statement.pk])).content.decode()
    assert "mark-commitment" in html
    assert "from selection" not in html


# -- threads at a glance ---------------------------------------------------------------------------------

STABILIZATION = [
    "We urge continued support for the UN Funding Facility for Immediate Stabilization.",
    "We must continue to increase our stabilization contributions.",
    "We will continue to increase our stabilization contributions to liberated areas.",
]


def thread_of(phrases, kinds):
    """A recurring pledge of one commitment per phrase, at meetings a year apart, marked with `kinds`.

    The first commitment is softer ("urge"), the others binding ("must", "will").
    """
    commitments = []
    for year, phrase in enumerate(phrases, start=2016):
        day = datetime.date(year, 6, 1)
        statement = StatementFactory(meeting=MeetingFactory(start_date=day, end_date=day), text=phrase + "\n")
        strength = "soft" if year == 2016 else "binding"
        commitments.append(CommitmentFactory(statement=statement, phrase=phrase, strength=strength))
    return thread_with(*commitments, kinds=kinds), commitments


def test_a_thread_shows_rewritten_wording_side_by_side_and_close_wording_as_a_word_diff(curator_client):
    thread, (first, second, third) = thread_of(STABILIZATION, kinds=["strengthened", "widened"])
    page = curator_client.get(reverse("admin:commitments_thread_change", args=[thread.pk]))
    html = page.content.decode()
    rows = html.split('<tr class="timeline-row')[1:]
    assert len(rows) == 3
    # Each row names its meeting and its statement.
    for row, commitment in zip(rows, (first, second, third), strict=True):
        assert commitment.statement.meeting.short_name() in row and commitment.statement.title in row
    # Rewritten (few words shared): both quotes, side by side, and no diff.
    assert "side-by-side" in rows[1] and first.quote in rows[1] and second.quote in rows[1]
    assert "<del" not in rows[1]
    # Close: a word diff whose changes are marked up and said, not only coloured.
    assert '<del class="diff-delete"><span class="visually-hidden">removed: </span>must</del>' in rows[2]
    assert '<ins class="diff-insert"><span class="visually-hidden">added: </span>will</ins>' in rows[2]
    assert "timeline-legend" in html and "are struck through" in html


def test_a_threads_word_diff_notes_a_word_the_capture_ran_together_rather_than_marking_it_changed(curator_client):
    thread, _ = thread_of(
        [
            "We urge continued support for the UN Funding Facility.",
            "We must continue to increase our stabilization contributions.",
            "We must continueto increase our stabilization contributions.",
        ],
        kinds=["strengthened", "repeated"],
    )
    html = curator_client.get(reverse("admin:commitments_thread_change", args=[thread.pk])).content.decode()
    last = html.split('<tr class="timeline-row')[3]
    assert "<del" not in last and "<ins" not in last
    assert 'continue to <span class="diff-joined">(joined in the capture: “continueto”)</span> increase' in last


def test_a_thread_flags_the_entries_whose_kind_contradicts_the_quotes(curator_client):
    thread, _ = thread_of(STABILIZATION, kinds=["strengthened", "narrowed"])
    html = curator_client.get(reverse("admin:commitments_thread_change", args=[thread.pk])).content.decode()
    rows = html.split('<tr class="timeline-row')[1:]
    # Soft to binding is suggested "strengthened"; words added suggest "widened", the opposite of "narrowed".
    assert ["kind-mismatch" in row for row in rows] == [False, False, True]
    assert "⚠ Contradicts the quotes" in rows[2] and "suggested: Widened" in rows[2]
    assert "Marked narrowed, but 5 words were added and 2 dropped (widened is suggested)." in rows[2]
    # What the suggestion rests on, on hover.
    assert (
        'title="Suggested “Widened” from the strength (binding → binding) and the wording (5 words added, 2 words'
        in (rows[2])
    )


def test_a_kind_that_merely_differs_from_the_suggestion_is_not_flagged(curator_client):
    # Words added suggest "widened"; the curator's "repeated" reads them as the same pledge: not a contradiction.
    thread, _ = thread_of(STABILIZATION, kinds=["strengthened", "repeated"])
    html = curator_client.get(reverse("admin:commitments_thread_change", args=[thread.pk])).content.decode()
    rows = html.split('<tr class="timeline-row')[1:]
    assert ["kind-mismatch" in row for row in rows] == [False, False, False]
    assert "suggested: Widened" in rows[2]
    # Soft to binding marked "weakened" says the opposite of the strength: flagged.
    thread, _ = thread_of(STABILIZATION[:2], kinds=["weakened"])
    html = curator_client.get(reverse("admin:commitments_thread_change", args=[thread.pk])).content.decode()
    rows = html.split('<tr class="timeline-row')[1:]
    assert ["kind-mismatch" in row for row in rows] == [False, True]
    assert "Marked weakened, but the strength went soft → binding." in rows[1]
    entries = curator_client.get(reverse("admin:commitments_threadentry_changelist"), {"suggestion": "differs"})
    assert [entry.thread for entry in entries.context["cl"].result_list] == [thread]


def test_the_entries_list_filters_those_whose_kind_differs_from_the_suggestion(curator_client):
    thread, (_, _, third) = thread_of(STABILIZATION, kinds=["strengthened", "narrowed"])
    url = reverse("admin:commitments_threadentry_changelist")
    page = curator_client.get(url, {"suggestion": "differs"})
    assert [entry.commitment for entry in page.context["cl"].result_list] == [third]
    assert "⚠ Widened" in page.content.decode()
    assert len(curator_client.get(url).context["cl"].result_list) == 3


def test_the_differing_entries_filter_runs_the_same_queries_whatever_the_number_of_entries(
    curator_client, django_assert_num_queries
):
    url = reverse("admin:commitments_threadentry_changelist")
    for _ in range(2):
        thread_of(STABILIZATION, kinds=["strengthened", "narrowed"])
        # The changelist's 8, plus the one query that reads every entry to compare it with its suggestion.
        with django_assert_num_queries(9):
            assert curator_client.get(url, {"suggestion": "differs"}).status_code == 200


def test_a_new_entry_after_a_changed_one_is_refused_in_the_admin(curator_client):
    thread, _ = thread_of(STABILIZATION[:2], kinds=["strengthened"])
    later = commitments_at_meetings(2030)[0]
    url = reverse("admin:commitments_threadentry_add")
    refused = curator_client.post(url, {"thread": thread.pk, "commitment": later.pk, "change_kind": "new"})
    assert refused.status_code == 200
    assert "only the commitments that open a recurring pledge are “new”" in refused.content.decode()
    assert thread.entries.count() == 2
    accepted = curator_client.post(url, {"thread": thread.pk, "commitment": later.pk, "change_kind": "widened"})
    assert accepted.status_code == 302


# -- history -------------------------------------------------------------------------------------------------


def test_seeded_records_have_a_first_history_entry_and_no_page_says_none(curator_client):
    from django.core.management import call_command

    call_command("load_seed", verbosity=0)
    commitment = Commitment.objects.get(slug="rome-2021-pledge-drive")
    page = curator_client.get(reverse("admin:commitments_commitment_history", args=[commitment.pk]))
    html = page.content.decode()
    table = html[html.index('<table id="change-history"') : html.index("</table>")]
    assert "Loaded from the seed fixture" in table
    assert "None" not in table
    assert "doesn't have a change history" not in html


def test_a_filter_by_a_related_record_lists_few_and_searches_many(
    curator_client, monkeypatch, django_assert_num_queries
):
    from core.admin.filters import BoundedRelatedFilter

    africa, sahel, other = (ThreadFactory(title=title) for title in ("Africa focus", "Sahel support", "Mosul"))
    for thread in (africa, sahel, other):
        ThreadEntryFactory(thread=thread, commitment=CommitmentFactory())
    url = reverse("admin:commitments_commitment_changelist")
    listed = curator_client.get(url).content.decode()
    assert "Africa focus</a>" in listed and 'name="thread_entries__thread__q"' not in listed

    # Past the limit, a search box: the page stays the same size and runs the same queries.
    monkeypatch.setattr(BoundedRelatedFilter, "MAX_LISTED", 2)
    with django_assert_num_queries(EXPECTED_QUERIES["admin:commitments_commitment_changelist"]):
        searching = curator_client.get(url)
    html = searching.content.decode()
    assert 'name="thread_entries__thread__q"' in html and "Africa focus</a>" not in html
    found = curator_client.get(url, {"thread_entries__thread__q": "africa", "strength": "binding"})
    assert [c.thread_entries.get().thread for c in found.context["cl"].result_list] == [africa]
    # The other filters are kept when the words change.
    assert '<input type="hidden" name="strength" value="binding">' in found.content.decode()


def test_a_commitment_from_a_selection_is_saved_with_only_its_line_and_strength_chosen(curator_client):
    statement = StatementFactory(slug="rome-2019", issuer="Political Directors")
    line = LineOfEffortFactory()
    quote = "We must continue to increase our stabilization contributions."
    start = STATEMENT_TEXT.index(quote)
    url = reverse("admin:commitments_commitment_add")
    page = curator_client.get(url, {"statement": statement.pk, "quote": quote, "start": start})
    form = page.context["adminform"].form
    assert form.initial["slug"] == "rome-2019-continue-increase-stabilization-contributions"
    assert form.initial["actor"] == "Political Directors"  # "we": the statement's issuer
    assert form.initial["summary"] == quote
    # Line of effort and strength stay the curator's choice: no initial, still required.
    assert "line_of_effort" not in form.initial and "strength" not in form.initial
    data = {name: form.initial.get(name, "") for name in ("slug", "statement", "quote", "start", "actor", "summary")}
    data |= {"end": "", "assessable": "on", "line_of_effort": line.pk, "strength": "binding"}
    data |= {
        f"{prefix}-{key}": value
        for prefix in ("thread_entries", "thread_entries-2", "assessments")
        for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
    }
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Commitment.objects.get(slug="rome-2019-continue-increase-stabilization-contributions")
    assert (saved.actor, saved.summary, saved.start) == ("Political Directors", quote, start)
    refused = curator_client.post(url, {**data, "slug": "another", "line_of_effort": "", "strength": ""})
    errors = refused.context["adminform"].form.errors
    assert set(errors) == {"line_of_effort", "strength"}


def test_the_actor_of_a_selection_is_the_phrase_that_commits_when_there_is_one(curator_client):
    quote = "The Coalition remains committed to stabilization."
    statement = StatementFactory(issuer="Foreign Ministers", text=STATEMENT_TEXT + quote + "\n")
    page = curator_client.get(
        reverse("admin:commitments_commitment_add"),
        {"statement": statement.pk, "quote": quote, "start": len(STATEMENT_TEXT)},
    )
    assert page.context["adminform"].form.initial["actor"] == "the Coalition"


def test_the_pledge_autocomplete_ranks_titles_with_the_word_first(curator_client):
    line = LineOfEffortFactory()
    ThreadFactory(
        title="A comprehensive effort through the Coalition",
        description="Towards the enduring defeat of Daesh/ISIS.",
        line_of_effort=line,
    )
    ThreadFactory(title="Determination to achieve the enduring defeat of Daesh/ISIS", line_of_effort=line)
    ThreadFactory(title="Stabilization endures", line_of_effort=line)
    ThreadFactory(title="Unrelated pledge", line_of_effort=line)
    params = {"app_label": "commitments", "model_name": "threadentry", "field_name": "thread"}
    response = curator_client.get(reverse("admin:autocomplete"), {**params, "term": "enduring"})
    titles = [result["text"] for result in response.json()["results"]]
    assert titles == [
        "Determination to achieve the enduring defeat of Daesh/ISIS",
        "A comprehensive effort through the Coalition",
    ]
    response = curator_client.get(reverse("admin:autocomplete"), {**params, "term": "endur"})
    titles = [result["text"] for result in response.json()["results"]]
    assert titles == [
        "Determination to achieve the enduring defeat of Daesh/ISIS",
        "Stabilization endures",
        "A comprehensive effort through the Coalition",
    ]


def test_removing_an_entry_goes_back_to_its_pledge(curator_client):
    first, second = commitments_at_meetings(2019, 2020)
    thread = thread_with(first, second, kinds=["repeated"])
    entry = thread.entries.get(commitment=second)
    response = curator_client.post(
        reverse("admin:commitments_threadentry_delete", args=[entry.pk]), {"post": "yes"}, follow=True
    )
    assert response.redirect_chain == [(reverse("admin:commitments_thread_change", args=[thread.pk]), 302)]
    assert f"from the pledge “{thread}”" in response.content.decode()
    assert list(thread.entries.values_list("commitment", flat=True)) == [first.pk]


def test_figures_read_as_numbers_in_lists_and_read_only_places(curator_client):
    figure = FigureFactory(value=8_000_000)
    changelist = curator_client.get(reverse("admin:meetings_figure_changelist")).content.decode()
    assert "8,000,000" in changelist and "8000000.0000" not in changelist
    statement_page = curator_client.get(reverse("admin:meetings_statement_change", args=[figure.statement.pk]))
    assert "8,000,000" in statement_page.content.decode()
    assert "8000000.0000" not in statement_page.content.decode()
    change_page = curator_client.get(reverse("admin:meetings_figure_change", args=[figure.pk])).content.decode()
    assert 'name="value" value="8000000"' in change_page


def test_a_refused_delete_names_its_reason_on_a_styled_page(curator_client):
    assessment = AssessmentFactory(assessed_on=datetime.date(2022, 3, 4))
    commitment = assessment.commitment
    thread = thread_with(commitment, title="Stabilization funding")
    response = curator_client.get(reverse("admin:commitments_commitment_delete", args=[commitment.pk]))
    html = response.content.decode()
    assert response.status_code == 403
    assert "permission" not in html
    assert "It was assessed on 2022-03-04 (" in html
    assert f"It is in the recurring pledge “{thread}” (position 1)" in html
    assert 'class="breadcrumbs"' in html  # the admin's own page, not a bare 403
    assert (
        curator_client.post(
            reverse("admin:commitments_commitment_delete", args=[commitment.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Commitment.objects.filter(pk=commitment.pk).exists()

    statement = commitment.statement
    html = curator_client.get(reverse("admin:meetings_statement_delete", args=[statement.pk])).content.decode()
    assert "Statements are never deleted" in html
    assert f"It is quoted by 1 commitment: {commitment.slug}." in html
    html = curator_client.get(reverse("admin:commitments_assessment_delete", args=[assessment.pk])).content.decode()
    assert f"It is the status of “{commitment.slug}” as assessed on 2022-03-04" in html


def test_deleting_several_names_those_that_are_held_and_why(curator_client):
    held = AssessmentFactory(assessed_on=datetime.date(2022, 3, 4)).commitment
    free = CommitmentFactory(statement=held.statement, phrase="We welcome the progress.")
    response = curator_client.post(
        reverse("admin:commitments_commitment_changelist"),
        {"action": "delete_selected", "_selected_action": [held.pk, free.pk]},
    )
    html = response.content.decode()
    assert "doesn't have permission" not in html
    assert f"Commitment “{held}”: It was assessed on 2022-03-04" in html
    assert Commitment.objects.filter(pk__in=[held.pk, free.pk]).count() == 2


def test_a_nearly_identical_statement_of_the_same_meeting_is_flagged_before_it_is_stored(curator_client):
    stored = StatementFactory(slug="stored-statement")
    without_banner = STATEMENT_TEXT.replace("We, the Political Directors, met today.\n", "")
    url = reverse("admin:meetings_statement_add")
    response = curator_client.post(url, statement_post(stored.meeting, text=without_banner))
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["text"])
    assert "nearly identical to the stored statement “stored-statement”" in errors
    assert 'name="store_anyway"' in response.content.decode()
    assert Statement.objects.count() == 1
    # At another meeting it is no copy; ticked, it is stored all the same.
    assert curator_client.post(url, statement_post(MeetingFactory(), text=without_banner)).status_code == 302
    Statement.objects.exclude(pk=stored.pk).delete()
    ticked = curator_client.post(
        url, statement_post(stored.meeting, position=2, text=without_banner, store_anyway="on")
    )
    assert ticked.status_code == 302
    assert Statement.objects.filter(meeting=stored.meeting).count() == 2
    # A different text of the same meeting is not flagged.
    other = "The Ministers met in Rome and agreed on a new plan for the region's recovery and its funding.\n"
    assert (
        curator_client.post(url, statement_post(stored.meeting, slug="other", position=3, text=other)).status_code
        == 302
    )
