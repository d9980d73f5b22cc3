"""Synthetic tracker data at any size, built with the project's factories, for benchmarks and demos.

Shaped like the record (`demo.shape` measures the seed, `fixtures/seed.json`, when it starts): meetings
of one or two statements, each statement's commitments and text length drawn from lognormal laws
fitted to the seed's, every text made of the seed's own sentences (its commitments' quotes and the
source statements' other sentences) with the year and numbers varied. Commitments are valid quotes of
those texts (offsets found where the text was assembled), the seed's share of them in recurring
pledges that come back meeting after meeting, a pledge's meetings drawn from a power law fitted to the
seed's pledges (a long tail: the longest run to hundreds of entries), its entries at each from the
seed's, its wording changed a little each time. The seed's share of commitments is assessed, with its
verdicts' weights and its share superseded (the evidence quoted from a later meeting, a few drafts
waiting for review, per-member scores and, for the few pledges that name an amount, money stages);
figures, members and participation come along, and every record gets its initial history row, as a
curated database has.

What the seed cannot show is assumed, and said where: meetings a fortnight apart (the seed's four are
months apart; at that pace 100,000 commitments would span centuries), `DRAFT_SHARE`, `MONEY_SHARE`.

Everything is written meeting batch by meeting batch with bulk inserts, so memory stays flat and
100,000 commitments take a few minutes at most. The same seed number (`--seed`, 1 by default) gives
the same data.
"""

import bisect
import datetime
import itertools
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from changes.recording import record_reset
from commitments.assessments import assessment_problems
from commitments.choices import VERDICT_STATUS, ReviewState, Verdict
from commitments.models import (
    Assessment,
    AssessmentEvidence,
    ChangeKind,
    Commitment,
    Evidence,
    ImplementationStatus,
    LineOfEffort,
    Strength,
    Thread,
    ThreadEntry,
)
from core.texts import sha256_hex
from meetings.models import Figure, Meeting, Member, Participation, ParticipationRole, Statement

from .follow_through_parts import add_member_scores_and_money
from .shape import SeedShape, seed_records

MEETINGS_PER_BATCH = 20
FIRST_MEETING = datetime.date(1995, 1, 15)
DAYS_BETWEEN_MEETINGS = 14  # an assumption: see the module's docstring
MEMBERS = 80
MONEY_SHARE = 0.05  # of commitments, naming an amount (in USD): their assessments record money stages

_SENTENCE = re.compile(r"[^.!?\n]{40,400}[.!?]")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")


@dataclass
class Vocabulary:
    """The seed's sentences: pledges (curated commitments' quotes, with how they were filed) and other text."""

    pledges: list
    filler: list

    @classmethod
    def from_seed(cls, records=None):
        records = seed_records() if records is None else records
        pledges = [
            (" ".join(r["fields"]["quote"].split()), r["fields"]["line_of_effort"][0], r["fields"]["strength"])
            for r in records
            if r["model"] == "commitments.commitment"
        ]
        quoted = {quote for quote, _, _ in pledges}
        filler = []
        for path in sorted(Path(settings.SOURCES_DIR).glob("*.txt")):
            text = " ".join(path.read_text(encoding="utf-8").split())
            filler += [s.strip() for s in _SENTENCE.findall(text) if s.strip() not in quoted]
        return cls(pledges=pledges, filler=filler)


def varied(sentence, rng, year):
    """A sentence with its numbers and a few words changed, as the same pledge reads a year later."""
    sentence = _NUMBER.sub(lambda m: str(rng.randint(2, 90)) if m.group().isdigit() else m.group(), sentence)
    words = sentence.split()
    if len(words) > 8 and rng.random() < 0.5:
        words.insert(rng.randrange(2, len(words) - 2), rng.choice(["further", "fully", "jointly", "urgently"]))
    if len(words) > 12 and rng.random() < 0.3:
        del words[rng.randrange(2, len(words) - 2)]
    return f"{' '.join(words).rstrip('.')} ({year})."


@dataclass
class _ThreadPlan:
    thread: Thread
    template: str
    line: str
    strength: str
    last_position: int = 0
    last_strength: str = ""
    opening_meeting: int | None = None  # the meeting of its first entries: each of them is `new`


