"""The review of suggestions a curator can trust: what "as proposed" does, a reject that asks first and can be
undone, an intake that drops nothing, forms drawn as the rest of the admin (issue 19)."""

import base64

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.models import Commitment, LineOfEffort, Thread
from ingest.models import Suggestion, SuggestionKind, SuggestionStatus
from ingest.services import accept_suggestion, ingest_statement, reject_suggestion, reopen_suggestion
from meetings.models import Meeting, Statement
from tests.factories import CommitmentFactory, MeetingFactory

pytestmark = pytest.mark.django_db

# Not in the seed: one sentence continuing a seed pledge, three new ones, a figure.
TEXT = (
    "Chair's summary of the Small Group meeting\n"
    "\n"
    "The Ministers will continue to enhance information sharing on foreign terrorist fighters, including with"
    " INTERPOL.\n"
    "We will fund the rehabilitation of fishing harbours on Lake Chad.\n"
    "The Political Directors agreed to publish a handbook on prison libraries.\n"
    "We call on partners to support the restoration of archives in Mosul.\n"
    "More than 8 million people have been freed from its control.\n"
)
STATEMENT = {"slug": "rabat-2024-summary", "title": "Chair's summary", "kind": "statement", "issuer": "Small Group"}
REVIEW = "admin:ingest_suggestion_review"
INTAKE = "admin:ingest_suggestion_intake"


@pytest.fixture
def statement(seeded):
    meeting = MeetingFactory(slug="rabat-2024", start_date="2024-06-11", end_date="2024-06-11")
    return ingest_statement(text=TEXT, meeting=meeting, **STATEMENT).statement


def commitment(statement, words):
    return statement.suggestions.get(kind=SuggestionKind.COMMITMENT, quote__contains=words)


def review(client, statement, data=None, **options):
    url = reverse(REVIEW, args=[statement.pk])
    response = client.post(url, data, **options) if data is not None else client.get(url)
    return response


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def set_candidates(suggestion, threads, thread=None, **fields):
    Suggestion.objects.filter(pk=suggestion.pk).update(threads=threads, thread=thread, change_kind="", **fields)


@pytest.fixture
def four(statement):
    """Four commitments, one of each case: a preselected pledge, a weak candidate, none, no line of effort."""
    pledge = Thread.objects.get(slug="ftf-information-sharing")
    line = LineOfEffort.objects.get(slug="stabilization")
    sharing, harbours = commitment(statement, "INTERPOL"), commitment(statement, "fishing harbours")
    handbook, archives = commitment(statement, "handbook"), commitment(statement, "archives")
    set_candidates(sharing, [{"thread": pledge.slug, "score": 0.62, "change_kind": "repeated"}], pledge)
    set_candidates(harbours, [{"thread": "stabilization-funding", "score": 0.21, "change_kind": "new"}])
    set_candidates(handbook, [], line_of_effort=line)
    set_candidates(archives, [], line_of_effort=None)
    return pledge, sharing, harbours, handbook, archives


def test_the_review_page_says_what_accepting_as_proposed_does_with_each_suggestion(four, statement, curator_client):
    pledge, *_ = four
    page = review(curator_client, statement).content.decode()
    assert f"placed in the pledge “{pledge.title}” (repeated)." in page
    assert (
        "placed in no pledge: the best candidate, “stabilization-funding”, scores 0.21, below the 0.30 needed to"
        " preselect it; open the suggestion to place it there." in page
    )
    assert (
        "filed under “Stabilization and humanitarian support”, placed in no pledge: no earlier recurring pledge"
        " resembles it." in page
    )
    assert "Cannot be accepted as proposed: no line of effort was suggested" in page
    assert "Creates a figure (8,000,000 people, more than)." in page
    # The same line on the suggestion's own page, before its form.
    harbours = commitment(statement, "fishing harbours")
    page = curator_client.get(reverse("admin:ingest_suggestion_change", args=[harbours.pk])).content.decode()
    assert "placed in no pledge: the best candidate, “stabilization-funding”, scores 0.21" in page


