"""Figures: the numbers a statement cites, with their unit and the hedge before them."""

import re
from decimal import Decimal
from typing import TypedDict

from .segments import trimmed


class Place(TypedDict):
    """Where a suggestion (a figure or a commitment's span) is in the text: `text[start:end]`."""

    start: int
    end: int


class FigurePlace(Place):
    unit: str  # a currency code, "percent", a noun ("people") or ""


class FoundFigure(FigurePlace):
    """A number the text cites, as the dry run's JSON gives it."""

    value: int | float | None  # None for a vague one ("thousands of")
    qualifier: str  # a meetings.models.Qualifier slug


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


def _qualifier_slug(words: str) -> str:
    if not words:
        return "exact"
    for pattern, slug in _QUALIFIERS:
        if re.fullmatch(pattern, words, re.IGNORECASE):
            return slug
    return "exact"


def _number(raw: str) -> Decimal:
    raw = raw.lower()
    if raw in _WORD_NUMBERS:
        return Decimal(_WORD_NUMBERS[raw])
    return Decimal(raw.replace(",", ""))


def figures(text: str) -> list[FoundFigure]:
    """The numbers `text` cites, each with its exact span, value, unit and qualifier."""
    result: list[FoundFigure] = []
    for match in _FIGURE.finditer(text):
        number, vague = match.group("number"), match.group("vague")
        if not _is_figure(text, match):
            continue
        start, end = trimmed(text, match.start(), match.end())
        if match.group("number") and text[end:].lower().startswith(("st ", "nd ", "rd ", "th ")):
            end += 2  # "68th member"
        value: Decimal | None = None
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


def _plain_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number: an int when whole, else a float."""
    return int(value) if value == value.to_integral_value() else float(value)


def _is_figure(text: str, match: re.Match[str]) -> bool:
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


def _ordinal_member(text: str, end: int) -> bool:
    """ "68th member": an ordinal counts members, other ordinals are ranks or dates."""
    return bool(re.match(r"(?:st|nd|rd|th)\s+members?\b", text[end:], re.IGNORECASE))


def _followed_by_unit(text: str, match: re.Match[str]) -> bool:
    unit, _ = _unit(text, match.end())
    return bool(unit)


def _unit(text: str, end: int) -> tuple[str, int]:
    """The noun after a number, up to three words ("foreign terrorist fighters"), and where it ends."""
    words: list[str] = []
    position = end
    hyphen = re.match(r"-([A-Za-z]+)", text[end:])
    if hyphen:
        return hyphen.group(1).lower(), end + hyphen.end()
    ends: list[int] = []
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
