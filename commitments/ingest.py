"""The first pass over a new statement: what it commits to, filed where, continuing which pledge.

Pure text work plus one `corpus` argument that answers questions about what is stored (see
`commitments.search.StoredCorpus`): segmenting the verbatim text into candidate spans, the cue
words that make a span a commitment and its strength, the figures it cites, and, through the
corpus, the line of effort and the recurring pledges each span may continue, with the change kind
against each pledge's latest commitment. Everything returned is plain data (dicts, lists, str,
int, float), and every offset is a Python string offset into the text exactly as given, so that
`text[start:end] == quote` always holds.
"""

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal

import snowballstemmer

from .models import suggest_change_kind
from .search import indexed_alike, spelling_variants, words_of

# ---------------------------------------------------------------------------------------------
# Segmenting: sentences, list items and lead-ins, with exact offsets.
# ---------------------------------------------------------------------------------------------

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


def _lines(text):
    """(start, end) of each line, end excluding its line break."""
    result, offset = [], 0
    for piece in text.splitlines(keepends=True):
        stripped = piece.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        result.append((offset, offset + len(stripped)))
        offset += len(piece)
    return result


def _is_abbreviation(text, dot):
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


def _hard_breaks(text):
    """Offsets where the layout alone ends a unit: list items, headings, lead-ins before a colon."""
    lines = _lines(text)
    breaks = set()
    blocks, current = [], []
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


def _lead_in_break(text, start, end, breaks):
    """A short lead-in ending in a colon at the start of a line or item ("Grow our membership: We ...")."""
    colon = text.find(": ", start, end)
    if colon == -1:
        return
    lead = text[start:colon]
    rest = text[colon + 2 : end].lstrip()
    if 0 < len(lead.split()) <= _LEAD_IN_MAX_WORDS and _STARTER.match(rest) and not _TERMINAL.search(lead):
        breaks.add(colon + 1)


def _sentence_breaks(text):
    """Offsets just past sentence-final punctuation that is followed by a new sentence."""
    breaks = set()
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


def segments(text):
    """The text cut into candidate spans (sentences, list items, lead-ins), in order, with exact offsets."""
    hard = _hard_breaks(text)
    cuts = sorted({0, len(text)} | hard | _sentence_breaks(text))
    list_starts = {start for start in hard if _LIST_MARKER.match(text, start)}
    result = []
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


def _after_marker(text, start):
    line_start = text.rfind("\n", 0, start) + 1
    marker = _LIST_MARKER.match(text, line_start)
    return bool(marker) and marker.end() == start


# ---------------------------------------------------------------------------------------------
# Cues: the words that make a span a commitment, and how strongly it commits.
# ---------------------------------------------------------------------------------------------

BINDING, SOFT = "binding", "soft"