def test_accepting_as_proposed_says_what_was_done_with_each_suggestion(four, statement, curator_client):
    pledge, sharing, harbours, handbook, archives = four
    response = review(curator_client, statement, {"selected": [s.pk for s in four[1:]], "_accept_selected": "x"})
    messages = said(response)
    assert messages[0] == "Accepted 3 suggestions."
    created = {s.pk: Commitment.objects.get(suggestions=s) for s in (sharing, harbours, handbook)}
    assert created[sharing.pk].thread_entries.get().thread == pledge
    assert not created[harbours.pk].thread_entries.exists()
    assert messages[1] == (
        f"“The Ministers will continue to enhance information sharin…”: created the commitment"
        f" “{created[sharing.pk].slug}”, placed in the pledge “{pledge.title}” (repeated)."
    )
    assert messages[2].endswith(
        f"created the commitment “{created[harbours.pk].slug}”, placed in no pledge: the best candidate,"
        " “stabilization-funding”, scores 0.21, below the 0.30 needed to preselect it; open the suggestion to"
        " place it there."
    )
    assert messages[3].endswith("placed in no pledge: no earlier recurring pledge resembles it.")
    assert messages[4].startswith("Not accepted: “Commitment: We call on partners") and "line of effort" in messages[4]
    assert len(messages) == 5


def test_accepting_one_figure_says_so_in_the_singular(statement, curator_client):
    figure = statement.suggestions.get(kind=SuggestionKind.FIGURE)
    messages = said(review(curator_client, statement, {"selected": [figure.pk], "_accept_selected": "x"}))
    assert messages[0] == "Accepted 1 suggestion."
    assert messages[1].startswith("“More than 8 million people”: created the figure “rabat-2024-summary-fig-people”")