@dataclass
class Counts:
    values: dict = field(default_factory=dict)

    def add(self, model, n):
        label = model._meta.label_lower
        self.values[label] = self.values.get(label, 0) + n


def generate(commitments, *, seed=1, progress=None):
    """Fill the (empty) database with `commitments` commitments and all that goes with them; returns counts."""
    from tests import factories  # the project's factories: a development requirement (factory-boy)

    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible from its seed
    records = seed_records()
    vocabulary = Vocabulary.from_seed(records)
    shape = SeedShape.from_seed(records)
    counts = Counts()
    quotas = meeting_quotas(rng, shape, commitments)
    schedule, pledge_count = pledge_schedule(rng, shape, quotas)

    with transaction.atomic():
        lines = _lines_of_effort(factories, records, counts)
        members = _members(factories, counts)
        threads = _thread_plans(factories, rng, vocabulary, lines, pledge_count, counts)
        created = 0
        for first in range(0, len(quotas), MEETINGS_PER_BATCH):
            batch = range(first, min(len(quotas), first + MEETINGS_PER_BATCH))
            made = [(number, quotas[number], [threads[n] for n in schedule[number]]) for number in batch]
            created += _meeting_batch(factories, rng, shape, vocabulary, lines, members, made, counts)
            if progress is not None:
                progress(created, commitments)
        # Per-member scores for the members that made each assessed pledge, and money stages for those with
        # an amount, through the rules each row keeps (`demo.follow_through_parts`).
        for label, n in add_member_scores_and_money(Assessment.objects.all(), seed=seed).items():
            counts.values[label] = counts.values.get(label, 0) + n
        # The threads' rules hold for what was generated as for what curators place (`commitments.rules`).
        problems = ThreadEntry.objects.rule_problems()
        if problems:
            raise ValueError(f"The generated threads break their rules: {'; '.join(problems[:5])}")
        # Inserted in bulk, with no history row each: one `reset` in the change feed (docs/api.md).
        record_reset(f"Demo data generated: about {commitments} commitments")
    return counts.values


def meeting_quotas(rng, shape, commitments):
    """Each meeting's statements, as the commitments each quotes: the seed's statements per meeting and the
    lognormal of its commitments per statement, until `commitments` are made (the last statement cut short)."""
    mean, deviation = shape.per_statement
    quotas, made = [], 0
    while made < commitments:
        meeting = []
        for _ in range(rng.choice(shape.statements_per_meeting)):
            quota = min(commitments - made, max(1, round(rng.lognormvariate(mean, deviation))))
            if quota:
                meeting.append(quota)
                made += quota
        quotas.append(meeting)
    return quotas


def pledge_schedule(rng, shape, quotas):
    """Which recurring pledges come back at each meeting: (for each meeting, the pledges' numbers, one per
    entry there), and how many pledges there are.

    Meeting by meeting, the seed's share of the commitments are places in pledges: the pledges still
    running take theirs first (the seed's entries at a meeting each), in a shuffled order, and a pledge
    that finds no place left comes back at the next meeting instead; the places left open new pledges,
    each running for a number of meetings drawn from the power law fitted to the seed's.
    """
    meetings, weights = shape.lifetime_weights()
    running, schedule, count = [], [], 0  # running: [pledge number, meetings it has left]
    for quota in quotas:
        places = round(shape.thread_share * sum(quota))
        here, still = [], []
        rng.shuffle(running)
        for pledge in running:
            n = min(rng.choice(shape.entries_per_meeting), places - len(here))
            if n > 0:
                here += [pledge[0]] * n
                pledge[1] -= 1
            if pledge[1] > 0:
                still.append(pledge)
        while len(here) < places:
            n = min(rng.choice(shape.entries_per_meeting), places - len(here))
            here += [count] * n
            [lifetime] = rng.choices(meetings, cum_weights=weights)
            still.append([count, lifetime - 1])
            count += 1
        running = still
        schedule.append(here)
    return schedule, count


