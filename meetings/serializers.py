from django.core.exceptions import ValidationError
from rest_framework import serializers

from tracker.serializers import CleanModelSerializer, as_drf_error

from .models import Figure, Meeting, Member, Participation, Statement, resolve_span


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
            except ValidationError as exc:
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
