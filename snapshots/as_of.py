"""The as-of export's records: the curated record as it stood at a past moment, read from the change history.

Each model's records are its history rows standing at that moment (`core.as_of.standing`), written
exactly as the present's records are (`records.fixture_spec`: the same fields, converters and
order), so that an export `--as-of T` is byte for byte the export that was taken at T. References
and sort keys that go through a foreign key read the related record's version standing at T
(`core.as_of.value_as_of`), never its present: a meeting renamed since is cited by its old slug.
"""

import datetime
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db import connections
from django.db.models import CharField, F, TextField
from django.db.models.functions import Collate

from core.as_of import HistoryTooShort, horizon, standing, value_as_of
from core.when import BadMoment
from core.when import parse_when as read_moment

from .records import (
    BINARY_COLLATIONS,
    SnapshotError,
    _final_field,
    chunk_size_of,
    curated_models,
    fixture_spec,
    natural_key_lookups,
)


def parse_when(text):
    """The moment `--as-of WHEN` names, in UTC, read as the pages and the API read `?as_of=` (`core.when`):
    a date (2026-03-03) is the end of that day in UTC, the record as it stood when the day closed; an
    instant is ISO 8601 (2026-03-03T14:00:00+01:00), one without an offset UTC; a future moment refused."""
    try:
        return read_moment(text)
    except BadMoment as exc:
        raise SnapshotError(f"--as-of: {exc}") from exc


def when_text(moment):
    """An instant as the manifest states it: UTC, microseconds."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


class BeyondHistory(SnapshotError):
    """A moment the change history cannot reach back to: no export of it is written."""


def check_horizon(when, using):
    """Refuse (BeyondHistory) a moment the change history cannot reach back to; see core.as_of.horizon."""
    try:
        horizon(curated_models(), using).check(when)
    except HistoryTooShort as exc:
        raise BeyondHistory(f"{exc} Nothing was written.") from None


@dataclass
class AsOfSpec:
    """A curated model's records as they stood at `when`, streamed as `records.fixture_spec` streams the present."""

    label: str
    when: datetime.datetime

    def count(self, using):
        return standing(apps.get_model(self.label), self.when, using).count()

    def rows(self, using):
        present = fixture_spec(self.label)
        model = present.model
        vendor = connections[using].vendor
        annotations, aliases = {}, {}

        def alias_for(lookup):
            """One annotation per lookup through a relation, shared by the record's columns and its order."""
            if lookup not in aliases:
                expression = value_as_of(model, lookup, self.when, using)
                if isinstance(_final_field(model, lookup), CharField | TextField):
                    expression = Collate(expression, BINARY_COLLATIONS[vendor])
                aliases[lookup] = f"_as_of_{len(aliases)}"
                annotations[aliases[lookup]] = expression
            return aliases[lookup]

        columns = [column if "__" not in column else alias_for(column) for column in present.columns]
        order = []
        for lookup in natural_key_lookups(self.label):
            if "__" in lookup:
                order.append(F(alias_for(lookup)).asc(nulls_first=True))
            elif isinstance(_final_field(model, lookup), CharField | TextField):
                order.append(Collate(F(lookup), BINARY_COLLATIONS[vendor]).asc(nulls_first=True))
            else:
                order.append(F(lookup).asc(nulls_first=True))
        query = standing(model, self.when, using).annotate(**annotations).order_by(*order).values_list(*columns)
        for row in query.iterator(chunk_size=chunk_size_of(self.label)):
            yield present.fields_of(row)


@cache
def _labels():
    return [model._meta.label_lower for model in curated_models()]


def as_of_specs(when):
    return [AsOfSpec(label, when) for label in _labels()]
