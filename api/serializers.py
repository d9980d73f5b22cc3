"""Serializers of both domain apps' resources: every write goes through the model's own validation."""

import datetime
from functools import cache
from operator import itemgetter

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from commitments.models import (
    Assessment,
    AssessmentCycle,
    AssessmentEvidence,
    ChangeKind,
    Commitment,
    Evidence,
    ImplementationStatus,
    LineOfEffort,
    PledgeLink,
    Thread,
    ThreadEntry,
)
from commitments.pledge_links import SEEN_KINDS
from core.spans import resolve_span
from meetings.models import Figure, Meeting, Member, Participation, Statement

from .assessment_parts import MemberScoreSerializer, MoneyStageSerializer
from .errors import Conflict, as_drf_error

# Character offsets are stored as 32-bit integers; a statement is far shorter.
OFFSET_MAX = 2**31 - 1


def beside(fields, **extra):
    """`fields` with each `extra[name]` listed right after `name`: read-only names beside what they name."""
    return [item for name in fields for item in (name, *extra.get(name, ()))]


def json_type(field):
    """(the Python type a JSON body must give for this field, its name), as the schema types it."""
    if isinstance(field, serializers.BooleanField):
        return bool, "a boolean"
    if isinstance(field, serializers.IntegerField):
        return int, "an integer"
    text_fields = (
        serializers.CharField,
        serializers.ChoiceField,
        serializers.SlugRelatedField,
        serializers.DateField,
        serializers.DecimalField,  # written as a string, as the schema says
    )
    if isinstance(field, text_fields):
        return str, "a string"
    return None, None


class StrictJSONTypes:
    """A JSON body gives each field the JSON type the schema states: DRF would read 5 as "5" or "1" as 1."""

    def to_internal_value(self, data):
        if isinstance(data, dict) and not isinstance(data, QueryDict):
            errors = {}
            for name, field in self.fields.items():
                if field.read_only or name not in data or data[name] is None:
                    continue
                expected, label = json_type(field)
                value = data[name]
                if expected is not None and (
                    not isinstance(value, expected) or (expected is int and isinstance(value, bool))
                ):
                    errors[name] = [f"Must be {label}."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class CleanModelSerializer(StrictJSONTypes, serializers.ModelSerializer):
    """Writes through the model's full_clean(): the same rules as the admin, field-level 400s, nothing saved.

    Uniqueness is checked in the write's own transaction, not by DRF's validators beforehand: a value
    another record holds is a 409 naming the field, whether it was there before or another request
    won the race for it (then the database refuses the row and the conflict is found after the fact).
    An update writes only the fields it was given, so a PATCH cannot put back what it did not send.
    """

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if model_field.unique:  # DRF's UniqueValidator: checked in the transaction instead
            field_kwargs["validators"] = [
                v for v in field_kwargs.get("validators", []) if not isinstance(v, UniqueValidator)
            ]
        return field_class, field_kwargs

    def get_validators(self):
        return []

    def create(self, validated_data):
        instance = self.Meta.model(**validated_data)
        return self._clean_and_save(instance)

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self._clean_and_save(instance, update_fields=list(validated_data))

    @staticmethod
    def check_rules(instance, constraints=True, exclude=None):
        """The model's rules (full_clean, then its check constraints) as DRF's 400. An import's bulk path
        checks a chunk's constraints at once (`failing_check_constraints`) and excludes the references it
        has just read (their existence, one query each)."""
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
            if constraints:
                instance.validate_check_constraints()
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from None

    @transaction.atomic
    def _clean_and_save(self, instance, update_fields=None):
        self.check_rules(instance)
        conflicts = instance.unique_conflicts()
        if conflicts:
            raise Conflict(conflicts)
        try:
            with transaction.atomic():
                instance.save(update_fields=update_fields)
        except IntegrityError:
            raise Conflict(instance.unique_conflicts() or None) from None
        return instance


class DraftFieldMixin:
    """`draft`: given when a meeting or statement is added, then changed by publishing only (`meetings.drafts`)."""

    def validate_draft(self, value: bool) -> bool:
        instance = getattr(self, "instance", None)
        if instance is not None and value != instance.draft:
            raise serializers.ValidationError(
                "Publish a draft with POST /api/v1/meetings/{slug}/publish/; a published record stays published."
            )
        return value


class PublishedSerializer(serializers.Serializer):
    """What publishing a meeting made public."""

    meeting = serializers.SlugField()
    statements = serializers.ListField(child=serializers.SlugField(), help_text="The statements published.")
    published = serializers.ListField(child=serializers.CharField(), help_text="Each kind of record, counted.")


class MeetingSerializer(DraftFieldMixin, CleanModelSerializer):
    class Meta:
        model = Meeting
        fields = [*Meeting.CURATED_FIELDS, *Meeting.PUBLISHING_FIELDS]


class StatementSerializer(DraftFieldMixin, CleanModelSerializer):
    """A statement without its text: lists stay small."""

    meeting = serializers.SlugRelatedField(slug_field="slug", queryset=Meeting.objects.all())

    class Meta:
        model = Statement
        fields = [
            *(name for name in Statement.CURATED_FIELDS if name != "text"),
            *Statement.PUBLISHING_FIELDS,
            "sha256",
        ]
        read_only_fields = ["sha256"]


class StatementDetailSerializer(StatementSerializer):
    """A statement with its verbatim text and that text's SHA-256."""

    text = serializers.CharField(trim_whitespace=False)

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "text"]