def test_a_bulk_reject_on_the_review_page_asks_first_and_says_how_many(statement, curator_client):
    chosen = list(statement.suggestions.filter(kind=SuggestionKind.COMMITMENT)[:3])
    response = review(curator_client, statement, {"selected": [s.pk for s in chosen], "_reject_selected": "x"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Reject 3 suggestions? |" in page
    assert "Are you sure you want to reject these <strong>3</strong> suggestions?" in page
    for suggestion in chosen:
        assert f'<input type="hidden" name="selected" value="{suggestion.pk}">' in page
        assert str(suggestion) in page
    assert f'href="{reverse(REVIEW, args=[statement.pk])}" class="button cancel-link">No, take me back</a>' in page
    assert statement.suggestions.pending().count() == statement.suggestions.count()  # nothing rejected yet

    data = {"selected": [s.pk for s in chosen], "_reject_confirmed": "x", "decision_note": "Not pledges."}
    assert said(review(curator_client, statement, data)) == ["Rejected 3 suggestions. A rejection can be reopened."]
    assert {
        (s.status, s.note, s.decided_by.username) for s in statement.suggestions.filter(pk__in=data["selected"])
    } == {(SuggestionStatus.REJECTED, "Not pledges.", "curator")}


def test_the_changelists_reject_action_asks_first_too(statement, curator_client):
    url = reverse("admin:ingest_suggestion_changelist")
    chosen = [s.pk for s in statement.suggestions.all()[:2]]
    data = {"action": "reject_selected", "_selected_action": chosen}
    page = curator_client.post(url, data).content.decode()
    assert "<title>Reject 2 suggestions? |" in page
    assert '<input type="hidden" name="post" value="yes">' in page
    assert not statement.suggestions.decided().exists()
    response = curator_client.post(url, {**data, "post": "yes"})
    assert response.status_code == 302
    assert said(response) == ["Rejected 2 suggestions. A rejection can be reopened."]
    assert set(statement.suggestions.decided().values_list("pk", flat=True)) == set(chosen)


def test_a_rejected_suggestion_is_reopened_and_its_history_says_by_whom(statement, curator, curator_client):
    suggestion = commitment(statement, "handbook")
    reject_suggestion(suggestion=suggestion, by=curator, note="Not a pledge.")
    page = review(curator_client, statement).content.decode()
    assert f'<button type="submit" name="_reopen" value="{suggestion.pk}" class="button reopen">Reopen</button>' in page

    response = review(curator_client, statement, {"_reopen": suggestion.pk})
    assert response["Location"].endswith(f"#suggestion-{suggestion.pk}")
    assert said(response) == ["Reopened 1 suggestion: it is to review again."]
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by, suggestion.decided_at, suggestion.note) == (
        SuggestionStatus.PENDING, None, None, ""
    )  # fmt: skip
    latest, rejected = suggestion.history.all()[:2]
    assert (latest.history_user, latest.history_change_reason, latest.status) == (
        curator, "Reopened: the rejection was undone", "pending"
    )  # fmt: skip
    assert (rejected.status, rejected.note) == ("rejected", "Not a pledge.")  # the rejection stays in the history
    history = curator_client.get(reverse("admin:ingest_suggestion_history", args=[suggestion.pk])).content.decode()
    assert "Reopened: the rejection was undone" in history


def test_reopening_from_the_suggestions_page_and_the_changelist(statement, curator, curator_client):
    one, two = commitment(statement, "handbook"), commitment(statement, "archives")
    for suggestion in (one, two):
        reject_suggestion(suggestion=suggestion, by=curator)
    change = reverse("admin:ingest_suggestion_change", args=[one.pk])
    assert 'name="_reopen" value="Reopen (to review again)"' in curator_client.get(change).content.decode()
    curator_client.post(change, {"_reopen": "x"})
    curator_client.post(
        reverse("admin:ingest_suggestion_changelist"), {"action": "reopen_selected", "_selected_action": [two.pk]}
    )
    assert statement.suggestions.filter(pk__in=[one.pk, two.pk], status=SuggestionStatus.PENDING).count() == 2


def test_only_a_rejection_is_reopened_and_not_over_a_commitment_quoted_since(statement, curator):
    accepted, rejected = commitment(statement, "INTERPOL"), commitment(statement, "handbook")
    accept_suggestion(suggestion=accepted, by=curator, changes={"line_of_effort": LineOfEffort.objects.first()})
    with pytest.raises(ValidationError, match="this one is accepted"):
        reopen_suggestion(suggestion=accepted, by=curator)
    with pytest.raises(ValidationError, match="this one is to review"):
        reopen_suggestion(suggestion=commitment(statement, "archives"), by=curator)
    reject_suggestion(suggestion=rejected, by=curator)
    line = LineOfEffort.objects.first()
    CommitmentFactory(
        statement=statement,
        start=rejected.start,
        end=rejected.end,
        quote=rejected.quote,
        slug="by-hand",
        line_of_effort=line,
    )
    with pytest.raises(ValidationError, match="“by-hand”, quoted from the statement since, covers this span"):
        reopen_suggestion(suggestion=rejected, by=curator)


def test_auditors_cannot_reopen(statement, curator, auditor, client):
    suggestion = commitment(statement, "handbook")
    reject_suggestion(suggestion=suggestion, by=curator)
    client.force_login(auditor)
    assert "_reopen" not in review(client, statement).content.decode()
    assert review(client, statement, {"_reopen": suggestion.pk}).status_code == 403
    change = reverse("admin:ingest_suggestion_change", args=[suggestion.pk])
    assert client.post(change, {"_reopen": "x"}).status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.REJECTED


# --- the intake drops nothing -------------------------------------------------------------------


def intake(meeting, **overrides):
    data = {"text": "", "meeting": meeting.pk, "slug": "rabat-2024-summary", "title": "Chair's summary"}
    data.update(kind="statement", issuer="Small Group", publisher="", source_url="")
    data.update(overrides)
    return data


def test_an_upload_is_kept_when_another_field_is_missing_and_stored_as_it_was(seeded, curator_client):
    meeting = Meeting.objects.get(slug="rome-2021-ministerial")
    content = TEXT.replace("\n", "\r\n").encode("utf-8")  # CRLF as the file has it: stored byte for byte
    upload = SimpleUploadedFile("rabat <summary>.txt", content)
    response = curator_client.post(reverse(INTAKE), intake(meeting, title="", text_file=upload))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Kept from your upload: <strong>“rabat &lt;summary&gt;.txt”</strong>" in page
    assert f"{len(content.decode()):,} characters, beginning “Chair&#x27;s summary of the Small Group" in page
    kept = response.context["form"].data
    assert base64.b64decode(kept["kept_file"]) == content
    assert f'name="kept_file" value="{kept["kept_file"]}"' in page
    assert not Statement.objects.filter(slug="rabat-2024-summary").exists()

    again = intake(meeting, kept_file=kept["kept_file"], kept_file_name=kept["kept_file_name"])
    response = curator_client.post(reverse(INTAKE), again)
    assert response.status_code == 302
    stored = Statement.objects.get(slug="rabat-2024-summary")
    assert (stored.text.encode("utf-8"), stored.source_file) == (content, "rabat <summary>.txt")


def test_an_upload_is_kept_when_the_statement_is_refused_after_the_form(seeded, curator_client):
    meeting = Meeting.objects.get(slug="rome-2021-ministerial")
    taken = Statement.objects.first().slug
    upload = SimpleUploadedFile("rabat.txt", TEXT.encode("utf-8"))
    response = curator_client.post(reverse(INTAKE), intake(meeting, slug=taken, text_file=upload))
    assert "Statement with this Slug already exists." in response.content.decode()
    assert base64.b64decode(response.context["form"].data["kept_file"]) == TEXT.encode("utf-8")


def test_a_pasted_text_replaces_the_kept_upload(seeded, curator_client):
    meeting = Meeting.objects.get(slug="rome-2021-ministerial")
    kept = base64.b64encode(b"The kept file's text.\n").decode()
    data = intake(meeting, text=TEXT, title="", kept_file=kept, kept_file_name="old.txt")
    response = curator_client.post(reverse(INTAKE), data)
    assert response.context["form"].data["kept_file"] == ""
    assert "Kept from your upload" not in response.content.decode()
    assert TEXT.split("\n")[2] in response.content.decode()  # the pasted text stays in its box


def test_intake_and_decision_forms_are_drawn_as_the_admins_own(statement, curator_client):
    page = curator_client.post(reverse(INTAKE), {"title": "", "text": ""}).content.decode()
    assert '<p class="errornote">Please correct the errors below.</p>' in page
    assert '<h2 id="fieldset-0-0-heading" class="fieldset-heading">Text</h2>' in page
    assert '<div class="form-row errors field-text">' in page
    assert '<ul class="errorlist" id="id_text_error"><li>Paste the statement' in page
    assert 'class="vLargeTextField"' in page and 'class="vDateField"' in page and 'class="vURLField"' in page
    assert '<div class="help" id="id_slug_helptext">' in page
    suggestion = commitment(statement, "handbook")
    page = curator_client.get(reverse("admin:ingest_suggestion_change", args=[suggestion.pk])).content.decode()
    assert '<h2 id="fieldset-0-1-heading" class="fieldset-heading">Accept as a commitment</h2>' in page
    assert '<div class="form-row field-summary">' in page
    assert 'class="vTextField" maxlength="120" required id="id_slug"' in page


def test_the_intake_is_in_the_app_list_beside_the_suggestions(seeded, curator_client, auditor, client):
    add = reverse("admin:ingest_suggestion_add")
    for url in (reverse("admin:index"), reverse("admin:app_list", args=["ingest"])):
        assert f'<a href="{add}" class="addlink"' in curator_client.get(url).content.decode()
    assert curator_client.get(add)["Location"] == reverse(INTAKE)
    client.force_login(auditor)
    assert add not in client.get(reverse("admin:app_list", args=["ingest"])).content.decode()
    assert client.get(add).status_code == 403


def test_the_review_page_still_reads_everything_in_six_queries(
    four, statement, curator, curator_client, django_assert_num_queries
):
    reject_suggestion(suggestion=commitment(statement, "archives"), by=curator)
    review(curator_client, statement)
    with django_assert_num_queries(6):
        page = review(curator_client, statement).content.decode()
    assert page.count("As proposed:") == statement.suggestions.pending().count()
