"""Ingesting a new statement: suggestions a curator reviews, accepts (with edits) or rejects."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.models import ChangeKind, Commitment, ThreadEntry
from core.texts import MAX_STATEMENT_BYTES, sha256_hex
from ingest.corpus import StoredCorpus
from ingest.models import Suggestion, SuggestionKind, SuggestionStatus
from ingest.services import accept_suggestion, ingest_statement, suggestions_for_text
from meetings.models import Figure, Meeting, Qualifier, Statement
from tests.factories import CommitmentFactory, MeetingFactory, StatementFactory, ThreadEntryFactory, ThreadFactory

pytestmark = pytest.mark.django_db

# A statement that is not in the seed: sentences in the style of the sources (a wrapped line, a
# numbered paragraph, a bullet), some continuing seed pledges, some new.
NEW_TEXT = (
    "Statement of the Political Directors\n"
    "\n"
    "  1. The Political Directors reaffirmed their shared determination to continue the fight against\n"
    "Daesh/ISIS and to create conditions for its enduring defeat. We will continue to enhance our information\n"
    "sharing on foreign terrorist fighters, including with INTERPOL.\n"
    "  2. We must continue to increase our stabilization support to liberated areas in Iraq and Syria.\n"
    "More than 8 million people have been freed from its control.\n"
    "- Grow our membership: We welcome Togo as a new member of the Coalition.\n"
)


def counts():
    return (Meeting.objects.count(), Statement.objects.count(), Suggestion.objects.count(), Commitment.objects.count())


def run_ingest(*args):
    from io import StringIO

    out = StringIO()
    call_command("ingest", *map(str, args), stdout=out)
    return out.getvalue()


def write(tmp_path, content, name="statement.txt"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


# --- the dry run -------------------------------------------------------------------------------


def test_dry_run_offsets_hold_on_every_seed_statement_and_nothing_is_written(seeded, tmp_path):
    before = counts()
    for statement in Statement.objects.all():
        path = write(tmp_path, statement.text.encode("utf-8"), f"{statement.slug}.txt")
        result = json.loads(run_ingest(path, "--dry-run", "--json"))
        text = path.read_bytes().decode("utf-8")
        assert result["sha256"] == sha256_hex(text) == statement.sha256
        assert result["suggestions"], statement.slug
        for item in [*result["suggestions"], *result["participations"], *result["evidence"]]:
            assert text[item["start"] : item["end"]] == item["quote"]
        for item in result["figures"]:
            assert 0 <= item["start"] < item["end"] <= len(text)
    assert counts() == before


def test_dry_run_json_has_the_documented_keys_and_types(seeded, tmp_path):
    result = json.loads(run_ingest(write(tmp_path, NEW_TEXT), "--dry-run", "--json"))
    assert set(result) == {"sha256", "suggestions", "figures", "participations", "evidence"}
    keys = {"start", "end", "quote", "cue", "strength", "line_of_effort", "reason", "threads"}
    lines = {"military-support", "stabilization", "ftf-information-sharing", "coalition-cohesion"}
    for item in result["suggestions"]:
        assert set(item) == keys
        assert isinstance(item["start"], int) and isinstance(item["end"], int)
        assert isinstance(item["cue"], str) and item["cue"]
        assert item["strength"] in {"binding", "soft"}
        assert item["line_of_effort"] is None or isinstance(item["line_of_effort"], str)
        assert isinstance(item["reason"], str) and item["reason"]
        assert len(item["threads"]) <= 3
        scores = [t["score"] for t in item["threads"]]
        assert scores == sorted(scores, reverse=True)
        for thread in item["threads"]:
            assert set(thread) == {"thread", "score", "change_kind"}
            assert 0 <= thread["score"] <= 1
            assert thread["change_kind"] in ChangeKind.values
    for item in result["figures"]:
        assert set(item) == {"start", "end", "value", "unit", "qualifier"}
        assert item["qualifier"] in Qualifier.values
    by_quote = {" ".join(i["quote"].split()): i for i in result["suggestions"]}
    sharing = next(i for q, i in by_quote.items() if "INTERPOL" in q)
    assert sharing["threads"][0]["thread"] == "ftf-information-sharing"
    assert sharing["line_of_effort"] in lines
    freed = next(f for f in result["figures"] if f["value"] == 8_000_000)
    assert (freed["unit"], freed["qualifier"]) == ("people", "more-than")


def test_dry_run_without_a_database_of_commitments_suggests_spans_without_pledges(db, tmp_path):
    result = json.loads(run_ingest(write(tmp_path, NEW_TEXT), "--dry-run", "--json"))
    assert result["suggestions"]
    assert all(item["threads"] == [] and item["line_of_effort"] is None for item in result["suggestions"])


# --- bad input, refused with nothing created -----------------------------------------------------

BAD_FILES = [
    (b"", "is empty"),
    (b"  \n\n ", "is empty"),
    (b"We will\x00 continue.", "NUL bytes"),
    ("We will continue à la française.".encode("latin-1"), "not UTF-8"),
    (b"a" * (MAX_STATEMENT_BYTES + 1), "over the limit of 1,000,000 bytes"),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_ingest_command_refuses_bad_files_and_creates_nothing(seeded, tmp_path, content, message):
    meeting = Meeting.objects.first()
    before = counts()
    with pytest.raises(CommandError, match=message):
        run_ingest(write(tmp_path, content), "--meeting", meeting.slug)
    assert counts() == before


def test_ingest_command_refuses_a_text_already_stored(seeded, tmp_path):
    statement = Statement.objects.get(slug="copenhagen-2020-statement")
    before = counts()
    with pytest.raises(CommandError, match="identical .*copenhagen-2020-statement.*--resuggest"):
        run_ingest(write(tmp_path, statement.text), "--meeting", statement.meeting.slug)
    assert counts() == before


def test_ingest_command_refuses_an_unknown_meeting(seeded, tmp_path):
    before = counts()
    with pytest.raises(CommandError, match="Unknown meeting “nowhere-2030”"):
        run_ingest(write(tmp_path, NEW_TEXT), "--meeting", "nowhere-2030")
    assert counts() == before


def test_ingest_command_needs_a_meeting_unless_dry_run(seeded, tmp_path):
    with pytest.raises(CommandError, match="--meeting"):
        run_ingest(write(tmp_path, NEW_TEXT))


def intake_data(**overrides):
    data = {
        "text": NEW_TEXT,
        "meeting": "",
        "new_meeting_slug": "brussels-2022-small-group",
        "new_meeting_name": "Small Group meeting, Brussels, 2022",
        "new_meeting_format": "small-group",
        "new_meeting_city": "Brussels",
        "new_meeting_country": "Belgium",
        "new_meeting_start_date": "2022-05-11",
        "new_meeting_end_date": "2022-05-11",
        "slug": "brussels-2022-statement",
        "title": "Statement of the Political Directors",
        "kind": "statement",
        "issuer": "Political Directors of the Small Group",
        "publisher": "",
        "source_url": "",
    }
    data.update(overrides)
    return data


INTAKE = "admin:ingest_suggestion_intake"


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_intake_page_refuses_bad_uploads_and_creates_nothing(seeded, curator_client, content, message):
    before = counts()
    upload = SimpleUploadedFile("statement.txt", content, content_type="text/plain")
    response = curator_client.post(reverse(INTAKE), intake_data(text="", text_file=upload))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"text": "   "}, "Paste the statement"),
        ({"new_meeting_slug": "", "new_meeting_name": ""}, "A new meeting needs all its details"),
        ({"meeting": "999999", **{f"new_meeting_{n}": "" for n in ("slug", "name", "format", "city", "country")}},
         "Select a valid choice"),
        ({"new_meeting_end_date": "2022-05-01"}, "end"),
    ],
)  # fmt: skip
def test_intake_page_refuses_incomplete_input_and_creates_nothing(seeded, curator_client, overrides, message):
    before = counts()
    response = curator_client.post(reverse(INTAKE), intake_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert counts() == before


def test_intake_page_refuses_a_pasted_text_already_stored(seeded, curator_client):
    text = Statement.objects.get(slug="paris-2019-readout").text
    before = counts()
    response = curator_client.post(reverse(INTAKE), intake_data(text=text))
    assert "identical (same SHA-256) to the stored statement “paris-2019-readout”" in response.content.decode()
    assert counts() == before


def test_intake_page_stores_statement_meeting_and_suggestions_in_one_step(seeded, curator_client):
    response = curator_client.post(reverse(INTAKE), intake_data(text=NEW_TEXT.replace("\n", "\r\n")))
    statement = Statement.objects.get(slug="brussels-2022-statement")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:ingest_suggestion_review", args=[statement.pk])
    assert statement.text == NEW_TEXT  # the browser's CRLF stored as the LF it stands for
    assert statement.meeting.slug == "brussels-2022-small-group"
    assert statement.suggestions.filter(kind=SuggestionKind.COMMITMENT).count() >= 4
    assert statement.suggestions.filter(kind=SuggestionKind.FIGURE, value=8_000_000).exists()
    page = curator_client.get(response["Location"]).content.decode()
    for suggestion in statement.suggestions.all():
        assert f'href="#suggestion-{suggestion.pk}"' in page
        assert f'id="suggestion-{suggestion.pk}"' in page


def test_intake_page_takes_an_uploaded_file_byte_for_byte(seeded, curator_client):
    meeting = Meeting.objects.get(slug="rome-2021-ministerial")
    upload = SimpleUploadedFile("rome-extra.txt", NEW_TEXT.encode("utf-8"))
    data = intake_data(text="", text_file=upload, meeting=meeting.pk, **{f"new_meeting_{n}": "" for n in NEW_MEETING})
    response = curator_client.post(reverse(INTAKE), data)
    assert response.status_code == 302
    statement = Statement.objects.get(slug="brussels-2022-statement")
    assert (statement.text, statement.meeting, statement.position) == (NEW_TEXT, meeting, 2)
    assert statement.source_file == "rome-extra.txt"


NEW_MEETING = ("slug", "name", "format", "city", "country", "start_date", "end_date")


def test_intake_page_is_for_curators(seeded, auditor, client):
    client.force_login(auditor)
    assert client.get(reverse(INTAKE)).status_code == 403


# --- review, accept, reject ---------------------------------------------------------------------


@pytest.fixture
def ingested(seeded):
    meeting = MeetingFactory(slug="brussels-2022", start_date="2022-05-11", end_date="2022-05-11")
    result = ingest_statement(
        text=NEW_TEXT, meeting=meeting, slug="brussels-2022-statement", title="Statement", kind="statement",
        issuer="Political Directors",
    )  # fmt: skip
    return result.statement


def suggestion_with(statement, words):
    return next(s for s in statement.suggestions.filter(kind=SuggestionKind.COMMITMENT) if words in s.quote)


def test_accept_in_the_admin_with_edits_creates_the_commitment_and_its_place_in_the_pledge(ingested, curator_client):
    suggestion = suggestion_with(ingested, "INTERPOL")
    assert suggestion.threads[0]["thread"] == "ftf-information-sharing"
    edited = "We will continue to enhance our information\nsharing on foreign terrorist fighters"
    response = curator_client.post(
        reverse("admin:ingest_suggestion_change", args=[suggestion.pk]),
        {
            "quote": edited.replace("\n", "\r\n"),
            "start": suggestion.start,
            "slug": "brussels-2022-ftf-sharing",
            "line_of_effort": ingested.suggestions.model._meta.get_field("line_of_effort")
            .related_model.objects.get(slug="ftf-information-sharing")
            .pk,
            "actor": "Political Directors",
            "strength": "binding",
            "summary": "Enhance information sharing on FTFs.",
            "assessable": "on",
            "thread": ThreadEntry.objects.filter(thread__slug="ftf-information-sharing").first().thread_id,
            "change_kind": "repeated",
            "_accept": "Accept",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    commitment = Commitment.objects.get(slug="brussels-2022-ftf-sharing")
    assert commitment.quote == edited
    assert commitment.quote_matches()
    assert commitment.summary == "Enhance information sharing on FTFs."
    entry = commitment.thread_entries.get()
    assert (entry.thread.slug, entry.change_kind) == ("ftf-information-sharing", "repeated")
    assert entry.position == entry.thread.entries.count()  # the latest meeting comes last
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.commitment, suggestion.decided_by.username) == (
        SuggestionStatus.ACCEPTED,
        commitment,
        "curator",
    )


def test_accept_refuses_an_edited_quote_that_is_not_in_the_text(ingested, curator_client):
    suggestion = suggestion_with(ingested, "INTERPOL")
    data = {"quote": "We will never share anything", "slug": "x-1", "actor": "We", "strength": "binding"}
    data.update(summary="x", line_of_effort=suggestion.line_of_effort_id or 1, _accept="Accept")
    response = curator_client.post(reverse("admin:ingest_suggestion_change", args=[suggestion.pk]), data)
    assert response.status_code == 200
    assert "This quote is not in the text" in response.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.PENDING
    assert not Commitment.objects.filter(slug="x-1").exists()


def test_reject_in_the_admin_keeps_the_decision_and_creates_nothing(ingested, curator_client):
    suggestion = suggestion_with(ingested, "stabilization support")
    before = Commitment.objects.count()
    response = curator_client.post(
        reverse("admin:ingest_suggestion_change", args=[suggestion.pk]),
        {"decision_note": "A repetition of the readout.", "_reject": "Reject"},
    )
    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.note) == (SuggestionStatus.REJECTED, "A repetition of the readout.")
    assert Commitment.objects.count() == before
    page = curator_client.get(reverse("admin:ingest_suggestion_change", args=[suggestion.pk])).content.decode()
    assert "Rejected by curator" in page
    assert 'name="_accept"' not in page


def test_accept_several_at_once_on_the_review_page(ingested, curator_client):
    pending = list(ingested.suggestions.filter(kind=SuggestionKind.COMMITMENT, line_of_effort__isnull=False)[:2])
    figure = ingested.suggestions.get(kind=SuggestionKind.FIGURE, value=8_000_000)
    response = curator_client.post(
        reverse("admin:ingest_suggestion_review", args=[ingested.pk]),
        {"selected": [s.pk for s in pending] + [figure.pk], "_accept_selected": "Accept"},
    )
    assert response.status_code == 302
    for suggestion in [*pending, figure]:
        suggestion.refresh_from_db()
        assert suggestion.status == SuggestionStatus.ACCEPTED
    created = Commitment.objects.filter(suggestions__in=pending)
    assert created.count() == 2
    assert all(c.quote_matches() for c in created)
    accepted_figure = Figure.objects.get(statement=ingested)
    assert (accepted_figure.metric, accepted_figure.value, accepted_figure.qualifier) == (
        "people-freed",
        8_000_000,
        "more-than",
    )


def test_accept_several_reports_those_that_cannot_be_accepted_and_leaves_them_pending(ingested, curator_client):
    unfiled, filed = ingested.suggestions.filter(kind=SuggestionKind.COMMITMENT)[:2]
    Suggestion.objects.filter(pk=unfiled.pk).update(line_of_effort=None)
    response = curator_client.post(
        reverse("admin:ingest_suggestion_review", args=[ingested.pk]),
        {"selected": [unfiled.pk, filed.pk], "_accept_selected": "Accept"},
        follow=True,
    )
    assert "Choose the line of effort" in response.content.decode()
    unfiled.refresh_from_db()
    filed.refresh_from_db()
    assert (unfiled.status, filed.status) == (SuggestionStatus.PENDING, SuggestionStatus.ACCEPTED)


def test_auditors_see_the_review_page_but_cannot_decide(ingested, auditor, client):
    client.force_login(auditor)
    url = reverse("admin:ingest_suggestion_review", args=[ingested.pk])
    page = client.get(url).content.decode()
    assert "_accept_selected" not in page
    suggestion = ingested.suggestions.first()
    assert client.post(url, {"selected": [suggestion.pk], "_reject_selected": "x"}).status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.is_pending()


def test_review_page_runs_the_same_queries_whatever_the_number_of_suggestions(
    ingested, curator_client, django_assert_num_queries
):
    url = reverse("admin:ingest_suggestion_review", args=[ingested.pk])
    curator_client.get(url)
    suggestion = ingested.suggestions.filter(kind=SuggestionKind.COMMITMENT).first()
    accept_suggestion(suggestion=suggestion, by=None)
    # Session, user, the curator's permissions (groups and own), the statement and its meeting,
    # then every suggestion with its line, pledge, decider, commitment and figure.
    with django_assert_num_queries(6):
        response = curator_client.get(url)
    assert response.status_code == 200
    assert ingested.suggestions.count() > 5


def test_suggestion_changelist_runs_a_constant_number_of_queries(ingested, curator_client, django_assert_num_queries):
    url = reverse("admin:ingest_suggestion_changelist")
    curator_client.get(url)
    # Session, user, permissions (2), count, filtered count, the page, the statement filter's choices.
    with django_assert_num_queries(8):
        assert curator_client.get(url).status_code == 200


# --- suggesting again keeps decisions -----------------------------------------------------------


def test_suggesting_again_does_not_suggest_what_a_curator_decided(ingested, tmp_path, curator_client):
    accepted = suggestion_with(ingested, "INTERPOL")
    rejected = suggestion_with(ingested, "stabilization support")
    accept_suggestion(suggestion=accepted, by=None)
    curator_client.post(reverse("admin:ingest_suggestion_change", args=[rejected.pk]), {"_reject": "Reject"})
    pending_before = set(ingested.suggestions.pending().values_list("kind", "start", "end"))
    decided_before = list(ingested.suggestions.decided().values_list("pk", "status", "start", "end"))

    path = write(tmp_path, NEW_TEXT)
    with pytest.raises(CommandError, match="identical"):
        run_ingest(path, "--meeting", "brussels-2022")
    out = run_ingest(path, "--meeting", "brussels-2022", "--resuggest")
    assert "already decided not suggested again" in out

    assert list(ingested.suggestions.decided().values_list("pk", "status", "start", "end")) == decided_before
    assert set(ingested.suggestions.pending().values_list("kind", "start", "end")) == pending_before
    for suggestion in ingested.suggestions.pending():
        assert not suggestion.overlaps(accepted.start, accepted.end)
        assert not suggestion.overlaps(rejected.start, rejected.end)

    # The admin's button does the same.
    response = curator_client.post(
        reverse("admin:ingest_suggestion_review", args=[ingested.pk]), {"_resuggest": "again"}
    )
    assert response.status_code == 302
    assert set(ingested.suggestions.pending().values_list("kind", "start", "end")) == pending_before


def test_resuggest_needs_a_stored_text(seeded, tmp_path):
    with pytest.raises(CommandError, match="no stored statement has this text"):
        run_ingest(write(tmp_path, NEW_TEXT), "--resuggest")


def test_ingest_command_stores_the_statement_and_reports_suggestions(seeded, tmp_path):
    out = run_ingest(write(tmp_path, NEW_TEXT, "brussels-2022.txt"), "--meeting", "rome-2021-ministerial")
    statement = Statement.objects.get(slug="brussels-2022")
    assert statement.text == NEW_TEXT and statement.source_file == "brussels-2022.txt"
    assert f"{statement.suggestions.count()} suggestions to review" in out
    assert not Commitment.objects.filter(statement=statement).exists()  # proposals only


# --- the index and the evaluation ---------------------------------------------------------------


def found(postings, key="key"):
    return [found_id for found_id, _ in postings[key]]


def test_search_index_follows_every_write(db):
    commitment = CommitmentFactory(phrase="We welcome Libya as the 68th member.")
    corpus = StoredCorpus()
    characters = len(commitment.quote) + len(commitment.summary)
    assert corpus.postings({"key": ["libya"]}, 5) == {"key": [(commitment.pk, characters)]}
    Commitment.objects.filter(pk=commitment.pk).update(quote="We will continue to enhance", end=commitment.start + 27)
    assert found(corpus.postings({"key": ["libya"]}, 5)) == []
    assert found(StoredCorpus().postings({"key": ["enhance"]}, 5)) == [commitment.pk]
    Commitment.objects.filter(pk=commitment.pk).delete()
    assert found(StoredCorpus().postings({"key": ["enhance"]}, 5)) == []


def test_search_hides_the_excluded_statement_and_lists_the_newest_first(db):
    statement = StatementFactory()
    older, newer = CommitmentFactory(statement=statement), CommitmentFactory(statement=statement)
    other = CommitmentFactory()
    assert found(StoredCorpus().postings({"key": ["interpol"]}, 5)) == [other.pk, newer.pk, older.pk]
    assert found(StoredCorpus().postings({"key": ["interpol"]}, 2)) == [other.pk, newer.pk]
    assert found(StoredCorpus(exclude_statement=statement.pk).postings({"key": ["interpol"]}, 5)) == [other.pk]


def test_both_databases_index_words_alike(db):
    """Words cut at punctuation and stemmed by Porter, whatever the database (PostgreSQL's own
    parser would read "Daesh/ISIS" as one path; its english stemmer keeps "communities" and
    "communications" apart)."""
    text = "The co-leads will fight Daesh/ISIS in 7.7 communities."
    commitment = CommitmentFactory(statement=StatementFactory(text=text), phrase=text, summary="")
    thread = ThreadFactory(title="Support to the co-leads", description="Daesh/ISIS communications.")
    corpus = StoredCorpus()
    for words in (["daesh"], ["isis"], ["leads"], ["communications"], ["fighting"]):
        assert found(corpus.postings({"key": words}, 5)) == [commitment.pk], words
    assert found(corpus.postings({"key": ["isis", "nowhere"]}, 5)) == [commitment.pk]
    assert found(corpus.thread_postings({"key": ["community"]}, 5)) == [thread.pk]
    assert found(corpus.postings({"key": ["together"]}, 5)) == []


def test_words_the_two_porter_stemmers_treat_differently_are_not_looked_up():
    from ingest.corpus import indexed_alike

    assert indexed_alike("stabilization") and indexed_alike("interpol") and indexed_alike("leads")
    # FTS5 leaves "us" unstemmed, so "use" (stemmed "us") would find it there only; FTS5 follows
    # Porter's later revision for -logi and -bli.
    assert not any(indexed_alike(word) for word in ("use", "used", "ideology", "ideological", "possible", "possibly"))


def test_word_rarity_is_counted_over_the_newest_commitments_but_the_hidden_statement(db, monkeypatch):
    monkeypatch.setattr(StoredCorpus, "SAMPLE", 2)
    hidden = StatementFactory()
    CommitmentFactory(statement=hidden, summary="hidden")
    oldest, older, newest = (CommitmentFactory(summary=word) for word in ("oldest", "older", "newest"))
    CommitmentFactory(statement=hidden, summary="hidden too")
    corpus = StoredCorpus(exclude_statement=hidden.pk)
    assert [summary for _, _, summary in corpus.sample] == ["newest", "older"]
    assert corpus.sample_floor == older.pk
    monkeypatch.setattr(StoredCorpus, "SAMPLE", 10)
    small = StoredCorpus(exclude_statement=hidden.pk)
    assert [summary for _, _, summary in small.sample] == ["newest", "older", "oldest"]
    assert small.sample_floor is None  # the whole table: every look-up reads it all


def test_suggestions_do_not_depend_on_the_database_statistics(seeded):
    statement = Statement.objects.get(slug="copenhagen-2020-statement")
    before = suggestions_for_text(statement.text, meeting=statement.meeting, exclude_statement=statement.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    after = suggestions_for_text(statement.text, meeting=statement.meeting, exclude_statement=statement.pk)
    assert after == before
    assert any(item["threads"] for item in after["suggestions"])


def test_suggesting_runs_the_same_queries_whatever_the_number_of_stored_commitments(db, monkeypatch):
    from ingest import ranking

    # A small sample and short lists, so that common words are looked up among the newest only.
    monkeypatch.setattr(StoredCorpus, "SAMPLE", 3)
    monkeypatch.setattr(ranking, "POSTINGS", 2)
    thread = ThreadFactory(title="Information sharing on foreign terrorist fighters")
    statement = StatementFactory()

    def queries():
        with CaptureQueriesContext(connection) as context:
            result = suggestions_for_text(NEW_TEXT)
        return len(context.captured_queries), result

    for position in range(1, 6):
        commitment = CommitmentFactory(statement=statement)
        kind = "new" if position == 1 else "repeated"
        ThreadEntryFactory(thread=thread, commitment=commitment, position=position, change_kind=kind)
    few, first = queries()
    for _ in range(45):
        CommitmentFactory(statement=statement)
    many, result = queries()
    assert many == few
    sharing = next(item for item in result["suggestions"] if "INTERPOL" in item["quote"])
    assert sharing["threads"][0]["thread"] == thread.slug


def test_search_index_exists_for_this_database(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            names = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master").fetchall()}
            assert {"commitments_commitment_fts", "commitments_commitment_fts_insert"} <= names
        else:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname = 'commitments_commitment_search_document'"
            )
            assert cursor.fetchone()
            cursor.execute("SELECT to_tsvector('commitments_porter', 'communities')::text")
            assert cursor.fetchone()[0] == "'commun':1"


def test_evaluate_ingest_prints_the_quality_table(seeded):
    from io import StringIO

    out = StringIO()
    call_command("evaluate_ingest", stdout=out)
    table = out.getvalue().splitlines()
    assert "span precision" in table[0] and "pledge top-1" in table[0]
    assert [line.split()[0] for line in table[1:]] == [
        "berlin-2016-joint-statement",
        "paris-2019-roadmap",
        "paris-2019-readout",
        "copenhagen-2020-statement",
        "rome-2021-ministerial-statement",
        "overall",
    ]
    out = StringIO()
    call_command("evaluate_ingest", "--json", "--statement", "copenhagen-2020-statement", stdout=out)
    report = json.loads(out.getvalue())
    assert [s["statement"] for s in report["statements"]] == ["copenhagen-2020-statement"]
    assert (
        report["overall"]["counts"]["curated"]
        == Commitment.objects.filter(statement__slug="copenhagen-2020-statement").count()
    )
    for key in ("precision", "recall", "line_of_effort", "top1", "top3", "change_kind"):
        assert 0 <= report["overall"][key] <= 1


def test_evaluate_ingest_refuses_an_unknown_statement(seeded):
    with pytest.raises(CommandError, match="Unknown statement"):
        call_command("evaluate_ingest", "--statement", "nope")


def test_the_database_refuses_a_suggestion_whose_quote_does_not_fill_its_span(db):
    from django.db import IntegrityError

    statement = StatementFactory()
    with pytest.raises(IntegrityError):
        Suggestion.objects.create(statement=statement, start=0, end=5, quote="We")


def test_candidates_follow_sentences_across_layouts_and_skip_descriptions():
    from ingest.cues import commitment_candidates
    from ingest.figures import figures

    text = (
        "Joint Statement\n"
        "\n"
        "  1. The Ministers met at the invitation of the U.S. Secretary of State. The Coalition has\n"
        "\n"
        "liberated all territory. We will continue to enhance information\n"
        "sharing, including with INTERPOL, and stand ready to assist the GNA.\n"
        "  2. Daesh continues to pose a threat.\n"
        "- Tackle global networks: We have amassed expertise.\n"
        "Appropriate measures remain essential.\n"
    )
    quotes = [(text[c.start : c.end], c.cue, c.strength) for c in commitment_candidates(text)]
    assert quotes == [
        ("We will continue to enhance information\nsharing, including with INTERPOL", "will continue to", "binding"),
        ("stand ready to assist the GNA.", "stand ready", "soft"),
        ("Tackle global networks", "Tackle", "binding"),
        ("Appropriate measures remain essential.", "remain essential", "soft"),
    ]
    assert figures("more than $2.3 billion and nearly 110,000 square kilometers, Resolution 2254 in 2016") == [
        {"start": 0, "end": 22, "value": 2_300_000_000, "unit": "USD", "qualifier": "more-than"},
        {"start": 27, "end": 59, "value": 110_000, "unit": "km2", "qualifier": "nearly"},
    ]


def test_continue_to_commits_as_much_as_what_it_continues():
    from ingest.cues import commitment_candidates

    text = (
        "We continue to support the Government of Iraq. We should continue to support reconciliation. "
        "We will continue to support the forces. We continue to focus on stabilization. "
        "We continue to be deeply concerned about the crisis."
    )
    assert [(c.cue, c.strength) for c in commitment_candidates(text)] == [
        ("continue to", "soft"),
        ("should continue to", "soft"),
        ("will continue to", "binding"),
        ("continue to", "binding"),
        ("continue to, deeply concerned", "soft"),
    ]


# --- suggestions in the third person and in numbered action plans (invented sentences) -----------


def dry_run_spans(tmp_path, text):
    """What the dry run suggests for `text`: (quote, cue, strength) of each commitment suggestion."""
    result = json.loads(run_ingest(write(tmp_path, text), "--dry-run", "--json"))
    for item in result["suggestions"]:
        assert text[item["start"] : item["end"]] == item["quote"]
    return [(item["quote"], item["cue"], item["strength"]) for item in result["suggestions"]]


def test_reported_commitments_of_a_reporting_subject_bind(db, tmp_path):
    text = (
        "The Ministers agreed on a joint approach to screening at land borders. "
        "The Forum endorsed the new framework for supporting victims. "
        "The Steering Group decided to convene a working group on financing. "
        "Partners adopted a set of good practices on prison management. "
        "The Co-Chairs announced the creation of a fund for community resilience. "
        "The Council expressed its firm commitment to rebuilding schools in the region. "
        "By widening its membership, the Alliance strives to reach further."
    )
    assert dry_run_spans(tmp_path, text) == [
        ("The Ministers agreed on a joint approach to screening at land borders.", "agreed on", "binding"),
        ("The Forum endorsed the new framework for supporting victims.", "endorsed", "binding"),
        ("The Steering Group decided to convene a working group on financing.", "decided", "binding"),
        ("Partners adopted a set of good practices on prison management.", "adopted a", "binding"),
        (
            "The Co-Chairs announced the creation of a fund for community resilience.",
            "announced the creation",
            "binding",
        ),
        (
            "The Council expressed its firm commitment to rebuilding schools in the region.",
            "expressed its firm commitment",
            "binding",
        ),
        ("By widening its membership, the Alliance strives to reach further.", "strives to", "binding"),
    ]


def test_reported_positions_of_a_reporting_subject_are_soft(db, tmp_path):
    text = (
        "Participants reiterated the importance of protecting civilians. "
        "Members expressed continued support for training local police. "
        "They reconfirmed that stabilization remains a shared priority. "
        "The Council calls upon all States to criminalise the financing of travel. "
        "Political Directors underscored the need for more exchange of data. "
        "The Ministers met in Oslo, stressing the value of regional ownership."
    )
    assert dry_run_spans(tmp_path, text) == [
        ("Participants reiterated the importance of protecting civilians.", "reiterated", "soft"),
        ("Members expressed continued support for training local police.", "expressed continued support", "soft"),
        (
            "They reconfirmed that stabilization remains a shared priority.",
            "reconfirmed, remains a shared priority",
            "soft",
        ),
        ("The Council calls upon all States to criminalise the financing of travel.", "calls upon", "soft"),
        ("Political Directors underscored the need for more exchange of data.", "underscored", "soft"),
        ("The Ministers met in Oslo, stressing the value of regional ownership.", "stressing", "soft"),
    ]


def test_a_list_lead_in_gives_its_items_their_subject(db, tmp_path):
    items = "a) welcomes the new rules on screening travellers,\nb) invites the agencies to share their data.\n"
    assert dry_run_spans(tmp_path, "The Board:\n" + items) == []  # "Board" is no reporting subject
    text = "The Council:\n" + items
    assert dry_run_spans(tmp_path, text) == [
        ("welcomes the new rules on screening travellers", "welcomes", "soft"),
        ("invites the agencies to share their data.", "invites", "soft"),
    ]


def test_nominal_items_of_a_numbered_action_plan_are_pillars(db, tmp_path):
    text = (
        "The partners set out the lines of their plan:\n"
        "1. Strengthening and enhancing aviation security at regional airports\n"
        "2. Countering online recruitment through community networks\n"
        "\n"
        "Action 2: Finance\n"
        "\n"
        "Disruption of illicit revenue streams\n"
        "\n"
        "Strengthening Regional Ties\n"
        "\n"
        "The region saw strong growth.\n"
    )
    assert dry_run_spans(tmp_path, text) == [
        ("Strengthening and enhancing aviation security at regional airports", "Strengthening", "binding"),
        ("Countering online recruitment through community networks", "Countering", "binding"),
        ("Disruption of illicit revenue streams", "Disruption", "binding"),
    ]


def test_reports_of_progress_meetings_and_mandates_are_not_suggested(db, tmp_path):
    text = (
        "The Ministers discussed the humanitarian situation in the region. "
        "Participants were briefed on the work of the finance group. "
        "Members exchanged views on detention facilities. "
        "Partners have raised $3 billion for stabilization since 2015. "
        "The Coalition has made progress in reducing online propaganda. "
        "Two hundred hostages were freed last year. "
        "The Group's mandate is to coordinate efforts against illicit finance. "
        "We have committed to providing training to local forces. "
        "Leaders have agreed on a plan for the region. "
        "The principles adopted in Rome guide the Group. "
        "Members have adopted the guidelines."
    )
    assert dry_run_spans(tmp_path, text) == []


def test_a_named_member_reports_its_own_commitment_but_daesh_does_not(db, tmp_path):
    text = (
        "Italy announced the establishment of a training centre for police officers. "
        "The Netherlands also reiterated the importance of demining. "
        "Daesh announced the creation of a new province in the desert. "
        "The situation reaffirmed the fears of the population."
    )
    assert dry_run_spans(tmp_path, text) == [
        (
            "Italy announced the establishment of a training centre for police officers.",
            "announced the establishment",
            "binding",
        ),
        ("The Netherlands also reiterated the importance of demining.", "reiterated", "soft"),
    ]


def test_a_body_described_as_committed_is_a_mandate_not_a_pledge(db, tmp_path):
    text = (
        "The Ministers of the Network, a practical platform committed to sharing expertise, met in Lima. "
        "The Network is committed to sharing expertise with new partners."
    )
    assert dry_run_spans(tmp_path, text) == [
        ("The Network is committed to sharing expertise with new partners.", "committed to", "binding"),
    ]


def test_delegations_report_and_roman_numbered_pillars_count(db, tmp_path):
    text = (
        "Delegations welcomed the new guidance on returning families.\n"
        "\n"
        "Pillar II: Resilience\n"
        "\n"
        "Protection of critical infrastructure in the region\n"
    )
    assert dry_run_spans(tmp_path, text) == [
        ("Delegations welcomed the new guidance on returning families.", "welcomed", "soft"),
        ("Protection of critical infrastructure in the region", "Protection", "binding"),
    ]


def test_renewing_a_commitment_binds_and_renewing_a_view_is_soft(db, tmp_path):
    text = (
        "Participants reaffirmed their commitment to rebuilding schools in liberated areas. "
        "Participants reaffirmed the value of regional dialogue."
    )
    assert dry_run_spans(tmp_path, text) == [
        (
            "Participants reaffirmed their commitment to rebuilding schools in liberated areas.",
            "reaffirmed their commitment",
            "binding",
        ),
        ("Participants reaffirmed the value of regional dialogue.", "reaffirmed", "soft"),
    ]


def test_accepting_one_suggestion_says_so_in_the_singular(ingested, curator_client):
    suggestion = ingested.suggestions.filter(kind=SuggestionKind.COMMITMENT, line_of_effort__isnull=False).first()
    url = reverse("admin:ingest_suggestion_review", args=[ingested.pk])
    page = curator_client.post(url, {"selected": [suggestion.pk], "_accept_selected": "Accept"}, follow=True)
    assert "Accepted 1 suggestion." in page.content.decode()
    two = list(ingested.suggestions.pending().filter(kind=SuggestionKind.COMMITMENT)[:2])
    page = curator_client.post(url, {"selected": [s.pk for s in two], "_reject_confirmed": "Yes"}, follow=True)
    assert "Rejected 2 suggestions." in page.content.decode()


def test_the_review_page_shows_figures_as_numbers_read(ingested, curator_client):
    page = curator_client.get(reverse("admin:ingest_suggestion_review", args=[ingested.pk])).content.decode()
    assert "Value 8,000,000 ·" in page
    assert "8000000.0000" not in page


def test_the_ingest_is_linked_from_the_admin_home_and_the_statements_list(seeded, curator_client, auditor, client):
    intake = reverse(INTAKE)
    for url in (reverse("admin:index"), reverse("admin:meetings_statement_changelist")):
        assert f'href="{intake}" class="addlink">Ingest a new statement</a>' in curator_client.get(url).content.decode()
    client.force_login(auditor)
    assert "Ingest a new statement" not in client.get(reverse("admin:index")).content.decode()


def test_intake_flags_a_nearly_identical_statement_of_the_same_meeting_and_stores_it_when_ticked(
    seeded, curator_client
):
    stored = Statement.objects.get(slug="paris-2019-readout")
    lines = stored.text.splitlines(keepends=True)
    copy = "".join(lines[1:])  # its first line (a banner, say) removed
    data = intake_data(text=copy, meeting=stored.meeting.pk, **{f"new_meeting_{n}": "" for n in NEW_MEETING})
    before, at_meeting = counts(), stored.meeting.statements.count()
    page = curator_client.post(reverse(INTAKE), data).content.decode()
    assert "nearly identical to the stored statement “paris-2019-readout”" in page
    assert 'name="store_anyway"' in page
    assert counts() == before
    response = curator_client.post(reverse(INTAKE), {**data, "store_anyway": "on"})
    assert response.status_code == 302
    assert stored.meeting.statements.count() == at_meeting + 1