# Who can commit: a cue verb counts when one of these is its subject (a few words before it).
_ACTORS = frozenset(
    "we i coalition coalition's coalition’s ministers minister directors members partners governments "
    "community group co-leads leaders allies donors participants states countries nations parties "
    "signatories meeting chair presidency forces".split()
)
_LONG_ACTORS = tuple(actor for actor in _ACTORS if len(actor) >= 6)
_ACTOR_WINDOW = 4
# Some verbs in the perfect ("has encouraged", "have supported") report what was done, not a position.
_PERFECT = re.compile(r"\b(?:has|have|had)\s+(?:\w+\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern
    strength: str
    needs_actor: bool
    reports_past: bool
    continues: bool


def _cue(pattern, strength, needs_actor=True, glued=False, reports_past=False, continues=False):
    # PDF captures run words together ("Ministerstasked", "alsowelcomed"): long verbs may match
    # inside a word; short ones only as whole words.
    left = "" if glued else r"\b"
    return _Cue(re.compile(left + pattern + r"\b", re.IGNORECASE), strength, needs_actor, reports_past, continues)


# The curation guide's own definition: binding when the actor commits itself, softer positions
# otherwise; impersonal norms ("must be upheld", "it is critical that") need no actor.
CUES = (
    _cue(r"must", BINDING, needs_actor=False),
    _cue(r"shall", BINDING, needs_actor=False),
    _cue(r"(?:is|are)\s+to\s+be\s+\w+(?:ed|en)", BINDING, needs_actor=False),
    _cue(r"will", BINDING),
    _cue(r"commit(?:s|ted|ting)?\s+(?:to|ourselves|themselves|itself)", BINDING, needs_actor=False, glued=True),
    _cue(r"remains?\s+(?:\w+\s+)?committed", BINDING, needs_actor=False),
    _cue(r"determin(?:ed|ation)", BINDING, needs_actor=False, glued=True),
    _cue(r"agree[sd]?\s+to", BINDING),
    _cue(r"tasked", BINDING, glued=True),
    _cue(r"(?:pledge[sd]?|pledging)\s+(?:to|for)", BINDING, needs_actor=False),
    _cue(r"resolved?\s+to", BINDING),
    _cue(r"(?:intends?|intended|intent|intention)\s+to", BINDING, glued=True),
    _cue(r"continu(?:e|es|ing)\s+to", BINDING, continues=True),
    _cue(r"needs?\s+to", BINDING),
    _cue(r"seeks?\s+to", BINDING),
    _cue(r"aims?\s+(?:is\s+)?to", BINDING, needs_actor=False),
    _cue(r"remains?\s+(?:\w+\s+)?(?:engaged|focused|vigilant|united)", BINDING),
    _cue(r"(?:are|is)\s+(?:\w+\s+)?united", BINDING),
    _cue(r"should", SOFT, needs_actor=False),
    _cue(r"could", SOFT),
    _cue(r"welcom(?:e|es|ed|ing)", SOFT, glued=True),
    _cue(r"support(?:s|ed)?", SOFT, reports_past=True),
    _cue(r"not(?:e|es|ed)", SOFT),
    _cue(r"urg(?:e|es|ed)", SOFT),
    _cue(r"call(?:s|ed)?\s+(?:on|upon|for)", SOFT),
    _cue(r"encourag(?:e|es|ed)", SOFT, reports_past=True),
    _cue(r"commend(?:s|ed)?", SOFT, glued=True),
    _cue(r"condemn(?:s|ed)?", SOFT, glued=True),
    _cue(r"recogni[sz](?:e|es|ed|ing)", SOFT, needs_actor=False, glued=True),
    _cue(r"acknowledg(?:e|es|ed)", SOFT, glued=True),
    _cue(r"emphasi[sz](?:e|es|ed)", SOFT, glued=True),
    _cue(r"underlin(?:e|es|ed)", SOFT),
    _cue(r"stress(?:es|ed)?", SOFT),
    _cue(r"congratulat(?:e|es|ed)", SOFT, glued=True),
    _cue(r"salut(?:e|es|ed)", SOFT),
    _cue(r"look(?:s|ed)?\s+forward", SOFT),
    _cue(r"stands?\s+(?:\w+\s+)?(?:with|alongside|by)", SOFT, reports_past=True),
    _cue(r"stands?\s+ready", SOFT),
    _cue(r"(?:are|is)\s+(?:\w+\s+)?(?:ready|prepared|willing)\s+to", SOFT),
    _cue(r"willingness", SOFT, needs_actor=False),
    _cue(r"demand(?:s|ed|ing)?", SOFT),
    _cue(r"join(?:s|ed)?\s+(?:the|in|with)", SOFT, reports_past=True),
    _cue(r"reaffirm(?:s|ed)?", SOFT, glued=True),
    _cue(r"affirm(?:s|ed)?", SOFT),
    _cue(r"(?:believe[sd]?|belief)", SOFT),
    _cue(r"hop(?:e|es|ed)\s+to", SOFT),
    _cue(r"(?:deeply\s+|gravely\s+)?concerned", SOFT),
    _cue(r"encouraged", SOFT, reports_past=True),
    _cue(r"(?:appreciate[sd]?|applaud(?:s|ed)?|deplore[sd]?)", SOFT),
    _cue(
        r"(?:is|are|remains?)\s+(?:\w+\s+)?(?:essential|necessary|critical|crucial|vital|fundamental|key|important"
        r"|imperative)(?=\s*(?:[.,;:]|to\b|for\b|that\b|in\b|$))",
        SOFT,
        needs_actor=False,
    ),
    _cue(
        r"it\s+is\s+(?:\w+\s+)?(?:important|critical|essential|necessary|vital|crucial|key|imperative|time)",
        SOFT,
        needs_actor=False,
    ),
    _cue(r"it(?:’s|'s)\s+(?:\w+\s+)?(?:important|critical|essential|necessary|vital|crucial|time)", SOFT, False),
    _cue(r"(?:is|are)\s+(?:a\s+|the\s+)?(?:top\s+|key\s+|high\s+)?priorit(?:y|ies)", SOFT, needs_actor=False),
    _cue(r"(?:is|are|remains?)\s+(?:still\s+)?to\s+be\s+done", SOFT, needs_actor=False),
    _cue(r"requires?", SOFT, needs_actor=False),
    _cue(r"(?:good\s+to\s+see|pleased\s+to|glad\s+to|happy\s+to)", SOFT, needs_actor=False),
)

# Imperative lead-ins of a list ("Tackle global networks:", "Grow our membership:") state goals.
_GOAL_VERBS = frozenset(
    "tackle grow prevent support strengthen continue counter ensure build enhance promote maintain increase "
    "deny defeat disrupt degrade share work protect improve expand deliver develop advance reinforce sustain "
    "stabilise stabilize address combat fight cut end reduce secure help hold invest mobilise mobilize".split()
)
_WORD = re.compile(r"[\w’'-]+")


@dataclass(frozen=True)
class CueMatch:
    start: int
    end: int
    words: str
    strength: str | None  # None: the cue takes the strength of the one before it
    continues: bool = False


def _is_actor(word):
    word = word.lower().strip("’'")
    # A PDF may glue the actor to the next word ("Coalitionto", "Ministerstasked").
    return word in _ACTORS or any(word.startswith(actor) for actor in _LONG_ACTORS)


def _has_actor_before(text, position, floor):
    words = _WORD.findall(text[floor:position])
    if any(_is_actor(word) for word in words[-_ACTOR_WINDOW:]):
        return True
    # A verb coordinated with an earlier one ("... have put together X and will continue") shares
    # the clause's subject: look at the words the span opens with.
    return bool(words) and words[-1].lower() in {"and", "also"} and any(_is_actor(w) for w in words[:6])


def find_cues(text, start, end):
    """The cue words in `text[start:end]`, in order, each with the strength it signals."""
    found = []
    for cue in CUES:
        for match in cue.pattern.finditer(text, start, end):
            before = text[max(start, match.start() - 4) : match.start()].lower()
            if cue.needs_actor and (
                re.search(r"\bto\s*$", before) or not _has_actor_before(text, match.start(), start)
            ):
                continue  # an infinitive ("to support"), or no one who commits
            if cue.reports_past and _PERFECT.search(text, max(start, match.start() - 30), match.start()):
                continue
            words = " ".join(match.group().split())
            found.append(CueMatch(match.start(), match.end(), words, cue.strength, cue.continues))
    found.sort(key=lambda c: (c.start, -c.end))
    kept = []
    for cue in found:
        if kept and cue.start < kept[-1].end:
            continue  # "will continue to": one cue, not three
        if cue.continues:
            cue = _continuing(text, cue, kept[-1] if kept else None, end)
        kept.append(cue)
    return kept


_BE = re.compile(r"\s*be\s+", re.IGNORECASE)


def _continuing(text, cue, previous, end):
    """ "continue to" commits as much as what it goes on with: the modal before it ("should continue
    to"), else the verb after it when that is a cue ("continue to support": soft), else it binds."""
    if previous is not None and cue.start - previous.end <= 1:
        return replace(cue, strength=None)
    position = cue.end + len(text[cue.end : end]) - len(text[cue.end : end].lstrip())
    be = _BE.match(text, position, end)
    for at in (position, be.end()) if be else (position,):
        for other in CUES:
            if not other.continues and other.pattern.match(text, at, end):
                return replace(cue, strength=other.strength)
    return cue


def goal_lead_in(text, segment):
    """Whether a list item's lead-in is an imperative goal ("Tackle global networks and propaganda")."""
    if not segment.lead_in:
        return False
    first = _WORD.match(text, segment.start)
    return bool(first) and first.group().lower() in _GOAL_VERBS


# A sentence that only goes on with the previous one ("This also includes ...", "This will require ...").
_CONTINUATION = re.compile(
    r"(?:This|These|That|It)\s+(?:also\s+|will\s+)?(?:includes?|requires?|require|means?|involves?|entails?)\b"
)
# Where a sentence may be cut into clauses that commit to different things.
_COORDINATOR = re.compile(r"(?:,\s*|\s+)and\s+|;\s+")
_CLAUSE_MIN_WORDS = 4


@dataclass(frozen=True)
class Candidate:
    """A span that commits to something, with the cue words and the strength they signal."""

    start: int
    end: int
    cue: str
    strength: str


def _trimmed(text, start, end):
    while start < end and (text[start].isspace() or text[start] in ",;"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;"):
        end -= 1
    return start, end


def _clauses(text, segment, cues):
    """Cut a sentence where a coordinated clause brings a cue of its own ("We welcome X and stand ready to Y")."""
    pieces, left = [], segment.start
    for match in _COORDINATOR.finditer(text, segment.start, segment.end):
        following = next((c for c in cues if c.start >= match.end()), None)
        preceding = [c for c in cues if left <= c.start < match.start()]
        if following is None or not preceding or len(text[match.end() : following.start].split()) > 2:
            continue
        if len(text[left : match.start()].split()) < _CLAUSE_MIN_WORDS:
            continue
        if len(text[match.end() : segment.end].split()) < _CLAUSE_MIN_WORDS:
            continue
        pieces.append((left, match.start()))
        left = match.end()
    pieces.append((left, segment.end))
    return [piece for start, end in pieces for piece in _means(text, *_trimmed(text, start, end))]


# "... by curbing X, enhancing Y, and fighting Z": a list of means, each of which may be its own pledge.
_MEANS_START = re.compile(r"\b(?:by|through|including|via)\s+[a-z]+ing\b")
_MEANS_NEXT = re.compile(r",\s+(?:and\s+)?(?=[a-z]+ing\s)")


def _means(text, start, end):
    """A clause cut before each further item of a list of means, when it has one."""
    first = _MEANS_START.search(text, start, end)
    if first is None:
        return [(start, end)]
    pieces, left = [], start
    for match in _MEANS_NEXT.finditer(text, first.end(), end):
        if len(text[match.end() : end].split()) < _CLAUSE_MIN_WORDS:
            break
        pieces.append((left, match.start()))
        left = match.end()
    return [*pieces, (left, end)]


def _describe(cues):
    """The cue words as one string ("will continue to, welcome") and the strength they signal."""
    strength = BINDING if any(c.strength == BINDING for c in cues) else SOFT
    phrases, previous_end = [], None
    for cue in cues:
        if phrases and cue.start - previous_end <= 1:
            phrases[-1] = f"{phrases[-1]} {cue.words}"  # one space apart: one phrase ("will" "continue to")
        else:
            phrases.append(cue.words)
        previous_end = cue.end
    return ", ".join(dict.fromkeys(phrases)), strength


def commitment_candidates(text):
    """The spans of `text` that commit to something, in text order."""
    result, previous = [], None
    for segment in segments(text):
        cues = find_cues(text, segment.start, segment.end)
        if not cues:
            if goal_lead_in(text, segment):
                first = _WORD.match(text, segment.start).group()
                result.append(Candidate(segment.start, segment.end, first, BINDING))
                previous = result[-1]
                continue
            if previous is not None and _CONTINUATION.match(text, segment.start) and previous.end <= segment.start:
                # Goes on with the commitment before it, with the same force.
                words = " ".join(_CONTINUATION.match(text, segment.start).group().split())
                result.append(Candidate(segment.start, segment.end, words, previous.strength))
                previous = result[-1]
                continue
            previous = None
            continue
        for start, end in _clauses(text, segment, cues):
            own = [c for c in cues if start <= c.start < end] or cues
            cue, strength = _describe(own)
            result.append(Candidate(start, end, cue, strength))
        previous = result[-1]
    return result


# ---------------------------------------------------------------------------------------------
# Figures: numbers with their unit and the hedge before them.
# ---------------------------------------------------------------------------------------------

# Values are the slugs of meetings.models.Qualifier, so that an accepted figure keeps its hedge.
_QUALIFIERS = (
    (r"more\s+than|over|above|in\s+excess\s+of|upwards\s+of|exceeding", "more-than"),
    (r"at\s+least|no\s+fewer\s+than|no\s+less\s+than", "at-least"),
    (r"nearly", "nearly"),
    (r"almost", "almost"),
    (r"approximately|about|around|roughly|some|close\s+to|an\s+estimated|estimated", "approximately"),
    # The model has no "less than": "up to" is the nearest hedge that keeps the bound.
    (r"up\s+to|no\s+more\s+than|fewer\s+than|less\s+than|under", "up-to"),
)
_WORD_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12, "bn": 10**9, "m": 10**6}
_CURRENCIES = {"$": "USD", "\\$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP"}
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_FIGURE = re.compile(
    r"(?:(?P<qualifier>" + "|".join(p for p, _ in _QUALIFIERS) + r")\s+)?"
    r"(?P<currency>US\$|\\\$|\$|€|£|USD\s|EUR\s|GBP\s)?\s?"
    r"(?:(?P<vague>tens|hundreds|thousands|millions)\s+of(?:\s+(?:thousands|millions))?"
    r"|(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True))
    + r")(?:\s*(?P<scale>thousand|million|billion|trillion|bn|m)\b)?)"
    r"(?P<percent>\s*(?:%|per\s*cent|percent))?",
    re.IGNORECASE,
)
_UNIT_WORD = re.compile(r"[ \t]*(?:-|\s)?\s*([A-Za-z][\w’'-]*)")
# Words that end a unit ("7.7 million people *have* been freed").
_UNIT_STOP = frozenset(
    "a an the of to in on at by for from and or but with as is are was were be been have has had will would "
    "who which that this these those its their our it they we since than per into over under about across "
    "more less most during after before ago".split()
)
_MASS_NOUNS = frozenset("people personnel staff territory data information km2 km per cent percent".split())
_RESOLUTION = re.compile(r"(?:resolutions?|unscrs?|council|res\.|no\.)\s+(?:\d+\s*(?:,|and)\s*)*$", re.IGNORECASE)
_MONTH_NEAR = re.compile(r"(?:" + _MONTHS + r")\.?\s*(?:\d{1,2}(?:st|nd|rd|th)?\s*[-–,]?\s*)?$", re.IGNORECASE)
_MONTH_AFTER = re.compile(r"\s*(?:[-–]\s*\d{1,2}\s+)?(?:" + _MONTHS + r")\b", re.IGNORECASE)


def _qualifier_slug(words):
    if not words:
        return "exact"
    for pattern, slug in _QUALIFIERS:
        if re.fullmatch(pattern, words, re.IGNORECASE):
            return slug
    return "exact"


def _number(raw):
    raw = raw.lower()
    if raw in _WORD_NUMBERS:
        return Decimal(_WORD_NUMBERS[raw])
    return Decimal(raw.replace(",", ""))


def figures(text):
    """The numbers `text` cites, each with its exact span, value, unit and qualifier."""
    result = []
    for match in _FIGURE.finditer(text):
        number, vague = match.group("number"), match.group("vague")
        if not _is_figure(text, match):
            continue
        start, end = _trimmed(text, match.start(), match.end())
        if match.group("number") and text[end:].lower().startswith(("st ", "nd ", "rd ", "th ")):
            end += 2  # "68th member"
        value = None
        if number is not None:
            value = _number(number) * _SCALES.get((match.group("scale") or "").lower(), 1)
        currency = match.group("currency")
        if currency:
            unit = _CURRENCIES.get(currency.strip().lower(), currency.strip())
        elif match.group("percent"):
            unit = "percent"
        else:
            unit, end = _unit(text, end)
        qualifier = _qualifier_slug(" ".join((match.group("qualifier") or "").split()).lower())
        if vague:
            qualifier = "approximately"
        result.append(
            {
                "start": start,
                "end": end,
                "value": None if value is None else _plain_number(value),
                "unit": unit,
                "qualifier": qualifier,
            }
        )
    return result


def _plain_number(value):
    """A Decimal as a JSON number: an int when whole, else a float."""
    return int(value) if value == value.to_integral_value() else float(value)


def _is_figure(text, match):
    number = match.group("number")
    if number is None:
        return bool(match.group("vague"))
    begin = match.start("number")
    if begin > 0 and (text[begin - 1].isalnum() or text[begin - 1] in "/.-"):
        return False  # part of a word, a code or a range: "G7", "2254/2015"
    if match.end("number") < len(text) and text[match.end("number")].isalpha() and not match.group("scale"):
        return text[match.end("number") :].lower().startswith(("th ", "st ", "nd ", "rd ")) and _ordinal_member(
            text, match.end("number")
        )
    if number.isalpha() and not (match.group("scale") or match.group("qualifier") or _followed_by_unit(text, match)):
        return False  # "two" alone is a word, not a figure
    line_start = text.rfind("\n", 0, begin) + 1
    if not text[line_start:begin].strip() and re.match(r"\d{1,3}[.)]\s", text[begin:]):
        return False  # a paragraph number
    plain = number.replace(",", "")
    if (
        plain.isdigit()
        and len(plain) == 4
        and 1900 <= int(plain) <= 2099
        and "," not in number
        and not match.group("currency")
    ):
        return False  # a year
    if _RESOLUTION.search(text, max(0, begin - 40), begin):
        return False  # "Resolution 2254"
    if _MONTH_NEAR.search(text, max(0, begin - 20), begin) or _MONTH_AFTER.match(text, match.end("number")):
        return False  # a date
    return True


def _ordinal_member(text, end):
    """ "68th member": an ordinal counts members, other ordinals are ranks or dates."""
    return bool(re.match(r"(?:st|nd|rd|th)\s+members?\b", text[end:], re.IGNORECASE))


def _followed_by_unit(text, match):
    unit, _ = _unit(text, match.end())
    return bool(unit)


def _unit(text, end):
    """The noun after a number, up to three words ("foreign terrorist fighters"), and where it ends."""
    words, position = [], end
    hyphen = re.match(r"-([A-Za-z]+)", text[end:])
    if hyphen:
        return hyphen.group(1).lower(), end + hyphen.end()
    ends = []
    while len(words) < 3:
        match = _UNIT_WORD.match(text, position)
        if not match or "\n\n" in match.group() or match.group(1).lower() in _UNIT_STOP:
            break
        words.append(match.group(1).lower().rstrip(".,;:"))
        ends.append(match.end())
        position = match.end()
    if len(words) > 1 and words[0] in {"square", "sq"}:
        return ("km2" if words[1].startswith(("kilomet", "km")) else " ".join(words[:2])), ends[1]
    # A unit is a noun phrase: it ends at its first plural or mass noun ("earlier conferences").
    for index, word in enumerate(words):
        if word in _MASS_NOUNS or (word.endswith("s") and not word.endswith("ss")):
            return " ".join(words[: index + 1]), ends[index]
    return (words[0], ends[0]) if words else ("", end)


# ---------------------------------------------------------------------------------------------
# Against what is stored: line of effort, recurring pledges and change kinds.
# ---------------------------------------------------------------------------------------------

THREAD_CANDIDATES = 3
# Commitments per span ranked in full (their rows read); chosen from what the index found.
SEARCH_LIMIT = 40
# Words per span looked up in the index: the rarest ones, which tell pledges apart.
QUERY_WORDS = 24
# Commitments (and pledges) the index returns per word, newest first: all those holding a rare word,
# the newest of those holding a common one.
POSTINGS = 200
# Pledges per span found by their title and description.
THREAD_SEARCH_LIMIT = 5
# Below this a pledge is not offered at all: it shares too little with the span (before its line
# of effort counts).
MIN_THREAD_SCORE = 0.05
# How much a pledge's title and description count against its commitments' words.
TITLE_WEIGHT = 0.6
# How much a pledge's score depends on its line of effort being that of the span's nearest commitments.
LINE_AGREEMENT = 1.0
# Commitments whose line of effort votes for the span's, and how alike they must be to vote.
LINE_NEIGHBOURS = 5
MIN_LINE_SIMILARITY = 0.02

_STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65536)
def _stem(word):
    # The stemmer is pure Python: a statement and its candidates share most words, so stem each once.
    return _STEMMER.stemWord(spelling_variants(word)[-1])


