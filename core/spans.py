"""Span tools, pure: finding a quote's offsets in a text, checking a span, a quote in its context.

A quote is held as character offsets into a statement's verbatim text; `text[start:end] == quote`
always. Curators paste quotes rather than count characters, and pasted text rarely matches byte
for byte: a PDF or web page gives a space where the capture has a line break, straight
apostrophes where it has curly ones, a hyphen for a dash. `resolve_span()` turns what they give
(a quote, offsets, or both) into the exact span: it looks for the quote as given and, failing
that, with those differences folded away (`fold()`), and always stores the text's own characters.
The admin's forms (`core.admin.quotes`) and the API's serializers both call it, so a quote is
matched the same way wherever it comes from.
"""

import bisect
from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ValidationError

# What folding treats as the same character. Single and double quotation marks (and primes, which
# OCR and PDFs produce for them) become the ASCII ones; every dash and minus becomes a hyphen.
FOLDED = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
    **dict.fromkeys("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d", "-"),
}
# Invisible characters that copying adds or drops (soft hyphen, zero-width spaces and joiners, BOM),
# and the capture's Markdown emphasis, which a reader never sees (`display_text` drops it too).
IGNORED = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff*")

# A quote's place in a text: (start, end) character offsets, `text[start:end]` the quote.
Span = tuple[int, int]


class QuotedText(Protocol):
    """What the span tools read of a statement (`meetings.models.Statement`, which this layer cannot import):
    its verbatim text, an excerpt of it that refuses offsets outside it, and its name (`str()`) for messages."""

    @property
    def text(self) -> str: ...

    def excerpt(self, start: int, end: int) -> str: ...


@dataclass(frozen=True)
class FoldedText:
    """A text with white space, quotation marks and dashes folded, and where each character came from.

    `text[i]` stands for `original[starts[i]:ends[i]]`: a run of white space (or of dashes) is one
    character of the folded text; ignored characters stand for nothing.
    """

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> Span:
        """The original's (start, end) for the folded text's [start, end)."""
        return self.starts[start], self.ends[end - 1]

    def index_of(self, original_offset: int) -> int | None:
        """The folded index whose character begins at `original_offset`, or None."""
        index = bisect.bisect_left(self.starts, original_offset)
        if index < len(self.starts) and self.starts[index] == original_offset:
            return index
        return None


