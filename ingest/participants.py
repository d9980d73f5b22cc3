"""Participation found in a statement's text: hosts, co-chairs, new members (with their ordinal), observers.

Pure text work, deterministic: a few phrasings a readout or communiqué uses to say who hosted or
co-chaired a meeting, who joined and who observed ("co-chaired by the Netherlands and Morocco", "at
the invitation of Danish Minister …", "welcomed Kenya and Kuwait as new members", "invited to become
the 29th member", "attended as observers"). Each name found is one participation; its quote is the
words that say so, with exact offsets into the text as given. `match_members`
then names the stored `meetings.Member` each one is, by name, short name or demonym, in one query.

Roles are the annotation's (`host`, `co-chair`, `new-member`, `observer`); `meetings.Participation`
has no co-chair role, so accepting a co-chair records `host` (co-chairs jointly host a meeting) and
says so in the participation's note (`ingest.services`).
"""

import re
from collections.abc import Iterator

from meetings.models import Member

from .figures import Place
from .segments import trimmed

HOST, CO_CHAIR, NEW_MEMBER, OBSERVER = "host", "co-chair", "new-member", "observer"
ROLES = (HOST, CO_CHAIR, NEW_MEMBER, OBSERVER)


class FoundParticipation(Place):
    """A participation as the dry run's JSON gives it."""

    quote: str
    member: str  # the name as the text gives it ("the Netherlands", "Danish")
    member_slug: str | None  # the stored meetings.Member it names, or None
    role: str  # one of ROLES
    ordinal: int | None  # a new member's rank ("the 84th member"), when the text gives it
    cue: str  # the words that made it a participation


# Demonyms and short forms a text uses for a member: the member's usual name. Lower case.
ALIASES = {
    "u.s.": "United States", "us": "United States", "usa": "United States", "american": "United States",
    "united states of america": "United States", "u.k.": "United Kingdom", "uk": "United Kingdom",
    "british": "United Kingdom", "danish": "Denmark", "french": "France", "german": "Germany",
    "italian": "Italy", "turkish": "Turkey", "türkiye": "Turkey", "turkiye": "Turkey", "iraqi": "Iraq",
    "libyan": "Libya", "dutch": "Netherlands", "moroccan": "Morocco", "egyptian": "Egypt", "saudi": "Saudi Arabia",
    "spanish": "Spain", "canadian": "Canada", "japanese": "Japan", "kenyan": "Kenya", "kuwaiti": "Kuwait",
    "nigerian": "Nigeria", "nigerien": "Niger", "beninese": "Benin", "emirati": "United Arab Emirates",
    "uae": "United Arab Emirates", "jordanian": "Jordan", "belgian": "Belgium", "norwegian": "Norway",
    "swedish": "Sweden", "australian": "Australia", "qatari": "Qatar", "malian": "Mali",
    "drc": "Democratic Republic of the Congo", "democratic republic of congo": "Democratic Republic of the Congo",
    "eu": "European Union", "nato": "NATO", "interpol": "INTERPOL",
}  # fmt: skip

# A capitalised word; a full stop inside it ("U.S") but never at its end, where it ends a sentence.
_WORD = r"[A-ZÀ-Ý](?:[\w’'\-]|\.(?=\w))*"
_NAME = rf"(?:the\s+)?{_WORD}(?:\s+(?:of\s+(?:the\s+)?)?{_WORD})*"
_NAMES = rf"{_NAME}(?:\s*,\s*(?:and\s+)?{_NAME})*(?:,?\s+and\s+{_NAME})?"
# How the aliases are written in a text: capitalised, or in capitals ("Danish", "U.S.", "UAE").
_DEMONYM = "|".join(
    re.escape(form)
    for form in sorted({f for a in ALIASES if a != "us" for f in (a.title(), a.upper())}, key=lambda f: (-len(f), f))
)
# A character of a lead-in before the verb: within its sentence (a full stop only after an initial, "U.S.").
_LEAD = r"(?:[^.;:\n]|(?<=\b[A-Z])\.)"
_INVITER = r"(?:[^,;.\n]|\n(?![ \t]*\n)|(?<=\b[A-Z])\.)"  # up to a comma, a full stop or a blank line
_ORDINAL = r"(?P<ordinal>\d{1,3})(?:st|nd|rd|th)"

