"""Quote matching: a quote pasted the way it comes (from a PDF, a web page, the admin's own display)
is found in the verbatim text, and the text's own characters and offsets are what is stored."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st

from core.spans import FOLDED, IGNORED, QuotePlaces, display_text, fold, quote_places, resolve_span, span_at
from meetings.models import Statement

ROME = (
    "Daesh/ISIS will continue to be pressured by curbing its ability to raise\n"
    " revenue, enhancing information sharing. The Coalition’s “whole-of-government” approach –\n"
    "military and civilian – remains essential. We welcome Libya. We welcome the progress.\n"
    "Operation *Inherent Resolve* raised approximately \\$20 billion.\n"
)


def statement(text=ROME):
    """An unsaved statement: matching reads only its text and title."""
    return Statement(title="Rome statement", text=text)


# -- fold: the normalised view and its offset map --------------------------------------------------


def test_fold_turns_white_space_runs_into_one_space_and_maps_them_to_the_whole_run():
    folded = fold("a \n\t b")
    assert folded.text == "a b"
    assert folded.span(1, 2) == (1, 5)


@pytest.mark.parametrize("char", ["\u2018", "\u2019", "\u201a", "\u201b", "\u2032", "\u02bc"])
def test_fold_makes_every_single_quotation_mark_an_apostrophe(char):
    assert fold(f"Da{char}esh").text == "Da'esh"


@pytest.mark.parametrize("char", ["\u201c", "\u201d", "\u201e", "\u201f", "\u2033"])
def test_fold_makes_every_double_quotation_mark_straight(char):
    assert fold(f"{char}x{char}").text == '"x"'


@pytest.mark.parametrize("dash", ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "--"])
def test_fold_makes_every_dash_and_run_of_dashes_one_hyphen(dash):
    assert fold(f"a {dash} b").text == "a - b"


def test_fold_drops_invisible_characters_and_the_captures_markdown_but_keeps_them_inside_spans():
    text = "stabili\u00adzation *Inherent Resolve* \\$20"
    folded = fold(text)
    assert folded.text == "stabilization Inherent Resolve $20"
    start = folded.text.index("Inherent")
    # The span of "Inherent Resolve" leaves the asterisks at its edges out.
    assert text[slice(*folded.span(start, start + len("Inherent Resolve")))] == "Inherent Resolve"
    whole = folded.span(0, len(folded.text))
    assert text[slice(*whole)] == text


def test_fold_leaves_every_other_character_alone():
    text = "Résumé: 7.7 million (approx.) & 68th; ½ — done?"
    assert fold(text).text == text.replace("—", "-")


# -- properties ------------------------------------------------------------------------------------

# Characters a statement is made of: letters, punctuation, and every character folding touches.
ALPHABET = st.sampled_from(list("abcde XYZ.,;()$\\\n\t") + list(FOLDED) + list(IGNORED) + ["\u00a0", "\u2009"])
TEXTS = st.text(alphabet=ALPHABET, min_size=1, max_size=80)


@given(TEXTS)
def test_each_folded_character_comes_from_its_span_of_the_original(text):
    folded = fold(text)
    assert len(folded.text) == len(folded.starts) == len(folded.ends)
    previous_end = 0
    for index, char in enumerate(folded.text):
        start, end = folded.span(index, index + 1)
        assert previous_end <= start < end <= len(text)
        assert fold(text[start:end]).text == char
        previous_end = end


@given(TEXTS)
def test_folding_is_idempotent(text):
    once = fold(text).text
    assert fold(once).text == once


# A variant of a passage as a copy of it might come: each character swapped for one folding treats alike.
SAME_WHEN_FOLDED = {
    " ": [" ", "\n", "  ", "\n ", "\u00a0", "\t"],
    "'": ["'", "\u2019", "\u2018"],
    '"': ['"', "\u201c", "\u201d"],
    "-": ["-", "\u2013", "\u2014", "--"],
}


@st.composite
def passage_and_copy(draw):
    """A text, a passage of it that begins and ends on a visible character, and a copy of the passage."""
    text = draw(TEXTS)
    visible = [i for i, char in enumerate(text) if not char.isspace() and char not in IGNORED]
    assume(visible)
    start = draw(st.sampled_from(visible))
    end = draw(st.sampled_from([i + 1 for i in visible if i >= start]))
    # A passage cut between the capture's `\` and the `$` it escapes is not a passage anyone copies.
    assume(not (text[end - 1] == "\\" and text[end : end + 1] == "$"))
    folded_passage = fold(text[start:end]).text
    copy = "".join(draw(st.sampled_from(SAME_WHEN_FOLDED.get(char, [char]))) for char in folded_passage)
    return text, start, end, copy


def folded_index_at(folded, offset):
    """The index of the folded character whose span holds `offset` (a passage may begin inside a run of dashes)."""
    return max(i for i, start in enumerate(folded.starts) if start <= offset)


@given(passage_and_copy())
def test_a_copy_of_a_passage_is_found_where_it_was_taken_and_stored_as_the_text_has_it(case):
    text, start, end, copy = case
    places = quote_places(text, copy)
    for found_start, found_end in places:
        # What is stored is always the text's own characters, equal to the copy once folded.
        assert fold(text[found_start:found_end]).text == fold(copy).text.strip(" ")
    if copy in text:
        # The copy is in the text as it is: those places win, and only they are offered.
        assert all(text[found_start:found_end] == copy for found_start, found_end in places)
        return
    folded = fold(text)
    taken_at = folded.starts[folded_index_at(folded, start)]
    assert taken_at in [found_start for found_start, _ in places]


@given(passage_and_copy())
def test_a_start_offset_finds_the_copy_at_that_place(case):
    text, start, end, copy = case
    folded = fold(text)
    taken_at = folded.starts[folded_index_at(folded, start)]
    found = span_at(text, copy, taken_at)
    assert found is not None and found[0] == taken_at
    assert fold(text[found[0] : found[1]]).text == fold(copy).text.strip(" ")


@given(TEXTS, TEXTS)
def test_an_exact_occurrence_wins_over_folded_ones(before, after):
    quote = "it’s – “done”"
    text = before + 'it\'s - "done" ' + quote + after
    start = text.index(quote)
    assert quote_places(text, quote) == [(start, start + len(quote))]


# -- resolve_span: what the admin and the API call -------------------------------------------------


def test_a_quote_with_a_space_for_a_line_break_and_straight_quotes_is_stored_as_the_text_has_it():
    quote, start, end = resolve_span(
        statement(), "raise revenue, enhancing information sharing. The Coalition's \"whole"
    )
    assert quote == "raise\n revenue, enhancing information sharing. The Coalition’s “whole"
    assert ROME[start:end] == quote


def test_a_passage_copied_from_the_display_across_a_line_that_starts_with_a_space_is_found():
    shown = display_text(ROME)  # what the admin's display of a quote shows: white space folded
    copied = shown[shown.index("to raise") : shown.index("sharing.") + len("sharing.")]
    assert copied == "to raise revenue, enhancing information sharing."
    quote, start, end = resolve_span(statement(), copied)
    assert quote == "to raise\n revenue, enhancing information sharing."
    assert (start, end) == (ROME.index("to raise"), ROME.index("sharing.") + len("sharing."))


def test_dashes_and_the_captures_escapes_may_differ():
    quote, _, _ = resolve_span(statement(), "approach - military and civilian - remains")
    assert quote == "approach –\nmilitary and civilian – remains"
    quote, _, _ = resolve_span(statement(), "Operation Inherent Resolve raised approximately $20 billion.")
    assert quote == "Operation *Inherent Resolve* raised approximately \\$20 billion."


def test_an_exact_quote_keeps_the_white_space_it_begins_with():
    assert resolve_span(statement(), " revenue,")[0] == " revenue,"


def test_a_folded_quote_never_begins_or_ends_with_white_space():
    quote, start, _ = resolve_span(statement(), "\n\nenhancing information sharing. \n")
    assert quote == "enhancing information sharing."
    assert start == ROME.index("enhancing")


def test_an_ambiguous_quote_lists_every_place_with_its_offset_and_words_around_it():
    with pytest.raises(QuotePlaces) as refused:
        resolve_span(statement(), "We welcome")
    first, second = ROME.index("We welcome Libya"), ROME.index("We welcome the progress")
    assert refused.value.places == [(first, first + 10), (second, second + 10)]
    message = refused.value.message_dict["quote"][0]
    assert message.startswith("This quote occurs 2 times in “Rome statement”")
    assert (
        f"at offset {first}: “…approach – military and civilian – remains essential. [We welcome] Libya. We welcome"
        in message
    )
    assert f"at offset {second}:" in message
    assert "(`start`)" in message


def test_a_start_offset_picks_one_of_the_places():
    second = ROME.index("We welcome the progress")
    assert resolve_span(statement(), "We welcome", start=second) == ("We welcome", second, second + 10)


def test_a_quote_given_with_offsets_that_do_not_match_it_is_refused_not_looked_up_elsewhere():
    with pytest.raises(ValidationError) as refused:
        resolve_span(statement(), "We welcome Libya", start=3)
    message = refused.value.message_dict["quote"][0]
    assert "This quote is not at offset 3" in message
    assert f"It is at offset {ROME.index('We welcome Libya')}" in message
    with pytest.raises(ValidationError) as refused:
        resolve_span(statement(), "We welcome Libya", start=ROME.index("We welcome Libya"), end=5)
    assert list(refused.value.message_dict) == ["end"]


def test_a_quote_not_in_the_text_says_where_it_parts_from_it():
    with pytest.raises(ValidationError) as refused:
        resolve_span(statement(), "curbing its ability to raise revenue, enhancing intelligence sharing")
    (message,) = refused.value.message_dict["quote"]
    assert "is not in the text of “Rome statement”" in message
    assert "matches the text at offset 44 up to “…its ability to raise revenue, enhancing”" in message
    assert "the text reads “information sharing. The Coalition’s" in message
    assert "where the quote has “intelligence sharing" in message


def test_offsets_alone_give_the_quote_and_out_of_range_offsets_are_refused_on_end():
    start = ROME.index("Libya")
    assert resolve_span(statement(), "", start=start, end=start + 5) == ("Libya", start, start + 5)
    with pytest.raises(ValidationError) as refused:
        resolve_span(statement(), "", start=5, end=10_000)
    assert list(refused.value.message_dict) == ["end"]


@pytest.mark.parametrize("quote", ["", "   \n"])
def test_an_empty_quote_is_refused(quote):
    with pytest.raises(ValidationError):
        resolve_span(statement(), quote)