def _stems(words):
    return {_stem(word) for word in words}


class Rarity:
    """How rare each word stem is among stored commitments: inverse document frequencies.

    Counted in Python over a sample of stored commitments (`StoredCorpus.sample`: the newest ones,
    all of them in a small database), so that the weights are the same on every database and cover
    every stem of a candidate, not only the statement's.
    """

    def __init__(self, documents):
        self.size = 0
        self.counts = Counter()
        for stems in documents:
            self.size += 1
            self.counts.update(stems)

    def idf(self, count):
        return math.log((self.size + 1) / (count + 0.5))

    def of(self, stem):
        return self.idf(self.counts.get(stem, 0))


def similarity(span_stems, other_stems, weights):
    """How alike two texts are, 0..1: the cosine of their word stems weighted by rarity (TF-IDF, binary TF)."""
    if not span_stems or not other_stems:
        return 0.0
    # fsum: exact whatever the order a set is read in (which varies between processes), so that
    # equal texts tie exactly and every run breaks the tie alike.
    shared = math.fsum(weights.of(s) ** 2 for s in span_stems & other_stems)
    norms = math.sqrt(
        math.fsum(weights.of(s) ** 2 for s in span_stems) * math.fsum(weights.of(s) ** 2 for s in other_stems)
    )
    return shared / norms if norms else 0.0