class QuotedSerializerMixin:
    """Finds a pasted quote's offsets in its statement, as the admin does."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        statement = attrs.get("statement") or getattr(self.instance, "statement", None)
        quote = attrs.get("quote", "")
        if self.partial and not any(name in attrs for name in ("quote", "start", "end", "statement")):
            return attrs
        if statement is not None and (quote or attrs.get("start") is not None or attrs.get("end") is not None):
            try:
                attrs["quote"], attrs["start"], attrs["end"] = resolve_span(
                    statement, quote, attrs.get("start"), attrs.get("end")
                )
            except DjangoValidationError as exc:
                raise as_drf_error(exc) from None
        return attrs


class FigureSerializer(QuotedSerializerMixin, CleanModelSerializer):
    statement = serializers.SlugRelatedField(slug_field="slug", queryset=Statement.objects.defer("text"))
    meeting = serializers.SlugRelatedField(source="statement.meeting", slug_field="slug", read_only=True)
    quote = serializers.CharField(trim_whitespace=False, required=False, allow_blank=True)
    start = serializers.IntegerField(min_value=0, max_value=OFFSET_MAX, required=False)
    end = serializers.IntegerField(min_value=0, max_value=OFFSET_MAX, required=False)

    class Meta:
        model = Figure
        fields = Figure.curated_fields(after="statement", add=("meeting",))


class ParticipationSerializer(QuotedSerializerMixin, CleanModelSerializer):
    key = serializers.SerializerMethodField(help_text="meeting~member~role~statement (or ~external): its address.")
    meeting = serializers.SlugRelatedField(slug_field="slug", queryset=Meeting.objects.all())
    member = serializers.SlugRelatedField(slug_field="slug", queryset=Member.objects.all())
    statement = serializers.SlugRelatedField(
        slug_field="slug", queryset=Statement.objects.defer("text"), allow_null=True, required=False
    )
    quote = serializers.CharField(trim_whitespace=False, allow_blank=True, required=False)
    start = serializers.IntegerField(min_value=0, max_value=OFFSET_MAX, required=False, allow_null=True)
    end = serializers.IntegerField(min_value=0, max_value=OFFSET_MAX, required=False, allow_null=True)

    class Meta:
        model = Participation
        fields = ["key", *Participation.CURATED_FIELDS]
        # The unique constraints are conditional on the statement being given; full_clean() checks them.
        validators = []

    def get_key(self, obj) -> str:
        return obj.key()


class MemberSerializer(CleanModelSerializer):
    joined_per_sources = serializers.SerializerMethodField(
        help_text="Every source that welcomes this member as new: meeting slug, year and statement slug."
    )
    sources_disagree_on_joining = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [*Member.CURATED_FIELDS, "joined_per_sources", "sources_disagree_on_joining"]

    def get_joined_per_sources(self, obj) -> list[dict]:
        return [
            {
                "meeting": p.meeting.slug,
                "year": p.meeting.start_date.year,
                "statement": p.statement.slug if p.statement_id else None,
            }
            for p in getattr(obj, "joins", [])
        ]

    def get_sources_disagree_on_joining(self, obj) -> bool:
        return len({p.meeting_id for p in getattr(obj, "joins", [])}) > 1


class MeetingRef(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    start_date = serializers.DateField()


class LineOfEffortSerializer(CleanModelSerializer):
    class Meta:
        model = LineOfEffort
        fields = LineOfEffort.CURATED_FIELDS


@extend_schema_serializer(component_name="ThreadPlace")
class ThreadEntrySummarySerializer(serializers.ModelSerializer):
    """A commitment's place in one recurring pledge."""

    thread = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ThreadEntry
        fields = ["thread", "position", "change_kind"]


