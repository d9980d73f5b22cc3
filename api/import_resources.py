"""What each importable resource reads from a row, and how a row is written: through the API's own writes.

A resource names the export it reads (its columns, those that identify a record and those it only
writes for reading), finds the stored records a chunk of rows names in one query, writes a stored
record's cells as the export would, and applies a row. Commitments, figures and participation are
written by the API's serializers (`CleanModelSerializer`: full_clean, the check constraints, the
unique conflicts; quotes found by `resolve_span`, as the paste form finds them); places in pledges
by `place_in_thread`; assessments by `record_assessment`, as drafts. So an import refuses what the
admin and the API refuse, with their messages.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.exceptions import APIException

from commitments.follow_through import record_assessment
from commitments.models import (
    Assessment,
    AssessmentEvidence,
    Evidence,
    MemberScore,
    MoneyStage,
    Thread,
    ThreadEntry,
)
from commitments.services import place_in_thread
from core.exceptions import ConcurrentChange
from core.spans import span_at

from .csv_lists import columns_of
from .renderers import _item, cell
from .serializers import (
    AssessmentEvidenceSerializer,
    AssessmentSerializer,
    CommitmentSerializer,
    EvidenceSerializer,
    FigureSerializer,
    ParticipationSerializer,
    ThreadEntryWriteSerializer,
    TimelineStepSerializer,
)

ROW = ""  # the column of an error about the row as a whole


class RowRefused(Exception):
    """A row that cannot be applied: [(column, message)]."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class Outcome:
    """What applying a row did: created, changed (column, old, new) or nothing."""

    action: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def same(old: str, new: str) -> bool:
    """Whether two cells hold one value: 68, 68.00 and 68.0000 are one amount; TRUE is true."""
    if old == new:
        return True
    if old.lower() in ("true", "false"):
        return old.lower() == new.strip().lower()
    try:
        return bool(old and new) and Decimal(old) == Decimal(new.strip())
    except InvalidOperation:
        return False


def refusal(exc: Exception) -> RowRefused:
    """A refusal of the API's serializers or of a service as [(column, message)]."""
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {ROW: exc.messages}
    elif isinstance(exc, APIException):
        detail = exc.detail
    else:
        detail = {ROW: [str(exc)]}
    return RowRefused(list(_flatten(detail)))


def _flatten(detail: Any, column: str = ROW) -> Iterator[tuple[str, str]]:
    if isinstance(detail, dict):
        for name, value in detail.items():
            name = ROW if name in (NON_FIELD_ERRORS, "non_field_errors", "detail") else name
            yield from _flatten(value, name or column)
    elif isinstance(detail, list):
        for value in detail:
            yield from _flatten(value, column)
    else:
        yield column, str(detail)


def form_data(cells: dict[str, str]) -> QueryDict:
    """A row as a form would post it: DRF reads "" as empty and "true" as True, as for the admin's forms."""
    data = QueryDict(mutable=True)
    # As `data[name] = value` stores each (a one-item list of the text), without its per-item conversion.
    dict.update(data, {name: [value] for name, value in cells.items()})
    return data


def fresh_offsets(obj: Any, cells: dict[str, str], old: dict[str, str]) -> dict[str, str]:
    """The row with its offsets left out when its quote (or statement) changed and its offsets did not.

    As the paste form does: the offsets in the file are the old quote's, so the new one is found
    afresh, unless it still stands at the old start (the same words pasted differently).
    """
    offsets = [name for name in ("start", "end") if name in cells]
    moved = [name for name in ("quote", "statement") if name in cells and not same(old.get(name, ""), cells[name])]
    if obj is None or not offsets or not moved or any(not same(old[name], cells[name]) for name in offsets):
        return cells
    if moved == ["quote"] and obj.start is not None:
        if span_at(obj.statement.text, cells["quote"], obj.start) == (obj.start, obj.end):
            return cells
    return {**cells, **dict.fromkeys(offsets, "")}