def _lines_of_effort(factories, records, counts):
    existing = {line.slug: line for line in LineOfEffort.objects.all()}
    new = [
        factories.LineOfEffortFactory.build(**r["fields"])
        for r in records
        if r["model"] == "commitments.lineofeffort" and r["fields"]["slug"] not in existing
    ]
    _insert(LineOfEffort, new, counts)
    return {line.slug: line for line in LineOfEffort.objects.all()}


def _members(factories, counts):
    existing = set(Member.objects.values_list("slug", flat=True))
    slugs = [f"demo-member-{n}" for n in range(MEMBERS)]
    new = [
        factories.MemberFactory.build(slug=slug, name=f"Member {slug[12:]}") for slug in slugs if slug not in existing
    ]
    _insert(Member, new, counts)
    return list(Member.objects.filter(slug__in=slugs).order_by("slug"))


def _thread_plans(factories, rng, vocabulary, lines, count, counts):
    """The recurring pledges (`pledge_schedule` says where each comes back), each from a sentence of the seed."""
    plans, threads = [], []
    for n in range(count):
        template, line, strength = rng.choice(vocabulary.pledges)
        thread = factories.ThreadFactory.build(
            slug=f"demo-pledge-{n}", title=f"{template[:80]} (pledge {n})", line_of_effort=lines[line]
        )
        plans.append(_ThreadPlan(thread, template, line, strength))
        threads.append(thread)
    _insert(Thread, threads, counts)
    return plans


def _meeting_batch(factories, rng, shape, vocabulary, lines, members, batch, counts):
    """A batch of meetings, each (number, its statements' quotas, the pledges that come back at it, one per
    entry), with statements, commitments, entries, figures, assessments; returns the commitments made."""
    meetings, statements, commitments, entries, figures, participations = [], [], [], [], [], []
    for number, quotas, due in batch:
        day = FIRST_MEETING + datetime.timedelta(days=DAYS_BETWEEN_MEETINGS * number)
        meeting = factories.MeetingFactory.build(
            slug=f"demo-meeting-{number}",
            name=f"Small Group meeting {number} ({day.year})",
            start_date=day,
            end_date=day,
            city=rng.choice(["Paris", "Rome", "Copenhagen", "Berlin", "Brussels", "Ottawa"]),
        )
        meetings.append(meeting)
        # The pledges' entries go to the statements in proportion to their commitments, never past them.
        places = sorted(rng.sample(range(sum(quotas)), len(due)))
        ends = list(itertools.accumulate(quotas))
        mine = [[] for _ in quotas]
        for place, plan in zip(places, rng.sample(due, len(due)), strict=True):
            mine[bisect.bisect_right(ends, place)].append(plan)
        for position, quota in enumerate(quotas, start=1):
            statement, made, statement_figures = _statement(
                factories, rng, shape, vocabulary, lines, meeting, position, mine[position - 1], quota, day.year
            )
            statements.append(statement)
            commitments += [(commitment, plan, number) for commitment, plan in made]
            figures += statement_figures
        for role, member in zip(
            [ParticipationRole.HOST, ParticipationRole.MEMBER, ParticipationRole.OBSERVER],
            rng.sample(members, 3),
            strict=True,
        ):
            participations.append(factories.ParticipationFactory.build(meeting=meeting, member=member, role=role))

    _insert(Meeting, meetings, counts)
    _insert(Statement, statements, counts)
    _insert(Commitment, [c for c, _, _ in commitments], counts)
    _insert(Figure, figures, counts)
    _insert(Participation, participations, counts)

    for commitment, plan, number in commitments:
        if plan is not None:
            position = plan.last_position + 1
            if plan.opening_meeting is None:
                plan.opening_meeting = number
            # Every commitment of the meeting that opens it is `new` (`commitments.rules`), as in the seed.
            opening = plan.opening_meeting == number
            kind = ChangeKind.NEW if opening else _change_kind(rng, plan.last_strength, commitment.strength)
            plan.last_position, plan.last_strength = position, commitment.strength
            entries.append(
                factories.ThreadEntryFactory.build(
                    thread=plan.thread, commitment=commitment, position=position, change_kind=kind
                )
            )
    _insert(ThreadEntry, entries, counts)
    _follow_through(factories, rng, shape, meetings, statements, [c for c, _, _ in commitments], figures, counts)
    return len(commitments)


