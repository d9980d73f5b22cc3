"""Serializers of both domain apps' resources: every write goes through the model's own validation."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commitments.models import (
    Assessment,
    ChangeKind,
    Commitment,
    ImplementationStatus,
    LineOfEffort,
    Thread,
    ThreadEntry,
)
from meetings.models import Figure, Meeting, Member, Participation, Statement
from meetings.quotes import resolve_span

from .errors import as_drf_error


class CleanModelSerializer(serializers.ModelSerializer):
    """Writes through the model's full_clean(): the same rules as the admin, field-level 400s, nothing saved."""

    def create(self, validated_data):
        instance = self.Meta.model(**validated_data)
        return self._clean_and_save(instance)

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self._clean_and_save(instance)

    @transaction.atomic
    def _clean_and_save(self, instance):
        try:
            instance.full_clean()
            instance.save()
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from None
        return instance


class MeetingSerializer(CleanModelSerializer):
    class Meta:
        model = Meeting
        fields = [
            "slug",
            "name",
            "format",
            "city",
            "country",
            "start_date",
            "end_date",
            "date_precision",
            "facts_basis",
            "provenance_note",
        ]


class StatementSerializer(CleanModelSerializer):
    """A statement without its text: lists stay small."""

    meeting = serializers.SlugRelatedField(slug_field="slug", queryset=Meeting.objects.all())

    class Meta:
        model = Statement
        fields = [
            "slug",
            "meeting",
            "position",
            "kind",
            "title",
            "issuer",
            "publisher",
            "source_url",
            "source_file",
            "issued_on",
            "issued_on_basis",
            "note",
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
    start = serializers.IntegerField(min_value=0, required=False)
    end = serializers.IntegerField(min_value=0, required=False)

    class Meta:
        model = Figure
        fields = [
            "slug",
            "statement",
            "meeting",
            "quote",
            "start",
            "end",
            "metric",
            "value",
            "unit",
            "qualifier",
            "note",
        ]


class ParticipationSerializer(QuotedSerializerMixin, CleanModelSerializer):
    key = serializers.SerializerMethodField(help_text="meeting~member~role~statement (or ~external): its address.")
    meeting = serializers.SlugRelatedField(slug_field="slug", queryset=Meeting.objects.all())
    member = serializers.SlugRelatedField(slug_field="slug", queryset=Member.objects.all())
    statement = serializers.SlugRelatedField(
        slug_field="slug", queryset=Statement.objects.defer("text"), allow_null=True, required=False
    )
    quote = serializers.CharField(trim_whitespace=False, allow_blank=True, required=False)
    start = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    end = serializers.IntegerField(min_value=0, required=False, allow_null=True)

    class Meta:
        model = Participation
        fields = ["key", "meeting", "member", "role", "statement", "quote", "start", "end", "note"]
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
        fields = ["slug", "name", "kind", "joined_per_sources", "sources_disagree_on_joining"]

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
        fields = ["slug", "name", "position", "description"]


class ThreadPlaceSerializer(serializers.ModelSerializer):
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
    start = serializers.IntegerField(min_value=0, required=False)
    end = serializers.IntegerField(min_value=0, required=False)
    line_of_effort = serializers.SlugRelatedField(slug_field="slug", queryset=LineOfEffort.objects.all())
    line_of_effort_name = serializers.CharField(source="line_of_effort.name", read_only=True)
    threads = ThreadPlaceSerializer(source="thread_entries", many=True, read_only=True)
    latest_status = serializers.SerializerMethodField(
        help_text="Status of the newest assessment; “not-assessed” never means inaction."
    )

    class Meta:
        model = Commitment
        fields = [
            "slug",
            "statement",
            "statement_title",
            "meeting",
            "quote",
            "start",
            "end",
            "line_of_effort",
            "line_of_effort_name",
            "actor",
            "strength",
            "summary",
            "assessable",
            "deadline",
            "deadline_text",
            "amount",
            "currency",
            "note",
            "threads",
            "latest_status",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=ImplementationStatus.choices))
    def get_latest_status(self, obj):
        status = getattr(obj, "latest_status", None)
        if status is None:  # a freshly written row has no annotation
            newest = obj.assessments.order_by("-assessed_on", "-pk").first()
            status = newest.status if newest else ImplementationStatus.NOT_ASSESSED
        return status