# (role, pattern): the names are in the group `names` (a list) or `name` (one, perhaps a demonym).
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (role, re.compile(pattern))
    for role, pattern in (
        (CO_CHAIR, rf"(?<!to be )\bco-chaired\s+by\s+(?P<names>{_NAMES})"),
        (CO_CHAIR, rf"\b[Cc]o-[Cc]hairs,?\s+(?P<names>{_NAMES})"),
        (CO_CHAIR, rf"\b[Cc]o-[Cc]hair(?:manship)?\s+to\s+(?P<names>{_NAMES})"),
        (CO_CHAIR, rf"(?P<lead>{_LEAD}{{3,200}}?)\s+co-chaired\b"),
        (HOST, rf"(?<![Cc]onferences )(?<![Cc]onference )\b(?:co-)?hosted\s+by\s+(?P<names>{_NAMES})"),
        (
            HOST,
            rf"\b[Aa]t\s+the\s+(?:joint\s+)?invitation\s+of\s+(?:the\s+)?(?P<lead>(?:(?!\s+to\s){_INVITER}){{3,160}})",
        ),
        (HOST, rf"(?P<lead>{_LEAD}{{3,200}}?)\s+(?:co-)?host(?:ed|s)\s+(?:\w+ly\s+)?(?:the|a|an|this)\b"),
        # A headline: "Bahrain Hosts Eleventh Meeting of the …".
        (HOST, rf"(?P<names>{_NAMES})\s+(?:Co-)?Hosts\s+(?:{_WORD}\s+){{0,4}}?(?:Meeting|Conference|Ministerial)\b"),
        (
            NEW_MEMBER,
            rf"\bwelcom(?:e|ed|es|ing)\s+(?:the\s+)?new\s+members?(?:\s+joining\s+the\s+\w+)?\s*[-–—:,]?\s*"
            rf"(?P<names>{_NAMES})",
        ),
        (NEW_MEMBER, rf"(?P<names>{_NAME})[’']s\s+new\s+membership\b"),
        (
            NEW_MEMBER,
            rf"\bwelcom(?:e|ed|es|ing)\s+(?P<names>{_NAMES})\s+(?:as\s+(?:the\s+|its\s+|our\s+|a\s+)?"
            rf"(?:{_ORDINAL}\s+)?(?:new(?:est)?\s+)?(?:\w+\s+)?members?\b|(?:in)?to\s+(?:the|our)\s+\w+)",
        ),
        (
            NEW_MEMBER,
            rf"(?P<names>{_NAMES})\s+(?:has\s+|have\s+|formally\s+)?join(?:ed|s)\s+(?:the|our)\s+\w+"
            rf"(?:\s+as\s+(?:its|the|our)\s+{_ORDINAL}\s+member)?",
        ),
        (
            NEW_MEMBER,
            rf"(?P<names>{_NAMES}),?\s+which\s+(?:\w+\s+){{0,3}}invited\s+to\s+become\s+(?:the|a|our)\s+"
            rf"(?:{_ORDINAL}\s+)?(?:new\s+)?member",
        ),
        (OBSERVER, rf"(?P<names>{_NAMES})\s+(?:attended|participated|took\s+part|joined)\s+as\s+(?:an?\s+)?observers?"),
        (OBSERVER, rf"(?P<names>{_NAMES})\s+(?:also\s+)?came\s+to\s+observe\b"),
        (OBSERVER, rf"\bwith\s+(?P<names>{_NAMES})\s+observing\b"),
        (
            OBSERVER,
            rf"\binvit(?:e|ed|es|ing)\s+(?P<names>{_NAMES})\s+to\s+(?:participate|attend|take\s+part|join)"
            rf"\s+(?:\w+\s+)?as\s+observers?",
        ),
    )
)
_NOT_MEMBERS = frozenset(
    "the coalition group forum members ministers minister partners participants co-chairs chairs alliance "
    "council political directors global daesh isis isil we they meeting secretary foreign".split()
)
_NAME_IN_LEAD = re.compile(rf"(?<![\w.])(?:{_DEMONYM})(?![\w])|{_NAME}")
_LIST_ONLY = re.compile(_NAMES)
_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|,?\s+and\s+")