class SerializedResource:
    """A resource the API's serializer writes: the export's writable columns are its writable fields."""

    name = ""
    serializer: type[serializers.ModelSerializer]
    key_columns: tuple[str, ...] = ("slug",)
    related: tuple[str, ...] = ()
    deferred: tuple[str, ...] = ()
    signature: frozenset[str] = frozenset()
    # Columns the export writes from rows curated elsewhere (an assessment's member scores and money): the
    # import does not write them, so a cell that differs from the stored record's is refused, never ignored.
    compared: tuple[str, ...] = ()
    writes_per_row = True  # each row is saved as it is applied, in a savepoint of its own

    def __init__(self) -> None:
        self.fields = self.serializer().fields
        self.writable = [name for name, f in self.fields.items() if not f.read_only]
        self.columns = [name for name, _ in columns_of(self.serializer())]

    @property
    def model(self) -> Any:
        return self.serializer.Meta.model

    def key_of(self, cells: dict[str, str]) -> tuple[str | None, ...]:
        return tuple(cells.get(name) or None for name in self.key_columns)

    def queryset(self) -> Any:
        return self.model._default_manager.select_related(*self.related).defer(*self.deferred)

    def load(self, keys: list[tuple[str | None, ...]]) -> dict[tuple, Any]:
        """{natural key: stored record} of the records these keys name, in one query."""
        lookup = self.model.NATURAL_KEY[0]
        found = self.queryset().filter(**{f"{lookup}__in": {key[0] for key in keys}})
        return {tuple(obj.natural_key()): obj for obj in found}

    def cells_of(self, obj: Any, columns: list[str]) -> dict[str, str]:
        """The stored record's cells, as the export writes them."""
        return {name: self.cell_of(obj, name) for name in columns}

    def cell_of(self, obj: Any, name: str) -> str:
        serializer_field = self.fields[name]
        value = serializer_field.get_attribute(obj)
        return cell(None if value is None else serializer_field.to_representation(value))

    def apply(self, obj: Any, cells: dict[str, str], old: dict[str, str], user: Any) -> Outcome:
        cells = fresh_offsets(obj, cells, old)
        serializer = self.serializer(obj, data=form_data(cells), partial=obj is not None)
        if not serializer.is_valid():
            raise refusal(serializers.ValidationError(serializer.errors))
        changes = self.changes(obj, serializer.validated_data, old)
        if obj is not None and not changes:
            return Outcome("unchanged")
        try:
            saved = serializer.save()
        except (APIException, DjangoValidationError) as exc:
            raise refusal(exc) from None
        if obj is None:
            return Outcome("create", [(name, "", self.cell_of(saved, name)) for name in cells])
        return Outcome("change", changes)

    def changes(self, obj: Any, validated: dict[str, Any], old: dict[str, str]) -> list[tuple[str, str, str]]:
        """(column, old, new) for each validated value that differs from the stored one."""
        if obj is None:
            return []
        found = []
        for name, value in validated.items():
            column = next(c for c, f in self.fields.items() if f.source == name and not f.read_only)
            if getattr(obj, name) != value:
                new = cell(None if value is None else self.fields[column].to_representation(value))
                found.append((column, old.get(column, ""), new))
        return found


class Commitments(SerializedResource):
    name = "commitments"
    serializer = CommitmentSerializer
    related = ("statement", "line_of_effort")
    deferred = ("statement__text",)
    signature = frozenset({"slug", "statement", "quote", "line_of_effort", "strength"})


class Figures(SerializedResource):
    name = "figures"
    serializer = FigureSerializer
    related = ("statement",)
    deferred = ("statement__text",)
    signature = frozenset({"slug", "statement", "metric", "unit", "qualifier"})


class Participations(SerializedResource):
    name = "participations"
    serializer = ParticipationSerializer
    key_columns = ("meeting", "member", "role", "statement")
    related = ("meeting", "member", "statement")
    deferred = ("statement__text",)
    signature = frozenset({"meeting", "member", "role", "statement"})


