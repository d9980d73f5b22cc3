"""A model's check constraints validated for many unsaved rows at once, as `validate_check_constraints()` does one.

Django validates a check constraint by asking the database (`SELECT 1 WHERE <condition>` with the
row's values in place of its columns): one query per constraint and row. A bulk write (an import's
bulk path) asks the same question of a batch of rows in one query: the rows' values (cast to their
columns' types) are a derived table, and each constraint's condition, compiled once by Django as
`Q.check` compiles it (NULL counts as met), is selected over it. The conditions and messages are the
constraints' own; only the number of queries differs.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import BooleanField, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.sql import Query

# SQLite refuses a compound SELECT of more than 500 parts.
ROWS_PER_QUERY = 400
ROW = "_row"


def failing_check_constraints(instances: list[Any], using: str = DEFAULT_DB_ALIAS) -> dict[int, ValidationError]:
    """{index: the ValidationError `validate_check_constraints()` raises} for each instance that breaks one."""
    if not instances:
        return {}
    model = type(instances[0])
    constraints = [c for c in model._meta.constraints if not isinstance(c, models.UniqueConstraint)]
    if not constraints:
        return {}
    if not all(isinstance(c, models.CheckConstraint) for c in constraints):
        return _one_by_one(instances)
    connection = connections[using]
    referenced = set().union(*(Q(c.condition).referenced_base_fields for c in constraints))
    fields = [f for f in model._meta.local_concrete_fields if f.name in referenced]
    conditions = _conditions(constraints, fields, using)
    per_row = len(fields) + 1 + len(conditions[1])
    batch = max(1, min(ROWS_PER_QUERY, (connection.features.max_query_params or 100_000) // per_row))
    failed: dict[int, ValidationError] = {}
    for start in range(0, len(instances), batch):
        rows = list(enumerate(instances[start : start + batch], start))
        failed.update(_ask(connection, conditions, fields, rows, constraints))
    return failed


def _conditions(constraints: list[Any], fields: list[Any], using: str) -> tuple[str, tuple]:
    """The constraints' conditions as one select list over a derived table `r` of the rows' columns."""
    quote = connections[using].ops.quote_name
    query = Query(None)
    for field in fields:
        column = RawSQL(f"r.{quote(field.column)}", (), output_field=field)  # noqa: S611 - a quoted column name
        query.add_annotation(column, field.name, select=False)
    for number, constraint in enumerate(constraints):
        condition = Coalesce(Q(constraint.condition), Value(True), output_field=BooleanField())
        query.add_annotation(condition, f"_met_{number}")
    sql, params = query.get_compiler(using=using).as_sql()
    return sql.removeprefix("SELECT "), params


def _ask(
    connection: Any,
    conditions: tuple[str, tuple],
    fields: list[Any],
    rows: list[tuple[int, Any]],
    constraints: list[Any],
) -> dict[int, ValidationError]:
    quote = connection.ops.quote_name
    names = [quote(ROW), *(quote(field.column) for field in fields)]
    casts = ["CAST(%s AS integer)", *(f"CAST(%s AS {field.cast_db_type(connection)})" for field in fields)]
    params: list[Any] = list(conditions[1])
    for index, instance in rows:
        params.append(index)
        params += [field.get_db_prep_value(getattr(instance, field.attname), connection) for field in fields]
    if connection.vendor == "postgresql":
        # A VALUES list: PostgreSQL plans a UNION ALL of hundreds of SELECTs part by part (most of an
        # import's time on PostgreSQL), a VALUES list as one scan. SQLite names no VALUES columns.
        row = "({})".format(", ".join(casts))
        source = "(VALUES {}) r({})".format(", ".join([row] * len(rows)), ", ".join(names))
    else:
        columns = ", ".join(f"{cast} AS {name}" for cast, name in zip(casts, names, strict=True))
        source = "({}) r".format(" UNION ALL ".join([f"SELECT {columns}"] * len(rows)))
    with connection.cursor() as cursor:
        sql = f"SELECT r.{quote(ROW)}, {conditions[0]} FROM {source}"  # noqa: S608 - quoted names, values as parameters
        cursor.execute(sql, params)
        answers = cursor.fetchall()
    failed = {}
    for index, *met in answers:
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
