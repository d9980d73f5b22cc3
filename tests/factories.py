import datetime

import factory
from django.contrib.auth import get_user_model

from commitments.models import Assessment, Commitment, LineOfEffort, Strength, Thread, ThreadEntry
from meetings.models import Figure, Meeting, Member, Participation, Statement

STATEMENT_TEXT = (
    "We, the Political Directors, met today.\n"
    "We will continue to enhance our information sharing, including with INTERPOL.\n"
    "We must continue to increase our stabilization contributions.\n"
    "We welcome Libya as the 68th member. We welcome the progress.\n"
    "More than 7.7 million people have been freed.\n"
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("a-long-test-password")


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    slug = factory.Sequence(lambda n: f"meeting-{n}")
    name = factory.LazyAttribute(lambda o: f"Meeting {o.slug}")
    format = "small-group"
    city = "Paris"
    country = "France"
    start_date = factory.Sequence(lambda n: datetime.date(2016, 1, 1) + datetime.timedelta(days=30 * n))
    end_date = factory.LazyAttribute(lambda o: o.start_date)


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Statement

    slug = factory.Sequence(lambda n: f"statement-{n}")
    meeting = factory.SubFactory(MeetingFactory)
    kind = "statement"
    title = factory.LazyAttribute(lambda o: f"Statement {o.slug}")
    issuer = "Political Directors"
    text = STATEMENT_TEXT


class LineOfEffortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LineOfEffort

    slug = factory.Sequence(lambda n: f"line-{n}")
    name = factory.Sequence(lambda n: f"Line of effort {n}")
    position = factory.Sequence(lambda n: n + 1)


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    slug = factory.Sequence(lambda n: f"thread-{n}")
    title = factory.Sequence(lambda n: f"Recurring pledge {n}")
    line_of_effort = factory.SubFactory(LineOfEffortFactory)


def span_of(phrase):
    """Offsets of a phrase in the factories' statement text."""
    start = STATEMENT_TEXT.index(phrase)
    return start, start + len(phrase)


class CommitmentFactory(factory.django.DjangoModelFactory):
    """A commitment quoting one of the statement text's sentences (`phrase`)."""

    class Meta:
        model = Commitment

    class Params:
        phrase = "We will continue to enhance our information sharing, including with INTERPOL."

    slug = factory.Sequence(lambda n: f"commitment-{n}")
    statement = factory.SubFactory(StatementFactory)
    start = factory.LazyAttribute(lambda o: o.statement.text.index(o.phrase))
    end = factory.LazyAttribute(lambda o: o.start + len(o.phrase))
    quote = factory.LazyAttribute(lambda o: o.phrase)
    line_of_effort = factory.SubFactory(LineOfEffortFactory)
    actor = "the Coalition"
    strength = Strength.BINDING
    summary = "Enhance information sharing, including with INTERPOL."


class ThreadEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ThreadEntry

    thread = factory.SubFactory(ThreadFactory)
    commitment = factory.SubFactory(CommitmentFactory)
    position = 1
    change_kind = "new"


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    commitment = factory.SubFactory(CommitmentFactory)
    assessed_on = factory.Sequence(lambda n: datetime.date(2022, 1, 1) + datetime.timedelta(days=n))
    status = "in-progress"
    assessor = "Analyst"
    # Published data: what readers see. A draft says so (review_state="draft").
    review_state = "approved"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    slug = factory.Sequence(lambda n: f"member-{n}")
    name = factory.Sequence(lambda n: f"Member {n}")


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    meeting = factory.SubFactory(MeetingFactory)
    member = factory.SubFactory(MemberFactory)
    role = "new-member"


class FigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Figure

    class Params:
        phrase = "More than 7.7 million people"

    slug = factory.Sequence(lambda n: f"figure-{n}")
    statement = factory.SubFactory(StatementFactory)
    start = factory.LazyAttribute(lambda o: o.statement.text.index(o.phrase))
    end = factory.LazyAttribute(lambda o: o.start + len(o.phrase))
    quote = factory.LazyAttribute(lambda o: o.phrase)
    metric = "people-freed"
    value = 7700000
    unit = "people"
    qualifier = "more-than"


def commitments_at_meetings(*years, phrases=(), **fields):
    """One commitment at a meeting on 1 June of each year given, created in the order given.

    `phrases` gives each commitment's sentence of the statement text, in the same order.
    """
    commitments = []
    for index, year in enumerate(years):
        day = datetime.date(year, 6, 1)
        statement = StatementFactory(meeting=MeetingFactory(start_date=day, end_date=day))
        if index < len(phrases):
            fields["phrase"] = phrases[index]
        commitments.append(CommitmentFactory(statement=statement, **fields))
    return commitments


def thread_with(*commitments, kinds=(), **fields):
    """A recurring pledge holding `commitments` at positions 1..n: `new` first, then `kinds` in order."""
    thread = ThreadFactory(**fields)
    for position, commitment in enumerate(commitments, start=1):
        change_kind = "new" if position == 1 else kinds[position - 2]
        ThreadEntryFactory(thread=thread, commitment=commitment, position=position, change_kind=change_kind)
    return thread
