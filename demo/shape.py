"""The seed's shape, measured from `fixtures/seed.json` each time the generator starts: what its draws are fitted to.

The seed is the curated record of four meetings: five statements of 9 to 60 commitments and texts of
2,851 to 13,553 characters, 21 recurring pledges of 2 to 7 entries over 2 to 4 meetings, 26
assessments. Fitted to it, each time (the seed is small, the measure takes milliseconds, and a
change to the seed changes the demo with it):

- commitments per statement, and a statement's characters per commitment: lognormal, the mean and
  standard deviation of the seed's logarithms;
- statements per meeting, and a pledge's entries at a meeting it comes back at: drawn from the
  seed's own values;
- the share of commitments that are in a recurring pledge;
- how many meetings a pledge comes back at: a discrete power law from 2 meetings (real pledges run
  for years, the seed's four meetings cut them short), its exponent the maximum-likelihood fit to the
  seed's pledges, each one still running at the seed's last meeting counted as "at least" (censored).
  Cut at `LONGEST_PLEDGE` meetings: at 10,000 commitments and more the longest pledges run to
  hundreds of entries;
- the share of commitments assessed, of assessments later superseded, and the verdicts' weights.

What the seed cannot show is an assumption, said where it is made (`demo.synthetic`): the days
between meetings, the drafts waiting for review, the amounts named.
"""

import json
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

# The most meetings a generated pledge comes back at: a pledge kept for years of meetings, hundreds of
# entries long, not one that spans the whole generated record (which at 100,000 commitments would be
# thousands of entries, longer than any tracker holds).
LONGEST_PLEDGE = 200


def seed_records():
    """The seed's records, as `load_seed` reads them."""
    return json.loads((Path(settings.BASE_DIR) / "fixtures" / "seed.json").read_text(encoding="utf-8"))


def _log_normal(values):
    logs = [math.log(value) for value in values]
    return statistics.fmean(logs), statistics.pstdev(logs)


def power_law_exponent(lifetimes, *, smallest=2, longest=LONGEST_PLEDGE):
    """The exponent s of P(k) ∝ k^-s over smallest..longest that makes `lifetimes` likeliest.

    `lifetimes` are (meetings, censored) pairs: a censored pledge came back at least that many times.
    A grid of exponents from 0 to 5 (steps of 0.01): the likelihood is smooth and the seed small. (Cut at
    `longest`, an exponent below 1 is a law still: the seed's pledges nearly all run on, and fit one.)
    """
    best, best_likelihood = 0.0, -math.inf
    for step in range(501):
        s = step / 100
        weights = [k**-s for k in range(smallest, longest + 1)]
        total = sum(weights)
        # P(L >= k) for every k, from the longest down.
        at_least, running = {}, 0.0
        for k in range(longest, smallest - 1, -1):
            running += weights[k - smallest]
            at_least[k] = running / total
        likelihood = sum(
            math.log(at_least[k]) if censored else math.log(weights[k - smallest] / total) for k, censored in lifetimes
        )
        if likelihood > best_likelihood:
            best, best_likelihood = s, likelihood
    return best


@dataclass(frozen=True)
class SeedShape:
    """The seed's figures the generator draws from (this module's docstring says how each is fitted)."""

    per_statement: tuple[float, float]  # log mean and standard deviation of commitments per statement
    chars_per_commitment: tuple[float, float]  # and of a statement's characters per commitment
    statements_per_meeting: tuple[int, ...]
    thread_share: float  # of commitments, in a recurring pledge
    entries_per_meeting: tuple[int, ...]  # a pledge's entries at each meeting it comes back at
    lifetime_exponent: float  # of the power law of the meetings a pledge comes back at
    assessed_share: float  # of commitments, assessed at least once
    superseded_share: float  # of assessed commitments, assessed again (the later superseding the earlier)
    verdicts: dict  # verdict: how many of the seed's assessments give it

    @classmethod
    def from_seed(cls, records=None):
        records = seed_records() if records is None else records
        by_model = defaultdict(list)
        for record in records:
            by_model[record["model"]].append(record["fields"])
        statements = {s["slug"]: s for s in by_model["meetings.statement"]}
        meeting_order = sorted(m["start_date"] for m in by_model["meetings.meeting"])
        meeting_day = {m["slug"]: m["start_date"] for m in by_model["meetings.meeting"]}
        commitments = {c["slug"]: c for c in by_model["commitments.commitment"]}
        per_statement = Counter(c["statement"][0] for c in commitments.values())
        meeting_of = {slug: meeting_day[s["meeting"][0]] for slug, s in statements.items()}

        at_meetings = defaultdict(Counter)  # pledge: {meeting day: its entries there}
        for entry in by_model["commitments.threadentry"]:
            at_meetings[entry["thread"][0]][meeting_of[commitments[entry["commitment"][0]]["statement"][0]]] += 1
        last = meeting_order[-1]
        lifetimes = [(len(days), last in days) for days in at_meetings.values()]

        assessments = by_model["commitments.assessment"]
        per_commitment = Counter(a["commitment"][0] for a in assessments)
        return cls(
            per_statement=_log_normal(per_statement.values()),
            chars_per_commitment=_log_normal(len(statements[slug]["text"]) / n for slug, n in per_statement.items()),
            statements_per_meeting=tuple(sorted(Counter(s["meeting"][0] for s in statements.values()).values())),
            thread_share=len({e["commitment"][0] for e in by_model["commitments.threadentry"]}) / len(commitments),
            entries_per_meeting=tuple(sorted(n for days in at_meetings.values() for n in days.values())),
            lifetime_exponent=power_law_exponent(lifetimes),
            assessed_share=len(per_commitment) / len(commitments),
            superseded_share=sum(1 for n in per_commitment.values() if n > 1) / len(per_commitment),
            verdicts=dict(sorted(Counter(a["verdict"] for a in assessments).items())),
        )

    def lifetime_weights(self):
        """(meetings, cumulative weight) of the power law, for `random.choices`."""
        meetings = range(2, LONGEST_PLEDGE + 1)
        cumulative, running = [], 0.0
        for k in meetings:
            running += k**-self.lifetime_exponent
            cumulative.append(running)
        return list(meetings), cumulative
