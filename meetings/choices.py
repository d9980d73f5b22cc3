"""The choices of the meetings app's fields: what a curator picks from."""

from django.db import models


class FactsBasis(models.TextChoices):
    TEXT = "text", "Stated in the source text"
    EXTERNAL = "external", "Known from an external source"
    INFERRED = "inferred", "Inferred by a curator"


class MeetingFormat(models.TextChoices):
    SMALL_GROUP = "small-group", "Small Group (Political Directors)"
    MINISTERIAL = "ministerial", "Ministerial (all members)"
    OTHER = "other", "Other"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    RANGE = "range", "Several days"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class StatementKind(models.TextChoices):
    JOINT_STATEMENT = "joint-statement", "Joint statement"
    STATEMENT = "statement", "Statement"
    ROADMAP = "roadmap", "Roadmap"
    COMMUNIQUE = "communique", "Communiqué"
    READOUT = "readout", "Readout"


class MemberKind(models.TextChoices):
    STATE = "state", "State"
    ORGANIZATION = "organization", "International organization"


class ParticipationRole(models.TextChoices):
    HOST = "host", "Host"
    MEMBER = "member", "Member"
    NEW_MEMBER = "new-member", "New member"
    OBSERVER = "observer", "Observer"


class FigureMetric(models.TextChoices):
    TERRITORY = "territory", "Territory"
    FOREIGN_FIGHTERS = "foreign-fighters", "Foreign terrorist fighters"
    PEOPLE_FREED = "people-freed", "People freed"
    FUNDS = "funds", "Funds"
    PERSONNEL_TRAINED = "personnel-trained", "Personnel trained"
    SERVICE_MEMBERS_KILLED = "service-members-killed", "Coalition service members killed"
    PARTNERS_KILLED = "partners-killed", "Local partners killed"
    MEMBERS = "members", "Coalition members"
    RETURNS = "returns", "Returns of displaced people"
    DATA = "data", "Data collected"
    OTHER = "other", "Other"


class Qualifier(models.TextChoices):
    EXACT = "exact", "exactly"
    MORE_THAN = "more-than", "more than"
    AT_LEAST = "at-least", "at least"
    APPROXIMATELY = "approximately", "approximately"
    ALMOST = "almost", "almost"
    NEARLY = "nearly", "nearly"
    UP_TO = "up-to", "up to"


class MoneyStage(models.TextChoices):
    """How far along a sum of money is: promised, gathered or spent. A funds series never mixes them unsaid."""

    COMMITTED = "committed", "committed"
    RAISED = "raised", "raised"
    DISBURSED = "disbursed", "disbursed"