class Assessments(SerializedResource):
    """Assessments with their evidence, written by `record_assessment`: a new one is a draft by the importer.

    `supersedes` is the earlier assessment's key; `evidence` is the export's cell (each item the evidence
    item as stored, then what the assessment relies on it for), or `slug:relied on` items: evidence items
    themselves are curated in the admin, an import names them.
    """

    name = "assessments"
    serializer = AssessmentSerializer
    key_columns = ("commitment", "assessed_on")
    related = ("commitment__statement__meeting", "cycle", "supersedes__commitment")
    deferred = ("commitment__statement__text",)
    signature = frozenset({"commitment", "assessed_on", "verdict", "assessor"})
    compared = ("member_scores", "money")

    def __init__(self) -> None:
        super().__init__()
        self.writable = [*self.writable, "supersedes", "evidence"]

    def queryset(self) -> Any:
        links = AssessmentEvidence.objects.select_related("evidence__statement__meeting").defer(
            "evidence__statement__text"
        )
        links = links.order_by("evidence__slug")
        # As the export orders them (api.views), so that a stored record's cells are the export's.
        scores = MemberScore.objects.select_related("member", "evidence").order_by("member__slug")
        money = MoneyStage.objects.select_related("evidence").in_stage_order()
        return (
            super()
            .queryset()
            .prefetch_related(
                Prefetch("evidence_links", queryset=links),
                Prefetch("member_scores", queryset=scores),
                Prefetch("money_stages", queryset=money),
            )
        )

    def cell_of(self, obj: Any, name: str) -> str:
        if name == "supersedes":
            return obj.supersedes.key() if obj.supersedes_id else ""
        if name == "evidence":
            return cell(AssessmentEvidenceSerializer(obj.evidence_links.all(), many=True).data)
        return super().cell_of(obj, name)

    def apply(self, obj: Any, cells: dict[str, str], old: dict[str, str], user: Any) -> Outcome:
        plain = {name: value for name, value in cells.items() if name not in ("supersedes", "evidence")}
        serializer = self.serializer(obj, data=form_data(plain), partial=obj is not None)
        errors = [] if serializer.is_valid() else list(_flatten(serializer.errors))
        supersedes, uses = None, None
        try:
            supersedes = _superseded(cells.get("supersedes", old.get("supersedes", "")))
        except RowRefused as exc:
            errors += exc.errors
        try:
            uses = _evidence_uses(cells["evidence"]) if "evidence" in cells else None
        except RowRefused as exc:
            errors += exc.errors
        if errors:
            raise RowRefused(errors)
        changes = self.changes(obj, serializer.validated_data, old)
        for name, new in (("supersedes", supersedes.key() if supersedes else ""), ("evidence", cells.get("evidence"))):
            if obj is not None and new is not None and new != old.get(name):
                changes.append((name, old.get(name, ""), new))
        if obj is not None and not changes:
            return Outcome("unchanged")
        assessment = obj or Assessment()
        for name, value in serializer.validated_data.items():
            setattr(assessment, name, value)
        assessment.supersedes = supersedes
        if uses is None:
            uses = [(link.evidence, link.relied_on) for link in obj.evidence_links.all()]
        elif obj is not None:
            kept = {item.pk for item, _ in uses}
            for link in obj.evidence_links.all():
                if link.evidence_id not in kept:
                    link.delete()
        try:
            record_assessment(assessment, uses, drafted_by=user.get_username() if user else "import")
        except DjangoValidationError as exc:
            raise refusal(exc) from None
        if obj is None:
            return Outcome("create", [(name, "", value) for name, value in cells.items()])
        return Outcome("change", changes)


def not_written(spec: SerializedResource, obj: Any, cells: dict[str, str]) -> list[tuple[str, str]]:
    """Errors for the `compared` cells of a row that differ from the stored record's (or are given for a new one)."""
    names = [name for name in spec.compared if name in cells]
    if not names:
        return []
    stored = spec.cells_of(obj, names) if obj is not None else {}
    record = spec.model._meta.verbose_name
    errors = []
    for name in names:
        if same(stored.get(name, ""), cells[name]):
            continue
        if obj is None:
            said = f"add them on the {record}'s admin page once it is imported, and leave the column empty"
        else:
            said = f"change them on the {record}'s admin page, and leave the column as exported (“{stored[name]}”)"
        errors.append((name, f"The import does not write “{name}”: {said}."))
    return errors


def _superseded(key: str) -> Assessment | None:
    if not key:
        return None
    try:
        return Assessment.objects.get_by_key(key)
    except Assessment.DoesNotExist:
        raise RowRefused([("supersedes", f"No assessment “{key}” ({Assessment.KEY_FORMAT}).")]) from None


