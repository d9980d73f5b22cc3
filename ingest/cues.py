"""Cues: the words that make a span a commitment, how strongly it commits, and the candidate spans they give."""

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .segments import Segment, segments, trimmed

BINDING, SOFT = "binding", "soft"

# Who can commit: a cue verb counts when one of these is its subject (a few words before it).
_ACTORS = frozenset(
    "we i coalition coalition's coalition’s ministers minister directors members partners governments "
    "community group co-leads leaders allies donors participants states countries nations parties "
    "signatories meeting chair presidency forces "
    # Reporting subjects of readouts and summaries ("The Council reiterates", "The Co-Chairs expressed",
    # "They underlined") and the bodies that speak for themselves ("the G7 commit", "the GCTF strives").
    "they council co-chairs co-chair chairs co-leads alliance forum union g7 g8 g20 gctf nato osce eu "
    "representatives delegations delegates officials".split()
)
_LONG_ACTORS = tuple(actor for actor in _ACTORS if len(actor) >= 6)
_ACTOR_WINDOW = 4
# Some verbs in the perfect ("has encouraged", "have supported") report what was done, not a position.
_PERFECT = re.compile(r"\b(?:has|have|had)\s+(?:\w+\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str]
    strength: str
    needs_actor: bool
    reports_past: bool
    continues: bool
    participle: bool
    named: bool


def _cue(
    pattern: str,
    strength: str,
    needs_actor: bool = True,
    glued: bool = False,
    reports_past: bool = False,
    continues: bool = False,
    participle: bool = False,
    named: bool = False,
) -> _Cue:
    # PDF captures run words together ("Ministerstasked", "alsowelcomed"): long verbs may match
    # inside a word; short ones only as whole words.
    left = "" if glued else r"\b"
    compiled = re.compile(left + pattern + r"\b", re.IGNORECASE)
    return _Cue(compiled, strength, needs_actor, reports_past, continues, participle, named)


# The curation guide's own definition: binding when the actor commits itself, softer positions
# otherwise; impersonal norms ("must be upheld", "it is critical that") need no actor.
CUES = (
    _cue(r"must", BINDING, needs_actor=False),
    _cue(r"shall", BINDING, needs_actor=False),
    _cue(r"(?:is|are)\s+to\s+be\s+\w+(?:ed|en)", BINDING, needs_actor=False),
    _cue(r"will", BINDING),
    _cue(
        r"commit(?:s|ted|ting)?\s+(?:today\s+|again\s+|also\s+|jointly\s+|further\s+|once\s+more\s+)?"
        r"(?:to|ourselves|themselves|itself)",
        BINDING,
        False,
        glued=True,
        reports_past=True,
    ),
    _cue(r"remains?\s+(?:\w+\s+)?committed", BINDING, needs_actor=False),
    _cue(r"determin(?:ed|ation)", BINDING, needs_actor=False, glued=True),
    # "our common resolve to destroy ...": the noun commits as "determination" does.
    _cue(r"(?:our|their|its|shared|common|collective)\s+(?:\w+\s+)?resolve\s+to", BINDING, False, reports_past=True),
    _cue(r"agree[sd]?\s+to", BINDING, named=True),
    _cue(r"tasked", BINDING, glued=True),
    _cue(r"(?:pledge[sd]?|pledging)\s+(?:to|for)", BINDING, needs_actor=False),
    _cue(r"resolved?\s+to", BINDING),
    _cue(r"(?:intends?|intended|intent|intention)\s+to", BINDING, glued=True),
    _cue(r"continu(?:e|es|ing)\s+to", BINDING, continues=True),
    _cue(r"needs?\s+to", BINDING),
    _cue(r"seeks?\s+to", BINDING),
    _cue(r"(?:are|is|am)\s+(?:\w+\s+)?working\s+(?:to|towards?)", BINDING),
    _cue(r"aims?\s+(?:is\s+)?to", BINDING, needs_actor=False),
    _cue(r"remains?\s+(?:\w+\s+)?(?:engaged|focused|vigilant|united)", BINDING),
    _cue(r"(?:are|is)\s+(?:\w+\s+)?united", BINDING),
    # Reported speech of readouts and summaries: a reporting subject (above) and a committing verb.
    _cue(r"agree[sd]?\s+(?:up)?on", BINDING, reports_past=True, named=True),
    _cue(r"agree[sd]?\s+that", BINDING, reports_past=True, named=True),
    _cue(r"endors(?:e|es|ed|ing)", BINDING, glued=True, named=True),
    _cue(r"decid(?:e|es|ed)", BINDING),
    _cue(r"adopt(?:s|ed)?\s+(?:the|a|an|its|their|our|this|these|new)", BINDING, reports_past=True),
    _cue(
        r"announc(?:e|es|ed)\s+(?:the\s+|a\s+|an\s+)?(?:\w+\s+)?(?:establishment|launch|creation|formation)",
        BINDING,
        reports_past=True,
        named=True,
    ),
    _cue(r"express(?:es|ed)?\s+(?:\w+\s+){0,3}?(?:commitment|determination|resolve)", BINDING, named=True),
    # Renewing a commitment binds as the commitment does ("Ministers reaffirmed their commitment to ...").
    _cue(
        r"(?:reaffirm|reiterat|renew|reconfirm)\w*\s+(?:\w+\s+){0,2}?(?:commitment|determination|resolve|pledge)",
        BINDING,
        glued=True,
        named=True,
    ),
    _cue(r"striv(?:e|es)\s+to", BINDING),
    _cue(r"undert(?:akes?|ook)\s+to", BINDING),
    _cue(r"express(?:es|ed)?\s+(?:\w+\s+){0,3}?(?:support|solidarity|appreciation|hope)", SOFT, named=True),
    _cue(r"reiterat(?:e|es|ed)", SOFT, glued=True, named=True),
    _cue(r"(?:re)?confirm(?:s|ed)?", SOFT, named=True),
    _cue(r"underscor(?:e|es|ed)", SOFT, named=True),
    _cue(r"invit(?:e|es|ed)", SOFT),
    _cue(r"(?:is|are)\s+(?:also\s+)?invited\s+to", SOFT, needs_actor=False),
    # A participle going on with the clause's reporting subject ("..., underscoring the need to ...").
    _cue(
        r"(?:underscoring|stressing|reiterating|reaffirming|emphasi[sz]ing|underlining|expressing\s+(?:\w+\s+){0,3}?"
        r"(?:support|commitment|determination)|welcoming|endorsing|committing)",
        SOFT,
        participle=True,
    ),
    _cue(r"should", SOFT, needs_actor=False),
    _cue(r"could", SOFT),
    _cue(r"welcom(?:e|es|ed|ing)", SOFT, glued=True, named=True),
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
    _cue(r"reaffirm(?:s|ed)?", SOFT, glued=True, named=True),
    _cue(r"affirm(?:s|ed)?", SOFT),
    _cue(r"(?:believe[sd]?|belief)", SOFT),
    _cue(r"hop(?:e|es|ed)\s+to", SOFT),
    _cue(r"(?:deeply\s+|gravely\s+)?concerned", SOFT),
    _cue(r"encouraged", SOFT, reports_past=True),
    _cue(r"(?:appreciate[sd]?|applaud(?:s|ed)?|deplore[sd]?)", SOFT),
    _cue(
        r"(?:is|are|remains?)\s+(?:\w+\s+)?(?:essential|necessary|critical|crucial|vital|fundamental|key|important"
        r"|imperative|paramount|integral|indispensable)(?:\s+(?:task|element|part|step|component|pillar|tool|means"
        r"|condition|factor|priority))?(?=\s*(?:[.,;:]|to\b|for\b|that\b|in\b|as\b|than\b|$))",
        SOFT,
        needs_actor=False,
    ),
    _cue(
        r"it\s+is\s+(?:\w+\s+)?(?:important|critical|essential|necessary|vital|crucial|key|imperative|time)",
        SOFT,
        needs_actor=False,
    ),
    _cue(r"it(?:’s|'s)\s+(?:\w+\s+)?(?:important|critical|essential|necessary|vital|crucial|time)", SOFT, False),
    _cue(
        r"(?:is|are|remains?)\s+(?:a\s+|the\s+|our\s+|its\s+|their\s+)?(?:[\w-]+\s+){0,2}?priorit(?:y|ies)",
        SOFT,
        needs_actor=False,
    ),
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
_PURPOSE_VERBS = _GOAL_VERBS | frozenset("accelerate intensify redouble reaffirm renew build".split())
_MEETING = re.compile(r"\b(?:met|meets|convened|gathered|came\s+together)\b", re.IGNORECASE)
_INFINITIVE = re.compile(r"(?:\b(?P<and>and)\s+)?\b(?P<to>to)\s+(?P<verb>[a-z]+)\b", re.IGNORECASE)
# Nominal items of an action plan take their force from its lead-in ("1. Strengthening border security",
# "Implementation of relevant resolutions"): a gerund of a goal verb, or one of these nouns of action.
_ACTION_NOUNS = frozenset(
    "implementation prevention protection promotion enhancement development improvement reinforcement "
    "expansion establishment elimination disruption coordination cooperation mobilisation mobilization "
    "stabilisation stabilization countering".split()
)
# A heading that numbers the plan's items ("Action 1: CT Measures", "Pillar II", "Line of effort 3").
_PILLAR_HEADING = re.compile(
    r"(?:Action|Pillar|Priority|Objective|Line\s+of\s+[Ee]ffort|Goal)\s+(?:\d{1,2}|[IVX]{1,4})\b"
)
_NUMBERED = re.compile(r"[ \t]*\(?\d{1,2}[.)]\s")


@dataclass(frozen=True)
class CueMatch:
    start: int
    end: int
    words: str
    strength: str | None  # None: the cue takes the strength of the one before it
    continues: bool = False
    participle: bool = False  # goes on with the clause before it: no cut there
    purpose: bool = False  # a meeting's infinitive of purpose: the commitment starts there


def _is_actor(word: str) -> bool:
    word = word.lower().strip("’'")
    # A PDF may glue the actor to the next word ("Coalitionto", "Ministerstasked").
    return word in _ACTORS or any(word.startswith(actor) for actor in _LONG_ACTORS)


# A name the text gives with its acronym, "the Counter ISIS Finance Group (CIFG)": its capitalised words
# whose initials spell the acronym.
_DEFINED = re.compile(r"((?:[A-Z][\w’'-]*\s+){0,7}[A-Z][\w’'-]*)\s+\(([A-Z][A-Za-z0-9]{1,7})\)")


@functools.lru_cache(maxsize=16)
def acronyms(text: str) -> dict[str, str]:
    """{acronym in lower case: the name it stands for} for the acronyms the text defines ("Counter ISIS
    Finance Group (CIFG)": {"cifg": "Counter ISIS Finance Group"}); the initials must spell it."""
    found: dict[str, str] = {}
    for match in _DEFINED.finditer(text):
        words, acronym = match.group(1).split(), match.group(2)
        for first in range(len(words)):
            if "".join(w[0] for w in words[first:]).lower() == acronym.lower():
                found.setdefault(acronym.lower(), " ".join(words[first:]))
                break
    return found


def _defined_actors(text: str) -> frozenset[str]:
    """The acronyms of bodies whose name ends with a word that can commit (Group, Forum, Council…): they can
    commit too ("the CIFG will continue to …")."""
    return frozenset(acronym for acronym, name in acronyms(text).items() if _is_actor(name.split()[-1]))


def _has_actor_before(text: str, position: int, floor: int, window: int = _ACTOR_WINDOW) -> bool:
    words = _WORD.findall(text[floor:position])
    defined = _defined_actors(text)

    def actor(word: str) -> bool:
        return _is_actor(word) or word.lower() in defined

    if any(actor(word) for word in words[-window:]):
        return True
    # A verb coordinated with an earlier one ("... have put together X and will continue") shares
    # the clause's subject: look at the words the span opens with.
    return bool(words) and words[-1].lower() in {"and", "also"} and any(actor(w) for w in words[:6])


# A noun phrase opened by "a"/"an" just before "committed to" describes a body's mandate.
_DESCRIBED = re.compile(r"\b(?:a|an)\s+(?:[\w-]+\s+){0,2}[\w-]+\s+$", re.IGNORECASE)

# Words that may open a sentence with a capital without naming anyone; and who never commits.
_NOT_NAMES = frozenset("the this these that those it its in as on at by with for daesh isis isil al-qaida".split())
_ADVERBS = frozenset("also jointly further again once firmly strongly warmly fully".split())


def _named_before(text: str, position: int, floor: int) -> bool:
    """Whether a reporting verb directly follows a name ("Italy announced", "the Netherlands also reiterated"):
    a member or partner named in a readout is who commits."""
    words = [w for w in _WORD.findall(text[floor:position]) if w.lower() not in _ADVERBS]
    return bool(words) and words[-1][:1].isupper() and words[-1].lower() not in _NOT_NAMES


# A time before the statement's own, just before a verb in the past: "last week the Coalition reaffirmed".
_PAST_TIME = re.compile(
    r"\b(?:last\s+(?:week|month|year)|yesterday|earlier\s+this\s+(?:week|month|year))\b"
    r",?\s+(?:[\w’'/-]+\s+){0,8}$",
    re.IGNORECASE,
)
# "with (continuous) Coalition support": "support" is a noun there.
_WITH_NOUN = re.compile(r"\bwith\s+(?:[\w’'-]+\s+){0,2}$", re.IGNORECASE)


def _purposes(text: str, start: int, end: int) -> list[CueMatch]:
    """The goal a meeting met for, "Ministers met today in Rome … to take stock … and to accelerate our
    efforts to …": a committing verb in the infinitive of purpose after "met" / "convened" (not "to
    discuss", "to review", which say what the meeting did)."""
    found = []
    for meeting in _MEETING.finditer(text, start, end):
        # The first infinitive after the verb says what the meeting was for; "and to …" adds to it.
        for number, match in enumerate(_INFINITIVE.finditer(text, meeting.end(), end)):
            if number and not match.group("and"):
                break
            if match.group("verb").lower() in _PURPOSE_VERBS:
                words = " ".join(text[match.start("to") : match.end("verb")].split())
                found.append(CueMatch(match.start("to"), match.end("verb"), words, BINDING, purpose=True))
    return found


def find_cues(text: str, start: int, end: int, actor_given: bool = False) -> list[CueMatch]:
    """The cue words in `text[start:end]`, in order, each with the strength it signals.

    `actor_given`: the span is a list item whose lead-in names who commits ("The Council: a) welcomes ..."),
    so a verb opening the item has its subject."""
    found: list[CueMatch] = []
    for cue in CUES:
        for match in cue.pattern.finditer(text, start, end):
            before = text[max(start, match.start() - 4) : match.start()].lower()
            if cue.needs_actor and re.search(r"\bto\s*$", before):
                continue  # an infinitive ("to support")
            if cue.participle:
                # Only after a comma, going on with a clause whose subject reports ("Ministers met, stressing").
                if not re.search(r",\s*(?:\w+\s+)?$", text[max(start, match.start() - 20) : match.start()]):
                    continue
                if not (actor_given or _has_actor_before(text, match.start(), start, window=1000)):
                    continue
            elif (
                cue.needs_actor
                and not _has_actor_before(text, match.start(), start)
                and not (cue.named and _named_before(text, match.start(), start))
            ):
                if not (actor_given and not text[start : match.start()].strip()):
                    continue  # no one who commits
            if cue.reports_past and _PERFECT.search(text, max(start, match.start() - 30), match.start()):
                continue
            if match.group().split()[0].lower().endswith("ed") and _PAST_TIME.search(
                text, max(start, match.start() - 120), match.start()
            ):
                continue  # "last week the Coalition reaffirmed its commitment": what an earlier meeting said
            if match.group().lower().startswith("support") and _WITH_NOUN.search(
                text, max(start, match.start() - 40), match.start()
            ):
                continue  # "with continuous Coalition support, Iraqi forces have …": a noun
            if match.group().lower().startswith("committed") and _DESCRIBED.search(
                text, max(start, match.start() - 40), match.start()
            ):
                continue  # "an action-oriented platform committed to ...": what a body is for, not a pledge
            words = " ".join(match.group().split())
            found.append(CueMatch(match.start(), match.end(), words, cue.strength, cue.continues, cue.participle))
    found += _purposes(text, start, end)
    found.sort(key=lambda c: (c.start, -c.end))
    kept: list[CueMatch] = []
    for hit in found:
        if kept and hit.start < kept[-1].end:
            continue  # "will continue to": one cue, not three
        if hit.continues:
            hit = _continuing(text, hit, kept[-1] if kept else None, end)
        kept.append(hit)
    return kept


_BE = re.compile(r"\s*be\s+", re.IGNORECASE)


def _continuing(text: str, cue: CueMatch, previous: CueMatch | None, end: int) -> CueMatch:
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


def goal_verb(text: str, segment: Segment) -> str | None:
    """The verb a list item's lead-in opens with when it is an imperative goal ("Tackle global networks and
    propaganda": "Tackle"), else None."""
    if not segment.lead_in:
        return None
    first = _WORD.match(text, segment.start)
    return first.group() if first is not None and first.group().lower() in _GOAL_VERBS else None


def _is_action_word(word: str) -> bool:
    word = word.lower()
    if word in _ACTION_NOUNS:
        return True
    if not word.endswith("ing") or len(word) < 7:
        return False
    stem = word[:-3]
    return stem in _GOAL_VERBS or stem + "e" in _GOAL_VERBS or (stem[-1:] == stem[-2:-1] and stem[:-1] in _GOAL_VERBS)


def pillar_word(text: str, segment: Segment) -> str | None:
    """The word a numbered action-plan item opens with when it is nominal ("1. Strengthening and enhancing
    border security": "Strengthening"), else None. Numbered means a "1." / "(2)" marker, or the first line
    under an "Action 1" / "Pillar 2" heading."""
    first = _WORD.match(text, segment.start)
    if first is None or not _is_action_word(first.group()) or not first.group()[0].isupper():
        return None
    line_start = text.rfind("\n", 0, segment.start) + 1
    if _NUMBERED.match(text, line_start) and segment.list_item:
        return first.group()
    lines = text[:line_start].rstrip().splitlines()
    heading = lines[-1].strip() if lines else ""
    return first.group() if _PILLAR_HEADING.match(heading) else None


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


def _clauses(text: str, segment: Segment, cues: Sequence[CueMatch]) -> list[tuple[int, int]]:
    """Cut a sentence where a coordinated clause brings a cue of its own ("We welcome X and stand ready to Y")."""
    pieces: list[tuple[int, int]] = []
    left = segment.start
    for match in _COORDINATOR.finditer(text, segment.start, segment.end):
        following = next((c for c in cues if c.start >= match.end() and not c.participle), None)
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
    return [piece for start, end in pieces for piece in _means(text, *trimmed(text, start, end))]


# "... by curbing X, enhancing Y, and fighting Z": a list of means, each of which may be its own pledge.
_MEANS_START = re.compile(r"\b(?:by|through|including|via)\s+[a-z]+ing\b")
_MEANS_NEXT = re.compile(r",\s+(?:and\s+)?(?=[a-z]+ing\s)")


def _means(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A clause cut before each further item of a list of means, when it has one."""
    first = _MEANS_START.search(text, start, end)
    if first is None:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    left = start
    for match in _MEANS_NEXT.finditer(text, first.end(), end):
        if len(text[match.end() : end].split()) < _CLAUSE_MIN_WORDS:
            break
        pieces.append((left, match.start()))
        left = match.end()
    return [*pieces, (left, end)]


def _describe(cues: Sequence[CueMatch]) -> tuple[str, str]:
    """The cue words as one string ("will continue to, welcome") and the strength they signal."""
    strength = BINDING if any(c.strength == BINDING for c in cues) else SOFT
    phrases: list[str] = []
    previous_end: int | None = None  # set with the first phrase
    for cue in cues:
        if previous_end is not None and cue.start - previous_end <= 1:
            phrases[-1] = f"{phrases[-1]} {cue.words}"  # one space apart: one phrase ("will" "continue to")
        else:
            phrases.append(cue.words)
        previous_end = cue.end
    return ", ".join(dict.fromkeys(phrases)), strength


def commitment_candidates(text: str) -> list[Candidate]:
    """The spans of `text` that commit to something, in text order."""
    result: list[Candidate] = []
    previous: Candidate | None = None
    lead_actor = False  # the last lead-in names who commits ("The Council:"), for the list items after it
    for segment in segments(text):
        cues = find_cues(text, segment.start, segment.end, actor_given=lead_actor and segment.list_item)
        if segment.lead_in:
            lead_actor = any(_is_actor(word) for word in _WORD.findall(text, segment.start, segment.end))
        elif not segment.list_item and not text[text.rfind("\n", 0, segment.start) + 1 : segment.start].strip():
            lead_actor = False  # a new paragraph; a further sentence of the same item keeps its lead-in
        if not cues:
            verb = goal_verb(text, segment) or pillar_word(text, segment)
            if verb is not None:
                result.append(Candidate(segment.start, segment.end, verb, BINDING))
                previous = result[-1]
                continue
            continuation = _CONTINUATION.match(text, segment.start)
            if previous is not None and continuation and previous.end <= segment.start:
                # Goes on with the commitment before it, with the same force.
                words = " ".join(continuation.group().split())
                result.append(Candidate(segment.start, segment.end, words, previous.strength))
                previous = result[-1]
                continue
            previous = None
            continue
        for start, end in _clauses(text, segment, cues):
            own = [c for c in cues if start <= c.start < end] or cues
            if own[0].purpose and start <= own[0].start < end:
                start = own[0].start  # "Ministers met in Rome … to accelerate our efforts": what they met for
            cue, strength = _describe(own)
            result.append(Candidate(start, end, cue, strength))
        previous = result[-1]
    return result