class CommitmentSerializer(QuotedSerializerMixin, CleanModelSerializer):
    """One pledge as an exact quote, with the names a dashboard shows beside it.

    Writes take the statement and line of effort by slug and the quote as pasted (its
    offsets are found, as in the admin) or offsets alone.
    """

    statement = serializers.SlugRelatedField(slug_field="slug", queryset=Statement.objects.defer("text"))
    statement_title = serializers.CharField(source="statement.title", read_only=True)
    meeting = MeetingRef(source="statement.meeting", read_only=True)
    quote = serializers.CharField(trim_whitespace=False, required=False, allow_blank=True)
    start = serializers.IntegerField(min_value=0, max_value=OFFSET_MAX, required=False)
    end = serializers.IntegerField(min_value=0, max_value=OFFSET_MAX, required=False)
    line_of_effort = serializers.SlugRelatedField(slug_field="slug", queryset=LineOfEffort.objects.all())
    line_of_effort_name = serializers.CharField(source="line_of_effort.name", read_only=True)
    threads = ThreadEntrySummarySerializer(source="thread_entries", many=True, read_only=True)
    latest_status = serializers.SerializerMethodField(
        help_text="Status of the newest assessment; “not-assessed” never means inaction."
    )

    class Meta:
        model = Commitment
        fields = [
            *beside(
                Commitment.CURATED_FIELDS,
                statement=["statement_title", "meeting"],
                line_of_effort=["line_of_effort_name"],
            ),
            "threads",
            "latest_status",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=ImplementationStatus.choices))
    def get_latest_status(self, obj):
        # Stored, kept by the database (`Commitment.latest_status`); an as-of answer sets the status of then.
        return obj.latest_status


class CommitmentRowListSerializer(serializers.ListSerializer):
    """A page of commitment rows, with every row's thread entries read in one query."""

    def to_representation(self, data):
        rows = list(data)
        entries = ThreadEntry.objects.entries_for([row["id"] for row in rows])
        write = _row_writer()
        return [write(row, entries.get(row["id"], [])) for row in rows]


class CommitmentRowSerializer(CommitmentSerializer):
    """The commitments list's fast path: CommitmentSerializer's document built from `.values()` rows.

    Building model instances costs more than the rest of a list page (2-3x the plain rows). The
    columns to read and how to write each one are derived once from CommitmentSerializer's own
    fields, so the two cannot drift apart, and the OpenAPI schema stays the declarative one. A test
    holds the two to the same output.
    """

    class Meta(CommitmentSerializer.Meta):
        list_serializer_class = CommitmentRowListSerializer

    @classmethod
    def rows(cls, queryset):
        """The queryset as the plain rows this serializer writes: no instances, the statement text never read.

        Paginate these; `threads` are added per page (one query), `latest_status` is the stored column.
        """
        return queryset.values(*_row_writer().lookups)

    def to_representation(self, row):
        return _row_writer()(row, ThreadEntry.objects.entries_for([row["id"]]).get(row["id"], []))