# DRF's own representation of an amount (a string with the field's two decimal places).
_AMOUNT = CommitmentSerializer().fields["amount"]


class CommitmentRowSerializer(CommitmentSerializer):
    """CommitmentSerializer's output from `.values()` rows: the same document, without model instances.

    Building instances costs more than the rest of a list page (see PERFORMANCE.md); the
    fields stay declared, so the OpenAPI schema is the declarative serializer's. A test
    holds the two to the same output.
    """

    def to_representation(self, row):
        amount = row["amount"]
        deadline = row["deadline"]
        return {
            "slug": row["slug"],
            "statement": row["statement__slug"],
            "statement_title": row["statement__title"],
            "meeting": {
                "slug": row["statement__meeting__slug"],
                "name": row["statement__meeting__name"],
                # A date's ISO string, as DRF's DateField gives it, without its per-call checks.
                "start_date": row["statement__meeting__start_date"].isoformat(),
            },
            "quote": row["quote"],
            "start": row["start"],
            "end": row["end"],
            "line_of_effort": row["line_of_effort__slug"],
            "line_of_effort_name": row["line_of_effort__name"],
            "actor": row["actor"],
            "strength": row["strength"],
            "summary": row["summary"],
            "assessable": bool(row["assessable"]),
            "deadline": None if deadline is None else deadline.isoformat(),
            "deadline_text": row["deadline_text"],
            "amount": None if amount is None else _AMOUNT.to_representation(amount),
            "currency": row["currency"],
            "note": row["note"],
            "threads": row["threads"],
            "latest_status": row["latest_status"],
        }


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
        "previous one) and insert (only in this one), in reading order. Empty for the first."
    )

    @extend_schema_field(serializers.ChoiceField(choices=ChangeKind.choices))
    def get_suggested_change_kind(self, step):
        return step.suggested_change_kind().value

    @extend_schema_field(
        serializers.ListField(
            child=serializers.DictField(child=serializers.CharField()),
            help_text='[{"op": "equal"|"delete"|"insert", "text": "..."}]',
        )
    )
    def get_diff(self, step):
        return [run.as_dict() for run in step.diff]


class ThreadSerializer(CleanModelSerializer):
    line_of_effort = serializers.SlugRelatedField(slug_field="slug", queryset=LineOfEffort.objects.all())
    line_of_effort_name = serializers.CharField(source="line_of_effort.name", read_only=True)
    meetings = serializers.SerializerMethodField(help_text="Slugs of the meetings it recurs at, in order.")
    commitment_count = serializers.SerializerMethodField()

    class Meta:
        model = Thread
        fields = [
            "slug",
            "title",
            "description",
            "line_of_effort",
            "line_of_effort_name",
            "meetings",
            "commitment_count",
        ]

    def get_meetings(self, thread) -> list[str]:
        steps = sorted(thread.entries.all(), key=lambda e: e.position)
        return list(dict.fromkeys(e.commitment.statement.meeting.slug for e in steps))

    def get_commitment_count(self, thread) -> int:
        return len(thread.entries.all())


class ThreadTimelineSerializer(ThreadSerializer):
    """A recurring pledge with its commitments in meeting order and the computed wording differences."""

    timeline = TimelineStepSerializer(many=True, read_only=True)

    class Meta(ThreadSerializer.Meta):
        fields = [*ThreadSerializer.Meta.fields, "timeline"]


class ThreadEntryWriteSerializer(serializers.Serializer):
    """Place a commitment in this recurring pledge; positions follow meeting order."""

    commitment = serializers.SlugRelatedField(slug_field="slug", queryset=Commitment.objects.defer("statement__text"))
    change_kind = serializers.ChoiceField(choices=ChangeKind.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AssessmentSerializer(CleanModelSerializer):
    key = serializers.SerializerMethodField(help_text="commitment@YYYY-MM-DD: its address.")
    commitment = serializers.SlugRelatedField(slug_field="slug", queryset=Commitment.objects.defer("statement__text"))

    class Meta:
        model = Assessment
        fields = ["key", "commitment", "assessed_on", "status", "funding_stage", "evidence_url", "note", "assessor"]

    def get_key(self, obj) -> str:
        return f"{obj.commitment.slug}@{obj.assessed_on.isoformat()}"
