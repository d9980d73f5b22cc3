"""The content words of a text: what slugs and searches are made of (no stopwords, capture artefacts folded)."""

import re

from .spans import display_text

# Words that say nothing about what a pledge is about (both engines drop most of them too).
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves shall must may
    might upon within without well including like don""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")
MIN_TERM_LENGTH = 3


def words_of(text: str) -> list[str]:
    """The content words of a text, lower-cased, in order, without repeats (capture artefacts folded)."""
    tokens = _TOKEN.findall(display_text(text).lower())
    return list(dict.fromkeys(t for t in tokens if len(t) >= MIN_TERM_LENGTH and t not in STOPWORDS))