class _RowWriter:
    """Writes a `.values()` row the way CommitmentSerializer writes an instance; built once from its fields.

    A row is read with one `itemgetter` into a dict in the serializer's field order; then the few
    columns that need it are converted (dates, amounts) and the nested meeting and the thread
    entries filled in. About as fast as a hand-written dict, without restating the fields.
    A fast path: docs/benchmark.md, *Fast paths*, gives the rule it keeps.
    """

    def __init__(self, fields):
        names, lookups, self.converted, self.nested, self.threads = [], [], [], [], None
        for name, field in fields.items():
            names.append(name)
            if isinstance(field, serializers.ListSerializer):
                self.threads = name  # one query per page, by CommitmentRowListSerializer
                lookups.append("id")  # a placeholder, replaced
            elif isinstance(field, serializers.Serializer):
                prefix = "__".join(field.source_attrs)
                sub_lookups = [f"{prefix}__{'__'.join(sub.source_attrs)}" for sub in field.fields.values()]
                converted = tuple((sub, c) for sub, f in field.fields.items() if (c := _converter(f)))
                self.nested.append((name, tuple(field.fields), tuple(sub_lookups), itemgetter(*sub_lookups), converted))
                lookups.append("id")  # a placeholder, replaced
            elif isinstance(field, serializers.SerializerMethodField):
                lookups.append(name)  # a queryset annotation of the same name
            else:
                lookup = "__".join(field.source_attrs)
                if isinstance(field, serializers.SlugRelatedField):
                    lookup = f"{lookup}__{field.slug_field}"
                lookups.append(lookup)
                if convert := _converter(field):
                    self.converted.append((name, convert))
        self.names = tuple(names)
        self.get = itemgetter(*lookups)
        nested_lookups = [lookup for _, _, sub_lookups, _, _ in self.nested for lookup in sub_lookups]
        self.lookups = tuple(dict.fromkeys(["id", *lookups, *nested_lookups]))

    def __call__(self, row, threads):
        document = dict(zip(self.names, self.get(row)))  # noqa: B905 - equal lengths by construction
        for name, convert in self.converted:
            if document[name] is not None:
                document[name] = convert(document[name])
        for name, sub_names, _, get, converted in self.nested:
            nested = dict(zip(sub_names, get(row)))  # noqa: B905
            for sub, convert in converted:
                if nested[sub] is not None:
                    nested[sub] = convert(nested[sub])
            document[name] = nested
        document[self.threads] = threads
        return document


def _converter(field):
    """How a declared field writes a plain column's value, as it writes an instance's attribute."""
    if isinstance(field, serializers.DateField):
        # A date's ISO string, as DRF's DateField gives it, without its per-call checks.
        return datetime.date.isoformat
    if isinstance(field, serializers.DecimalField):
        return field.to_representation
    return None


@cache
def _row_writer():
    return _RowWriter(CommitmentSerializer().fields)