def _query(words, rarity):
    """{stem: its words} to look up for a span: the `QUERY_WORDS` rarest stems (longer first on a tie)."""
    groups = {}
    for word in words:
        for variant in spelling_variants(word):
            if indexed_alike(variant):
                groups.setdefault(_stem(word), set()).add(variant)
    chosen = sorted(groups, key=lambda stem: (-rarity.of(stem), -len(stem), stem))[:QUERY_WORDS]
    return {stem: groups[stem] for stem in chosen}


def _found(query, postings, rarity, limit):
    """The ids of the `limit` rows the index found sharing the most rare stems with a span, for their length.

    Each row scores the summed squared weights of the stems it shares, over the square root of its
    length: an estimate of the cosine that ranks the found rows without reading them.
    """
    scores, lengths = {}, {}
    for stem in query:
        weight = rarity.of(stem) ** 2
        for found_id, characters in postings.get(stem, ()):
            scores[found_id] = scores.get(found_id, 0.0) + weight
            lengths[found_id] = characters
    ranked = sorted(scores, key=lambda i: (-scores[i] / math.sqrt(max(lengths[i], 1)), -i))
    return ranked[:limit]


def suggest(text, *, corpus):
    """Suggestions for a statement's text against what `corpus` holds: the dry run's JSON, without `sha256`."""
    candidates = commitment_candidates(text)
    span_words = [words_of(text[c.start : c.end]) for c in candidates]
    rarity = Rarity(_stems(words_of(quote + " " + summary)) for _, quote, summary in corpus.sample)
    queries = [_query(words, rarity) for words in span_words]
    groups = {}
    for query in queries:
        for stem, variants in query.items():
            groups.setdefault(stem, set()).update(variants)
    groups = {stem: sorted(variants) for stem, variants in sorted(groups.items())}
    # A stem the sample shows to be in more than POSTINGS stored commitments is looked up among the
    # sampled (newest) ones only: the newest of them are what the index would return anyway.
    common = set()
    if corpus.sample_floor is not None:
        common = {stem for stem in groups if rarity.counts[stem] * corpus.size > POSTINGS * rarity.size}
    postings = corpus.postings(groups, POSTINGS, recent=common) if groups else {}
    thread_postings = corpus.thread_postings(groups, POSTINGS) if groups else {}
    hits = [_found(query, postings, rarity, SEARCH_LIMIT) for query in queries]
    thread_hits = [_found(query, thread_postings, rarity, THREAD_SEARCH_LIMIT) for query in queries]
    rows = corpus.commitment_rows({i for found in hits for i in found})
    threads = corpus.thread_rows(
        {t for row in rows.values() for t in row["threads"]} | {t for found in thread_hits for t in found}
    )
    suggestions = []
    for candidate, words, found, found_threads in zip(candidates, span_words, hits, thread_hits, strict=True):
        quote = text[candidate.start : candidate.end]
        stems = _stems(words)
        scored = sorted(
            ((similarity(stems, _stored_stems(rows[i]), rarity), rows[i]) for i in found),
            key=lambda pair: (-pair[0], pair[1]["slug"]),
        )
        neighbours = _neighbours(scored)
        offered = _thread_candidates(
            scored,
            [threads[t] for t in found_threads],
            threads,
            stems,
            rarity,
            quote,
            candidate.strength,
            _line_votes(neighbours),
        )
        line, reason = _line_of_effort(neighbours, (offered[0][0], offered[0][3]) if offered else None)
        suggestions.append(
            {
                "start": candidate.start,
                "end": candidate.end,
                "quote": quote,
                "cue": candidate.cue,
                "strength": candidate.strength,
                "line_of_effort": line,
                "reason": reason,
                "threads": [
                    {"thread": pledge["slug"], "score": round(score, 3), "change_kind": kind}
                    for pledge, score, kind, _ in offered
                ],
            }
        )
    return {"suggestions": suggestions, "figures": figures(text)}