# A curator drafts, another approves.
DRAFTED_BY, APPROVED_BY = "demo-curator-a", "demo-curator-b"
# Of each commitment's newest assessment, still a draft waiting for review: an assumption (the seed's
# assessments are all approved), so that the review queue and what readers may not see have rows.
DRAFT_SHARE = 0.1


def _follow_through(factories, rng, shape, meetings, statements, commitments, figures, counts):
    """A batch's assessments, in the seed's shares: none, one, or one and a later one that supersedes it,
    each with a verdict drawn with the seed's weights, its evidence quoting a statement of a later meeting
    of the batch (its first figure, a report of people freed), checked by the rules every write keeps
    (`assessment_problems`) before the bulk insert.

    A commitment at the batch's last meeting has no later statement in the batch: its verdict is "no
    evidence available", which needs none.
    """
    # The inserts set the keys, which drops each row's link to its parent in memory: linked again, the
    # rules read the meetings without a query.
    meeting_of = {meeting.pk: meeting for meeting in meetings}
    for statement in statements:
        statement.meeting = meeting_of[statement.meeting_id]
    statement_of = {statement.pk: statement for statement in statements}
    for commitment in commitments:
        commitment.statement = statement_of[commitment.statement_id]
    first_figure = {}
    for figure in figures:
        first_figure.setdefault(statement_of[figure.statement_id].slug, figure)
    evidence, later = [], {}
    for statement in statements:
        if statement.position != 1 or statement.slug not in first_figure:
            continue
        figure = first_figure[statement.slug]
        item = Evidence(
            slug=f"{statement.slug}-evidence",
            statement=statement,
            start=figure.start,
            end=figure.end,
            quote=figure.quote,
            self_reported=True,
        )
        evidence.append(item)
        later[statement.meeting.start_date] = item
    _insert(Evidence, evidence, counts)
    reports = sorted(later.items())

    verdicts, weights = list(shape.verdicts), list(shape.verdicts.values())

    def built(commitment, days, supersedes=None, newest=True):
        made = commitment.statement.meeting.start_date
        on = made + datetime.timedelta(days=days)
        source = next((item for day, item in reports if made < day <= on), None)
        verdict = rng.choices(verdicts, weights)[0] if source else Verdict.NO_EVIDENCE
        draft = newest and rng.random() < DRAFT_SHARE
        assessment = factories.AssessmentFactory.build(
            commitment=commitment,
            assessed_on=on,
            verdict=verdict,
            status=VERDICT_STATUS.get(verdict, ImplementationStatus.NOT_ASSESSED),
            supersedes=supersedes,
            supersede_reason="recalibrated: new material" if supersedes else "",
            review_state=ReviewState.DRAFT if draft else ReviewState.APPROVED,
            drafted_by=DRAFTED_BY,
            approved_by="" if draft else APPROVED_BY,
        )
        uses = [source] if source and verdict != Verdict.NO_EVIDENCE else []
        problems = assessment_problems(assessment, uses)
        if problems:
            raise ValueError(f"A generated assessment breaks the follow-through's rules: {problems}")
        return assessment, uses

    plans = [
        (commitment, 0 if rng.random() >= shape.assessed_share else 2 if rng.random() < shape.superseded_share else 1)
        for commitment in commitments
    ]
    first = [(built(commitment, 180, newest=n == 1), n) for commitment, n in plans if n]
    _insert(Assessment, [assessment for (assessment, _), _ in first], counts)
    second = [built(assessment.commitment, 360, supersedes=assessment) for (assessment, _), n in first if n == 2]
    _insert(Assessment, [assessment for assessment, _ in second], counts)
    links = [
        AssessmentEvidence(assessment=assessment, evidence=item, relied_on="People freed: the campaign went on.")
        for assessment, uses in [pair for pair, _ in first] + second
        for item in uses
    ]
    _insert(AssessmentEvidence, links, counts)