class TimelineStepSerializer(serializers.Serializer):
    """One commitment of a recurring pledge, with how its wording differs from the previous one."""

    position = serializers.IntegerField(source="entry.position")
    commitment = serializers.SlugField(source="entry.commitment.slug")
    meeting = MeetingRef(source="entry.commitment.statement.meeting")
    statement = serializers.SlugField(source="entry.commitment.statement.slug")
    quote = serializers.CharField(source="entry.commitment.quote")
    strength = serializers.CharField(source="entry.commitment.strength")
    change_kind = serializers.ChoiceField(source="entry.change_kind", choices=ChangeKind.choices)
    suggested_change_kind = serializers.SerializerMethodField(
        help_text="What the wording and strength suggest; the curator's change_kind is the record."
    )
    note = serializers.CharField(source="entry.note")
    diff = serializers.SerializerMethodField(
        help_text="Word runs from the previous commitment's quote to this one: equal, delete (only in the "
        "previous one) and insert (only in this one), in reading order. Empty for the first. A word one "
        "capture ran together ('continueto') is compared as the words the other quote has apart ('continue "
        "to'); the run its last part ends in lists it, as captured, in `joined` (present only then)."
    )

    @extend_schema_field(serializers.ChoiceField(choices=ChangeKind.choices))
    def get_suggested_change_kind(self, step):
        return step.suggested_change_kind().value

    @extend_schema_field(
        serializers.ListField(
            child=serializers.DictField(),
            help_text='[{"op": "equal"|"delete"|"insert", "text": "...", "joined": ["..."] (only where a '
            "run-together word of a capture is read as its parts)}]",
        )
    )
    def get_diff(self, step):
        return [run.as_dict() for run in step.diff]

    def to_representation(self, step):
        return write_timeline_step(step)


def write_timeline_step(step):
    """A timeline step as TimelineStepSerializer's declared fields write it, written directly.

    A timeline is read far more often than written, and walking a serializer's fields per step
    (copied for every serializer made) cost more than the step's word difference. The declared
    fields stay the schema; a test holds the two to the same output.
    A fast path: docs/benchmark.md, *Fast paths*, gives the rule it keeps.
    """
    entry = step.entry
    commitment = entry.commitment
    statement = commitment.statement
    meeting = statement.meeting
    return {
        "position": entry.position,
        "commitment": commitment.slug,
        "meeting": {"slug": meeting.slug, "name": meeting.name, "start_date": meeting.start_date.isoformat()},
        "statement": statement.slug,
        "quote": commitment.quote,
        "strength": commitment.strength,
        "change_kind": entry.change_kind,
        "suggested_change_kind": step.suggested_change_kind().value,
        "note": entry.note,
        "diff": [run.as_dict() for run in step.diff],
    }


class ThreadSerializer(CleanModelSerializer):
    line_of_effort = serializers.SlugRelatedField(slug_field="slug", queryset=LineOfEffort.objects.all())
    line_of_effort_name = serializers.CharField(source="line_of_effort.name", read_only=True)
    meetings = serializers.SerializerMethodField(help_text="Slugs of the meetings it recurs at, in order.")
    commitment_count = serializers.SerializerMethodField()

    class Meta:
        model = Thread
        fields = [*Thread.CURATED_FIELDS, "line_of_effort_name", "meetings", "commitment_count"]

    def get_meetings(self, thread) -> list[str]:
        return [meeting.slug for meeting in thread.meetings_in_order()]

    def get_commitment_count(self, thread) -> int:
        return len(thread.entries.all())


class PledgeLinkSerializer(serializers.Serializer):
    """A link between this pledge and another, seen from this one (`PledgeLinkQuerySet.seen_from`)."""

    kind = serializers.ChoiceField(choices=list(SEEN_KINDS.items()))
    pledge = serializers.SlugField(help_text="The other pledge (a merged one's page redirects to where it went).")
    title = serializers.CharField()
    reason = serializers.CharField()


class ThreadTimelineSerializer(ThreadSerializer):
    """A recurring pledge with its commitments in meeting order and the computed wording differences."""

    # Written directly (`to_representation`), a fast path: docs/benchmark.md, *Fast paths*.

    timeline = TimelineStepSerializer(many=True, read_only=True)
    links = PledgeLinkSerializer(many=True, read_only=True, help_text="Merged into or from, split from or into.")

    class Meta(ThreadSerializer.Meta):
        fields = [*ThreadSerializer.Meta.fields, "timeline", "links"]

    def to_representation(self, thread):
        # Read with the pledge by the viewset's retrieve (`seen_links`), else here.
        links = getattr(thread, "seen_links", None)
        if links is None:
            links = PledgeLink.objects.seen_from(thread)
        return write_timeline(thread, thread.timeline(), links)