def fold(text: str) -> FoldedText:
    """`text` as quotes are compared: white space runs as one space, quotes and dashes plain, invisibles gone."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    length = len(text)
    for i, char in enumerate(text):
        if char in IGNORED or (char == "\\" and i + 1 < length and text[i + 1] == "$"):
            # Dropped (`\$` is how the capture escapes a dollar sign). Between two characters of a
            # match it stays in the span; at either edge it stays out.
            continue
        folded = " " if char.isspace() else FOLDED.get(char, char)
        if folded in (" ", "-") and chars and chars[-1] == folded:
            ends[-1] = i + 1  # the run of white space or dashes goes on
            continue
        chars.append(folded)
        starts.append(i)
        ends.append(i + 1)
    return FoldedText("".join(chars), tuple(starts), tuple(ends))


def _occurrences(haystack: str, needle: str) -> list[int]:
    """Every index where `needle` begins in `haystack`, overlapping ones included."""
    found: list[int] = []
    index = haystack.find(needle)
    while index != -1:
        found.append(index)
        index = haystack.find(needle, index + 1)
    return found


def quote_places(text: str, quote: str) -> list[Span]:
    """Every (start, end) span of `text` that the quote stands for.

    The quote as given, where it occurs; otherwise the places where it occurs once white space,
    quotation marks and dashes are folded (its own leading and trailing white space aside). An
    exact match always wins over a folded one.
    """
    if not quote:
        return []
    exact = _occurrences(text, quote)
    if exact:
        return [(start, start + len(quote)) for start in exact]
    needle = fold(quote).text.strip(" ")
    if not needle:
        return []
    folded = fold(text)
    return [folded.span(start, start + len(needle)) for start in _occurrences(folded.text, needle)]


def span_at(text: str, quote: str, start: int) -> Span | None:
    """The (start, end) span the quote stands for if it begins at `start`, exactly or folded; else None."""
    if text[start : start + len(quote)] == quote:
        return start, start + len(quote)
    needle = fold(quote).text.strip(" ")
    folded = fold(text)
    index = folded.index_of(start)
    if not needle or index is None or not folded.text.startswith(needle, index):
        return None
    return folded.span(index, index + len(needle))


def locate_quote(text: str, quote: str) -> Span:
    """The (start, end) offsets of `quote` in `text`, byte for byte; ValueError unless it occurs exactly once.

    The seed builder's check: curation files hold quotes exactly as the sources have them.
    """
    if not quote:
        raise ValueError("The quote is empty.")
    first = text.find(quote)
    if first == -1:
        raise ValueError("not found")
    count = text.count(quote)
    if count > 1:
        raise ValueError(f"occurs {count} times")
    return first, first + len(quote)


def display_text(text: str) -> str:
    """A capture cleaned for reading only: line breaks folded, `\\$` and Markdown `*` undone."""
    return " ".join(text.replace("\\$", "$").replace("*", "").split())


def context_of(text: str, start: int, end: int, words: int = 8) -> tuple[str, str, str]:
    """(before, quote, after) for reading: a few words either side of the span, capture artefacts folded.

    `before` begins and `after` ends with "…" where the text goes on beyond them.
    """
    before, after = display_text(text[:start]).split(), display_text(text[end:]).split()
    lead = ("…" if len(before) > words else "") + " ".join(before[-words:])
    trail = " ".join(after[:words]) + ("…" if len(after) > words else "")
    # A space between the quote and the words around it only where the text has one.
    if before and text[start - 1].isspace():
        lead += " "
    if after and text[end].isspace():
        trail = " " + trail
    return lead, display_text(text[start:end]), trail


def describe_place(text: str, start: int, end: int) -> str:
    """One place of a quote in a line of text: its offset and the words around it."""
    before, quote, after = context_of(text, start, end)
    return f"at offset {start}: “{before}[{quote}]{after}”"


class QuotePlaces(ValidationError):
    """A refused quote that is in the text, at places other than one the curator meant.

    `places` are their (start, end) spans, for the admin to offer as choices; the message lists
    them for an API client.
    """

    def __init__(self, message: str, places: list[Span]) -> None:
        super().__init__({"quote": ValidationError(message, code="quote_places")})
        self.places = places


def _not_found(statement: QuotedText, quote: str) -> ValidationError:
    folded_quote = fold(quote).text.strip(" ")
    message = (
        f"This quote is not in the text of “{statement}”, even with differences in spaces, line breaks, "
        "quotation marks and dashes ignored."
    )
    hint = _where_it_parts(statement.text, folded_quote)
    return ValidationError({"quote": ValidationError(f"{message} {hint}".strip(), code="quote_not_found")})


def _where_it_parts(text: str, needle: str, shortest: int = 12) -> str:
    """Where the quote's longest matching beginning stops matching the text, said in words."""
    folded = fold(text)
    low, high = 0, len(needle)
    while low < high:  # the longest prefix of the quote that is in the text (shorter ones are too)
        middle = (low + high + 1) // 2
        if needle[:middle] in folded.text:
            low = middle
        else:
            high = middle - 1
    # Say it word by word: back up to the last space, so the two readings differ from a whole word.
    low = needle.rfind(" ", 0, low) + 1 if " " in needle[:low] and low < len(needle) else low
    if low < shortest:
        return "Check the quote's first words."
    index = folded.text.index(needle[:low])
    start, end = folded.span(index, index + low)
    matched = display_text(text[start:end]).split(" ")[-6:]
    end = folded.starts[index + low] if index + low < len(folded.starts) else end
    text_goes_on = display_text(text[end : end + 60]).split(" ")[:5]
    quote_goes_on = display_text(needle[low : low + 60]).split(" ")[:5]
    return (
        f"Its beginning matches the text at offset {start} up to “…{' '.join(matched)}”; from there the text reads "
        f"“{' '.join(text_goes_on)}…” where the quote has “{' '.join(quote_goes_on)}…”."
    )