def _change_kind(rng, before, now):
    if before == Strength.SOFT and now == Strength.BINDING:
        return ChangeKind.STRENGTHENED
    if before == Strength.BINDING and now == Strength.SOFT:
        return ChangeKind.WEAKENED
    return rng.choice([ChangeKind.REPEATED, ChangeKind.REPEATED, ChangeKind.WIDENED, ChangeKind.NARROWED])


def _statement(factories, rng, shape, vocabulary, lines, meeting, position, recurring, quota, year):
    """A statement's text assembled sentence by sentence, with its commitments and figures as exact spans.

    Its length is its commitments' count times characters per commitment drawn from the seed's lognormal:
    the seed's other sentences fill it out between the commitments, where its quotes leave room.
    """
    slug = f"{meeting.slug}-statement-{position}"
    parts, spans, figure_spans = [], [], []
    length = 0

    def add(sentence, kind=None, payload=None):
        nonlocal length
        separator = "\n\n" if parts and rng.random() < 0.15 else (" " if parts else "")
        start = length + len(separator)
        parts.append(separator + sentence)
        length = start + len(sentence)
        if kind == "commitment":
            spans.append((start, length, sentence, payload))
        elif kind == "figure":
            figure_spans.append((start, length, sentence, payload))

    add(f"Statement of the Political Directors, {meeting.city}, {year}.")
    pledges = [(plan, varied(plan.template, rng, year), plan.line, plan.strength) for plan in recurring]
    while len(pledges) < quota:
        template, line, strength = rng.choice(vocabulary.pledges)
        pledges.append((None, varied(template, rng, year), line, strength))
    rng.shuffle(pledges)
    room = quota * rng.lognormvariate(*shape.chars_per_commitment) - sum(len(pledge[1]) + 1 for pledge in pledges)
    fillers = []
    while room > 0:
        fillers.append(rng.choice(vocabulary.filler))
        room -= len(fillers[-1]) + 1
    # Each filler sentence after one of the commitments, chosen at random (several after one, at times).
    after = Counter(rng.randrange(len(pledges)) for _ in fillers)
    for index, pledge in enumerate(pledges):
        add(pledge[1], "commitment", pledge)
        for _ in range(after[index]):
            add(fillers.pop())
        if index % 40 == 0:
            millions = Decimal(rng.randint(20, 99)) / 10
            add(f"More than {millions} million people have been freed.", "figure", millions * 1_000_000)
    text = "".join(parts) + "\n"
    statement = factories.StatementFactory.build(
        slug=slug,
        meeting=meeting,
        position=position,
        title=f"Statement {position} of {meeting.name}",
        text=text,
        sha256=sha256_hex(text),
    )
    commitments = []
    for n, (start, end, quote, (plan, _, line, strength)) in enumerate(spans):
        commitment = factories.CommitmentFactory.build(
            slug=f"{slug}-c{n}",
            statement=statement,
            start=start,
            end=end,
            quote=quote,
            line_of_effort=lines[line],
            strength=strength if rng.random() < 0.85 else rng.choice(Strength.values),
            summary=quote[:120],
            **_money_named(rng),
        )
        commitments.append((commitment, plan))
    figures = [
        factories.FigureFactory.build(
            slug=f"{slug}-f{n}", statement=statement, start=start, end=end, quote=quote, value=value
        )
        for n, (start, end, quote, value) in enumerate(figure_spans)
    ]
    return statement, commitments, figures


def _money_named(rng):
    """A commitment's amount and currency: for a few, a sum in USD (whole millions); none for the rest."""
    if rng.random() >= MONEY_SHARE:
        return {}
    return {"amount": Decimal(rng.randint(1, 500) * 1_000_000), "currency": "USD"}


def _insert(model, objects, counts, batch_size=2_000):
    """Bulk-insert (primary keys come back on SQLite and PostgreSQL) and record each row's initial history."""
    for obj in objects:
        for relation in model._meta.concrete_fields:
            if relation.is_relation and getattr(obj, relation.name, None) is not None:
                setattr(obj, relation.attname, getattr(obj, relation.name).pk)
    model.objects.bulk_create(objects, batch_size=batch_size)
    model.history.bulk_history_create(objects, batch_size=batch_size, default_change_reason="Synthetic demo data")
    counts.add(model, len(objects))
    return objects