def write_timeline(thread, steps, links, *, meetings=None, count=None):
    """A pledge, its timeline steps and its links as ThreadTimelineSerializer's declared fields write them,
    written directly, as write_timeline_step() writes each step; a test holds it to the declared fields.
    Today's pledge and one as it stood at a moment (`commitments.past`) are written alike. For a page of
    a long pledge's timeline (`api.timeline_pages`), `meetings` (slugs) and `count` are the whole pledge's."""
    if meetings is None:
        meetings = [meeting.slug for meeting in thread.meetings_in_order([step.entry for step in steps])]
    return {
        "slug": thread.slug,
        "title": thread.title,
        "description": thread.description,
        "line_of_effort": thread.line_of_effort.slug,
        "line_of_effort_name": thread.line_of_effort.name,
        "meetings": meetings,
        "commitment_count": len(steps) if count is None else count,
        "timeline": [write_timeline_step(step) for step in steps],
        "links": links,
    }


class ThreadEntryWriteSerializer(StrictJSONTypes, serializers.Serializer):
    """Place a commitment in this recurring pledge; positions follow meeting order."""

    commitment = serializers.SlugRelatedField(slug_field="slug", queryset=Commitment.objects.defer("statement__text"))
    change_kind = serializers.ChoiceField(choices=ChangeKind.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AssessmentCycleSerializer(serializers.ModelSerializer):
    from_meeting = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    to_meeting = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    window = serializers.SerializerMethodField(help_text="The first and last day an assessment in it may be dated.")

    class Meta:
        model = AssessmentCycle
        fields = [*AssessmentCycle.CURATED_FIELDS, "window"]

    def get_window(self, obj) -> list[datetime.date]:
        return list(obj.window())


class EvidenceSerializer(serializers.ModelSerializer):
    statement = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Evidence
        fields = list(Evidence.CURATED_FIELDS)


class AssessmentEvidenceSerializer(serializers.ModelSerializer):
    """One evidence item of an assessment, in full, with what the assessment relies on it for."""

    evidence = EvidenceSerializer(read_only=True)

    class Meta:
        model = AssessmentEvidence
        fields = ["evidence", "relied_on"]


class AssessmentSerializer(CleanModelSerializer):
    key = serializers.SerializerMethodField(help_text=f"{Assessment.KEY_FORMAT}: its address.")
    commitment = serializers.SlugRelatedField(slug_field="slug", queryset=Commitment.objects.defer("statement__text"))
    cycle = serializers.SlugRelatedField(
        slug_field="slug", queryset=AssessmentCycle.objects.all(), allow_null=True, required=False
    )
    supersedes = serializers.SerializerMethodField(help_text="The key of the assessment this one recalibrates.")
    score = serializers.SerializerMethodField(help_text="+1, 0 or -1 from the verdict; null where not scored.")
    evidence = AssessmentEvidenceSerializer(source="evidence_links", many=True, read_only=True)
    member_scores = MemberScoreSerializer(many=True, read_only=True)
    money = MoneyStageSerializer(source="money_stages", many=True, read_only=True)

    class Meta:
        model = Assessment
        fields = beside(
            ["key", *Assessment.CURATED_FIELDS, *Assessment.REVIEW_FIELDS, "evidence", "member_scores", "money"],
            verdict=("score",),
        )
        read_only_fields = Assessment.REVIEW_FIELDS

    def get_key(self, obj) -> str:
        return obj.key()

    def get_supersedes(self, obj) -> str | None:
        return obj.supersedes.key() if obj.supersedes_id else None

    def get_score(self, obj) -> int | None:
        return obj.score