def _neighbours(scored):
    """The most similar stored commitments, close enough to tell where a span belongs: [(score, row)]."""
    return [(score, row) for score, row in scored[:LINE_NEIGHBOURS] if score >= MIN_LINE_SIMILARITY]


def _line_votes(neighbours):
    """{line of effort: summed similarity of the neighbours filed under it}."""
    votes = {}
    for score, row in neighbours:
        votes[row["line_of_effort__slug"]] = votes.get(row["line_of_effort__slug"], 0.0) + score
    return votes


def _line_of_effort(neighbours, pledge):
    """The line of effort the most similar stored commitments and the likeliest pledge are filed under, and why.

    `pledge` is (thread row, wording score) of the span's best candidate pledge, or None: a curated
    grouping of commitments filed under one line, it votes as one more neighbour with its score.
    """
    votes = _line_votes(neighbours)
    if pledge is not None:
        thread, score = pledge
        votes[thread["line_of_effort__slug"]] = votes.get(thread["line_of_effort__slug"], 0.0) + score
    if not votes:
        return None, "No stored commitment is close enough to tell."
    line = max(sorted(votes), key=lambda slug: votes[slug])
    voters = [row for _, row in neighbours if row["line_of_effort__slug"] == line]
    reasons = []
    if voters:
        reasons.append(
            f"{len(voters)} of the {len(neighbours)} most similar stored commitments are filed there "
            f"(closest: {voters[0]['slug']})"
        )
    if pledge is not None and pledge[0]["line_of_effort__slug"] == line:
        reasons.append(f"the likeliest recurring pledge ({pledge[0]['slug']}) is filed there")
    reason = "; ".join(reasons) + "."
    return line, (reason[0].upper() + reason[1:])[:300]