def locate_span(statement: QuotedText, quote: str) -> Span:
    """The (start, end) of a quote that stands for exactly one place of the statement's text.

    Raises a ValidationError on `quote`: not in the text (saying where it parts from the text), or
    QuotePlaces listing every place when there are several.
    """
    if not quote or not quote.strip():
        raise ValidationError({"quote": ValidationError("The quote is empty.", code="quote_empty")})
    places = quote_places(statement.text, quote)
    if not places:
        raise _not_found(statement, quote)
    if len(places) > 1:
        listed = "; ".join(describe_place(statement.text, start, end) for start, end in places)
        raise QuotePlaces(
            f"This quote occurs {len(places)} times in “{statement}”: {listed}. "
            "Give the start offset (`start`) of the one you mean.",
            places,
        )
    return places[0]


def check_span(statement: QuotedText, start: int | None, end: int | None, quote: str) -> None:
    """Validate that `quote` is `statement.text[start:end]`; raise a field-level ValidationError if not."""
    if start is None or end is None:
        raise ValidationError({"start": "A quote needs its start and end offsets."})
    if not (0 <= start < end <= len(statement.text)):
        raise ValidationError({"end": f"Offsets {start}-{end} are outside the text (0-{len(statement.text)})."})
    if statement.text[start:end] != quote:
        raise ValidationError({"quote": f"The quote is not the text at offsets {start}-{end} of “{statement}”."})


def resolve_span(
    statement: QuotedText, quote: str | None, start: int | None = None, end: int | None = None
) -> tuple[str, int, int]:
    """The (quote, start, end) a curator means: from a pasted quote, or from offsets alone.

    A quote is located in the statement's text, as given or with white space, quotation marks
    and dashes folded; the text's own characters are returned. A start offset given with it
    chooses between places, and must be one of them: a quote and offsets that disagree are
    refused rather than looked up elsewhere. Offsets alone give the quote. Raises one field-level
    ValidationError per refusal, which the admin and the API show as they are.
    """
    if not quote:
        if start is None or end is None:
            raise ValidationError({"quote": "Give the quote, or both its start and end offsets."})
        try:
            return statement.excerpt(start, end), start, end
        except ValidationError as exc:
            raise ValidationError({"end": exc.messages}) from None
    text = statement.text
    if start is None:
        start, found_end = locate_span(statement, quote)
    else:
        span = span_at(text, quote, start)
        if span is None:
            raise _not_at(statement, quote, start)
        start, found_end = span
    if end is not None and end != found_end:
        raise ValidationError(
            {"end": f"The quote at offset {start} ends at offset {found_end}, not {end}: give {found_end}, or no end."}
        )
    return text[start:found_end], start, found_end


def _not_at(statement: QuotedText, quote: str, start: int) -> ValidationError:
    places = quote_places(statement.text, quote)
    if not places:
        return _not_found(statement, quote)
    if start >= len(statement.text):
        message = f"Offset {start} is past the end of “{statement}” ({len(statement.text)} characters)."
    else:
        there = display_text(statement.text[start : start + max(len(quote), 20)])
        message = f"This quote is not at offset {start} of “{statement}”, where the text reads “{there[:80]}”."
    listed = "; ".join(describe_place(statement.text, s, e) for s, e in places)
    choose = "that start offset" if len(places) == 1 else "the start offset of the one you mean"
    return QuotePlaces(f"{message} It is {listed}. Give {choose}, or none to find it.", places)


def spans_overlap(start_a: int, end_a: int, start_b: int, end_b: int) -> bool:
    """Whether two spans overlap by at least half of the shorter one (the rule suggestions are judged by)."""
    overlap = min(end_a, end_b) - max(start_a, start_b)
    return overlap > 0 and overlap * 2 >= min(end_a - start_a, end_b - start_b)
