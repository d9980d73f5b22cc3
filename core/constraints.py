"""A model's check constraints validated for many unsaved rows at once, as `validate_check_constraints()` does one.

Django validates a check constraint by asking the database (`SELECT 1 WHERE <condition>` with the
row's values in place of its columns): one query per constraint and row. A bulk write (an import's
bulk path) asks the same question of a batch of rows in one query: each row's SELECT, as Django builds
it, gives the row's index and one column per constraint, and the batch is their UNION ALL. The
conditions and messages are the constraints' own; only the number of queries differs.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import BooleanField, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query

# SQLite refuses a compound SELECT of more than 500 parts.
ROWS_PER_QUERY = 400


def failing_check_constraints(instances: list[Any], using: str = DEFAULT_DB_ALIAS) -> dict[int, ValidationError]:
    """{index: the ValidationError `validate_check_constraints()` raises} for each instance that breaks one."""
    if not instances:
        return {}
    model = type(instances[0])
    constraints = [c for c in model._meta.constraints if not isinstance(c, models.UniqueConstraint)]
    if not all(isinstance(c, models.CheckConstraint) for c in constraints):
        return _one_by_one(instances)
    connection = connections[using]
    limit = (connection.features.max_query_params or 100_000) // 2
    failed: dict[int, ValidationError] = {}
    parts: list[str] = []
    params: list[Any] = []
    for index, instance in enumerate(instances):
        sql, row_params = _row_query(instance, index, constraints, using)
        if parts and (len(parts) >= ROWS_PER_QUERY or len(params) + len(row_params) > limit):
            failed.update(_ask(connection, parts, params, constraints))
            parts, params = [], []
        parts.append(sql)
        params.extend(row_params)
    failed.update(_ask(connection, parts, params, constraints))
    return failed


def _row_query(instance: Any, index: int, constraints: list[Any], using: str) -> tuple[str, tuple]:
    """One row's SELECT: its index, then each constraint's condition on its values (NULL counts as met,
    as Django's `Q.check` has it)."""
    query = Query(None)
    for name, value in instance._get_field_expression_map(meta=instance._meta).items():
        query.add_annotation(value if hasattr(value, "resolve_expression") else Value(value), name, select=False)
    query.add_annotation(Value(index), "_row")
    for number, constraint in enumerate(constraints):
        condition = Coalesce(Q(constraint.condition), Value(True), output_field=BooleanField())
        query.add_annotation(condition, f"_met_{number}")
    return query.get_compiler(using=using).as_sql()


def _ask(connection: Any, parts: list[str], params: list[Any], constraints: list[Any]) -> dict[int, ValidationError]:
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    failed = {}
    for index, *met in rows:
        broken = [c for c, ok in zip(constraints, met, strict=True) if not ok]
        if broken:
            failed[index] = ValidationError(
                [ValidationError(c.get_violation_error_message(), code=c.violation_error_code) for c in broken]
            )
    return failed


def _one_by_one(instances: list[Any]) -> dict[int, ValidationError]:
    failed = {}
    for index, instance in enumerate(instances):
        try:
            instance.validate_check_constraints()
        except ValidationError as exc:
            failed[index] = exc
    return failed