def _stored_stems(row):
    # The curator's summary says in other words what the quote pledges: both count.
    if "_stems" not in row:
        row["_stems"] = _stems(words_of(row["quote"] + " " + row["summary"]))
    return row["_stems"]


def _thread_candidates(scored, found_threads, threads, stems, weights, quote, strength, line_votes):
    """Up to three recurring pledges the span may continue, best first.

    [(thread row, score, change kind, wording score)]: the wording score is how alike the words are,
    the score adds the line of effort.

    A pledge is a candidate when one of its commitments, or its title or description, matched the
    span. It scores by its most similar commitment (those retrieved, and its latest one) and, as
    much, by how well its title and description (what curators say the pledge is) fit the span;
    then by how many of the span's nearest stored commitments share the pledge's line of effort
    (`line_votes`): a pledge of a line none of them is filed under keeps half its score. The change
    kind is against the pledge's latest commitment.
    """
    best = {}
    for score, row in scored:
        for thread_id in row["threads"]:
            best[thread_id] = max(score, best.get(thread_id, 0.0))
    for thread in found_threads:
        best.setdefault(thread["id"], 0.0)
    total_votes = sum(line_votes.values())
    ranked = []
    for thread_id, score in best.items():
        thread = threads[thread_id]
        if "_stems" not in thread:
            thread["_stems"] = _stems(words_of(thread["title"] + " " + thread["description"]))
            thread["_latest_stems"] = _stems(words_of(thread["latest_quote"] or ""))
        score = max(score, similarity(stems, thread["_latest_stems"], weights))
        score = (1 - TITLE_WEIGHT) * score + TITLE_WEIGHT * similarity(stems, thread["_stems"], weights)
        if score < MIN_THREAD_SCORE:
            continue
        agreement = line_votes.get(thread["line_of_effort__slug"], 0.0) / total_votes if total_votes else 0.0
        ranked.append((score * (1 + LINE_AGREEMENT * agreement) / (1 + LINE_AGREEMENT), thread_id, score))
    ranked.sort(key=lambda item: (-item[0], threads[item[1]]["slug"]))
    result = []
    for score, thread_id, wording in ranked[:THREAD_CANDIDATES]:
        thread = threads[thread_id]
        if thread["latest_quote"] is None:
            change_kind = "new"  # nothing of this pledge came before: the span would open it
        else:
            change_kind = str(suggest_change_kind(thread["latest_quote"], thread["latest_strength"], quote, strength))
        result.append((thread, score, change_kind, wording))
    return result