_EVIDENCE_START = re.compile(r"(?:^|; )([-a-z0-9_]+):")


def _evidence_uses(text: str) -> list[tuple[Evidence, str]]:
    """The evidence cell's items as (evidence item, relied on), read as the export writes them."""
    if not text.strip():
        return []
    slugs = {match.group(1) for match in _EVIDENCE_START.finditer(text)}
    known = Evidence.objects.select_related("statement__meeting").defer("statement__text").filter(slug__in=slugs)
    # Each item as the export writes it, up to its `relied_on`; or its slug alone, hand-written.
    heads = sorted(
        ((_item(EvidenceSerializer(item).data) + ":", item) for item in known),
        key=lambda head: -len(head[0]),
    )
    heads += [(f"{item.slug}:", item) for item in known]
    uses, at = [], 0
    while at < len(text):
        head = next(((prefix, item) for prefix, item in heads if text.startswith(prefix, at)), None)
        if head is None:
            slug = text[at:].split(":", 1)[0]
            raise RowRefused([("evidence", f"No evidence item “{slug}”: evidence is added in the admin first.")])
        start = at + len(head[0])
        ends = [i for prefix, _ in heads if (i := text.find("; " + prefix, start)) != -1]
        end = min(ends, default=len(text))
        uses.append((head[1], text[start:end]))
        at = end + 2
    return uses


class ThreadEntries(SerializedResource):
    """Places in recurring pledges, as a pledge's timeline (`threads/<slug>/?format=csv`) or the pledge
    matrix writes them; written by `place_in_thread`. Positions follow meeting order: read, not written."""

    name = "thread-entries"
    serializer = TimelineStepSerializer
    key_columns = ("thread", "commitment")
    signature = frozenset({"thread", "commitment", "change_kind"})

    def __init__(self) -> None:
        self.fields = ThreadEntryWriteSerializer().fields
        self.writable = ["change_kind", "note"]
        timeline = [name for name, _ in columns_of(TimelineStepSerializer())]
        self.columns = ["thread", *timeline, "diff", "thread.title", "thread.line_of_effort"]

    @property
    def model(self) -> Any:
        return ThreadEntry

    def queryset(self) -> Any:
        return ThreadEntry.objects.select_related("thread", "commitment").defer("commitment__quote")

    def cell_of(self, obj: Any, name: str) -> str:
        return cell(getattr(obj, name))

    def apply(self, obj: Any, cells: dict[str, str], old: dict[str, str], user: Any) -> Outcome:
        thread = Thread.objects.filter(slug=cells.get("thread", "")).first()
        payload = ThreadEntryWriteSerializer(data=form_data({k: v for k, v in cells.items() if k != "thread"}))
        errors = [] if payload.is_valid() else list(_flatten(payload.errors))
        if thread is None:
            errors.insert(0, ("thread", f"No recurring pledge “{cells.get('thread', '')}”."))
        if errors or thread is None:
            raise RowRefused(errors)
        data = payload.validated_data
        note = data["note"] if "note" in cells else (obj.note if obj else "")
        new = {"change_kind": data["change_kind"], "note": note}
        changes = [(name, old.get(name, ""), v) for name, v in new.items() if obj and getattr(obj, name) != v]
        if obj is not None and not changes:
            return Outcome("unchanged")
        try:
            place_in_thread(thread=thread, commitment=data["commitment"], **new)
        except (DjangoValidationError, ConcurrentChange) as exc:
            raise refusal(exc) from None
        if obj is None:
            return Outcome("create", [(name, "", value) for name, value in cells.items()])
        return Outcome("change", changes)


RESOURCES = {resource.name: resource for resource in (Commitments, ThreadEntries, Assessments, Figures, Participations)}
# Column names the pledge matrix writes for what a timeline calls `thread`.
ALIASES = {"thread.slug": "thread"}


def detect(header: list[str]) -> str | None:
    """The resource whose export has this header (its identifying columns), or None."""
    names = {ALIASES.get(name, name) for name in header}
    for name, resource in RESOURCES.items():
        if resource.signature <= names:
            return name
    return None
