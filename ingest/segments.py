"""Segmenting a statement: sentences, list items and lead-ins, with exact offsets into the text as given."""

import re
from dataclasses import dataclass

# A list marker at the start of a line: a bullet, "1." / "1)" / "(1)", "a." / "(a)", "iv.".
_LIST_MARKER = re.compile(r"[ \t]*(?:[-–—•●▪◦∙·*]|\(?\d{1,3}[.)]|\(?[a-z][.)]|\(?[ivx]{1,5}[.)])[ \t]+")
# Sentence-final punctuation, with the closing quotes or brackets that may follow it.
_TERMINAL = re.compile(r"[.!?]+[\"'”’)\]]*")
# What may begin a sentence after white space: a capital, a digit, an opening quote or bracket.
_STARTER = re.compile(r"[\"“‘'(\[]?[A-Z0-9À-Ý]")
# Words that end in a full stop without ending the sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st no nos art para paras fig vol op cf vs approx gen lt col sen rep gov amb "
    "jan feb mar apr jun jul aug sep sept oct nov dec h.e e.g i.e u.s u.k u.n u.s.a".split()
)
_HEADING_MAX_WORDS = 20
_LEAD_IN_MAX_WORDS = 8
_MIN_WORDS = 3


@dataclass(frozen=True)
class Segment:
    """A candidate span: `text[start:end]`, trimmed of white space and list markers."""

    start: int
    end: int
    list_item: bool = False
    lead_in: bool = False


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, end excluding its line break."""
    result: list[tuple[int, int]] = []
    offset = 0
    for piece in text.splitlines(keepends=True):
        stripped = piece.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        result.append((offset, offset + len(stripped)))
        offset += len(piece)
    return result


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at `dot` closes an abbreviation or an initial rather than a sentence."""
    start = dot
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:dot].strip(".").lower()
    if not word:
        return False
    if len(word) == 1 and text[start:dot].strip(".").isupper():
        return True  # an initial: "J. Blinken"
    return word in _ABBREVIATIONS


def _hard_breaks(text: str) -> set[int]:
    """Offsets where the layout alone ends a unit: list items, headings, lead-ins before a colon."""
    lines = _lines(text)
    breaks: set[int] = set()
    blocks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for start, end in lines:
        if text[start:end].strip():
            current.append((start, end))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    for index, block in enumerate(blocks):
        for start, end in block:
            marker = _LIST_MARKER.match(text, start, end)
            if marker and marker.end() < end:
                breaks.add(start)
                breaks.add(marker.end())
                _lead_in_break(text, marker.end(), end, breaks)
            elif start == block[0][0]:
                _lead_in_break(text, start, end, breaks)
        # A one-line block without final punctuation before a block that opens a sentence: a heading.
        if len(block) == 1 and index + 1 < len(blocks):
            start, end = block[0]
            line = text[start:end].strip()
            following = text[blocks[index + 1][0][0] : blocks[index + 1][0][1]].lstrip()
            if (
                line
                and not _TERMINAL.search(line[-1])
                and not line.endswith((",", ";", "-", "–"))
                and len(line.split()) <= _HEADING_MAX_WORDS
                and (_STARTER.match(following) or _LIST_MARKER.match(following))
            ):
                breaks.add(start)
                breaks.add(end)
    return breaks


def _lead_in_break(text: str, start: int, end: int, breaks: set[int]) -> None:
    """A short lead-in ending in a colon at the start of a line or item ("Grow our membership: We ...")."""
    colon = text.find(": ", start, end)
    if colon == -1:
        return
    lead = text[start:colon]
    rest = text[colon + 2 : end].lstrip()
    if 0 < len(lead.split()) <= _LEAD_IN_MAX_WORDS and _STARTER.match(rest) and not _TERMINAL.search(lead):
        breaks.add(colon + 1)


def _sentence_breaks(text: str) -> set[int]:
    """Offsets just past sentence-final punctuation that is followed by a new sentence."""
    breaks: set[int] = set()
    for match in _TERMINAL.finditer(text):
        after = match.end()
        gap = after
        while gap < len(text) and text[gap].isspace():
            gap += 1
        if gap == after and after < len(text):
            continue  # "J.Blinken", "7.7": no space, no sentence end
        if gap < len(text) and not (_STARTER.match(text, gap) or _LIST_MARKER.match(text, gap)):
            continue
        dot = match.start()
        if text[dot] == "." and match.group().rstrip("\"'”’)]") == "." and _is_abbreviation(text, dot):
            continue
        breaks.add(after)
    return breaks


def segments(text: str) -> list[Segment]:
    """The text cut into candidate spans (sentences, list items, lead-ins), in order, with exact offsets."""
    hard = _hard_breaks(text)
    cuts = sorted({0, len(text)} | hard | _sentence_breaks(text))
    list_starts = {start for start in hard if _LIST_MARKER.match(text, start)}
    result: list[Segment] = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        start, end = left, right
        marker = _LIST_MARKER.match(text, start, end) if left in list_starts else None
        if marker:
            start = marker.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if len(text[start:end].split()) < _MIN_WORDS and not text[start:end].endswith(":"):
            continue
        lead_in = text[start:end].endswith(":") or (end < len(text) and text[end] == ":")
        if text[start:end].endswith(":"):
            end -= 1
        if len(text[start:end].split()) < 2:
            continue
        result.append(Segment(start, end, list_item=bool(marker) or _after_marker(text, start), lead_in=lead_in))
    return result


def _after_marker(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    marker = _LIST_MARKER.match(text, line_start)
    return marker is not None and marker.end() == start


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A span without the white space, commas and semicolons at its edges."""
    while start < end and (text[start].isspace() or text[start] in ",;"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;"):
        end -= 1
    return start, end