# ---------------------------------------------------------------------------------------------
# Defaults a curator starts from when accepting.
# ---------------------------------------------------------------------------------------------

_ACTOR_PHRASE = re.compile(
    r"\b(?:the\s+|all\s+|our\s+)?(?:[A-Z][\w’'-]*\s+){0,4}"
    r"(?:Coalition|Ministers|Directors|members|partners|community|governments|Group|Co-leads|Leaders)\b"
)


def guess_actor(text, start, end, speaker):
    """Who commits in a span: its first actor phrase ("The Ministers"), else the statement's speaker for "we"."""
    span = text[start:end]
    match = _ACTOR_PHRASE.search(span)
    first_we = re.search(r"\b(?:we|our)\b", span, re.IGNORECASE)
    if match and not (first_we and first_we.start() < match.start()):
        phrase = " ".join(match.group().split())
        return phrase[0].lower() + phrase[1:] if phrase.lower().startswith("the ") else phrase
    return speaker


_METRICS = (
    (re.compile(r"km2|square|territor", re.IGNORECASE), "territory"),
    (re.compile(r"fighters", re.IGNORECASE), "foreign-fighters"),
    (re.compile(r"freed|liberated", re.IGNORECASE), "people-freed"),
    (re.compile(r"trained|personnel", re.IGNORECASE), "personnel-trained"),
    (re.compile(r"gave their lives|killed|died", re.IGNORECASE), "service-members-killed"),
    (re.compile(r"\bmembers?\b|partners", re.IGNORECASE), "members"),
    (re.compile(r"returned|returns", re.IGNORECASE), "returns"),
    (re.compile(r"terabytes|data|information", re.IGNORECASE), "data"),
)


def guess_metric(text, figure):
    """The figure metric a number most likely measures, from its unit and the words around it."""
    if figure["unit"] in {"USD", "EUR", "GBP"}:
        return "funds"
    around = text[figure["start"] : min(len(text), figure["end"] + 60)]
    for pattern, metric in _METRICS:
        if pattern.search(figure["unit"]) or pattern.search(around):
            return metric
    return "other"