def participations(text: str) -> list[FoundParticipation]:
    """The participations the text states, in text order; `member_slug` None (see `match_members`)."""
    found: dict[tuple[str, str], FoundParticipation] = {}
    for role, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = trimmed(text, *_within_sentence(text, match))
            ordinal = match.groupdict().get("ordinal")
            for name in _names(match):
                key = (canonical(name), role)
                if key in found or _claimed(found, key[0], start, end):
                    continue
                found[key] = {
                    "start": start,
                    "end": end,
                    "quote": text[start:end],
                    "member": name,
                    "member_slug": None,
                    "role": role,
                    "ordinal": int(ordinal) if ordinal and role == NEW_MEMBER else None,
                    "cue": " ".join(match.group().split()[-4:])[:200],
                }
    return sorted(
        found.values(), key=lambda p: (p["start"], p["end"], ROLES.index(p["role"]), p["quote"].find(p["member"]))
    )


def _claimed(found: dict[tuple[str, str], FoundParticipation], name: str, start: int, end: int) -> bool:
    """Whether the name already has a role from the same sentence ("Co-Chairs X and Y hosted": co-chairs)."""
    return any(key[0] == name and item["start"] < end and start < item["end"] for key, item in found.items())


def _names(match: re.Match[str]) -> Iterator[str]:
    groups = match.groupdict()
    if groups.get("names"):
        parts = _SPLIT.split(match.group("names"))
    elif _LIST_ONLY.fullmatch(lead := (groups.get("lead") or "").strip()) and all(
        canonical(part) in _KNOWN or not any(word.lower() in ALIASES for word in part.split())
        for part in _SPLIT.split(lead)
    ):  # only names: "Kenya and Peru co-hosted", "Italy and Saudi Arabia" (not "Danish Foreign Minister Anne Holm")
        parts = _SPLIT.split(lead)
    else:  # a lead-in before the verb: the names and demonyms in it ("Turkish Foreign Minister … co-chaired")
        parts = [_known_part(m.group()) for m in _NAME_IN_LEAD.finditer(groups.get("lead") or "")]
        parts = [p for p in parts if p]
    for part in parts:
        name = part.strip(" ,")
        words = name.lower().removeprefix("the ").split()
        if name and words and words[0] not in _NOT_MEMBERS and not name.lower().startswith(("global", "coalition")):
            yield name


_KNOWN = frozenset(v.lower() for v in ALIASES.values())


def _known_part(name: str) -> str:
    """A name (or its last "of …" part: "the Government of Niger") that is a member's, else ""."""
    for part in (name, name.rsplit(" of ", 1)[-1]):
        if canonical(part) in _KNOWN or part.strip(" ,.").lower() in ALIASES:
            return part
    return ""


def canonical(name: str) -> str:
    """A member's name reduced for comparison: lower case, no leading "the", aliases and demonyms resolved."""
    plain = " ".join(name.split()).strip(" ,.").lower().removeprefix("the ")
    for form in (plain, plain + ".", plain.rstrip(".")):
        if form in ALIASES:
            return ALIASES[form].lower()
    return plain


def _within_sentence(text: str, match: re.Match[str]) -> tuple[int, int]:
    """The match, from where its sentence starts when a lead-in reaches back past it (or a blank line)."""
    start, end = match.start(), match.end()
    if match.groupdict().get("lead") is not None and match.start("lead") == start:
        lead = match.group("lead")
        cut = lead.rfind("\n\n")  # a lead-in holds no full stop but an initial's
        if cut >= 0:
            start += cut + 2
    return start, end


def match_members(found: list[FoundParticipation]) -> list[FoundParticipation]:
    """Each participation with `member_slug` set where a stored member has its name (one query)."""
    if not found:
        return found
    slugs = {canonical(name): slug for slug, name in Member.objects.order_by("slug").values_list("slug", "name")}
    for item in found:
        item["member_slug"] = slugs.get(canonical(item["member"]))
    return found
