from importlib import import_module

from django.db import migrations, models

# A commitment's latest status (`Commitment.latest_status`): the status of its newest approved assessment
# (newest `assessed_on`, then newest id: `Assessment.objects.newest_first_of`), else not assessed. Kept by
# the database itself, as the full-text indexes are (0003), so that every write path keeps it in step
# (services, admin and inlines, API, import, restore, seed, demo, loaddata, raw SQL):
# - a write of an assessment (insert, update of what the status depends on, delete) sets the status of
#   its commitment, before and after a move to another commitment;
# - a write of the column itself (a commitment saved from a copy read before an assessment changed, a
#   fixture naming one) is put right, so the column never holds anything but the derived value.
# SQLite: Django rebuilds a table to alter it, which drops its triggers: a later migration that alters
# commitments_commitment or commitments_assessment must run SQLITE_TRIGGERS again (they are idempotent),
# and, for commitments_commitment, the full-text triggers of 0003 too, as this one does.
STATUS = (
    "COALESCE((SELECT a.status FROM commitments_assessment a WHERE a.commitment_id = {id} "
    "AND a.review_state = 'approved' ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1), 'not-assessed')"
)


def _sqlite_set(commitment_id):
    return (
        f"UPDATE commitments_commitment SET latest_status = {STATUS.format(id=commitment_id)} "
        f"WHERE id = {commitment_id} AND latest_status IS NOT {STATUS.format(id=commitment_id)};"
    )


SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS commitments_assessment_status_insert AFTER INSERT ON commitments_assessment "
    f"BEGIN {_sqlite_set('new.commitment_id')} END",
    "CREATE TRIGGER IF NOT EXISTS commitments_assessment_status_update AFTER UPDATE OF "
    "commitment_id, status, review_state, assessed_on ON commitments_assessment "
    f"BEGIN {_sqlite_set('old.commitment_id')} {_sqlite_set('new.commitment_id')} END",
    "CREATE TRIGGER IF NOT EXISTS commitments_assessment_status_delete AFTER DELETE ON commitments_assessment "
    f"BEGIN {_sqlite_set('old.commitment_id')} END",
    "CREATE TRIGGER IF NOT EXISTS commitments_commitment_status_insert AFTER INSERT ON commitments_commitment "
    f"WHEN new.latest_status IS NOT 'not-assessed' BEGIN {_sqlite_set('new.id')} END",
    "CREATE TRIGGER IF NOT EXISTS commitments_commitment_status_update AFTER UPDATE OF latest_status "
    "ON commitments_commitment WHEN new.latest_status IS NOT old.latest_status "
    f"BEGIN {_sqlite_set('new.id')} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS commitments_{name}"
    for name in (
        "assessment_status_insert",
        "assessment_status_update",
        "assessment_status_delete",
        "commitment_status_insert",
        "commitment_status_update",
    )
]
# 0003's full-text triggers on commitments_commitment, dropped by the rebuild that adds the column; the
# one on update now fires only when the indexed text changes, not when the status does.
FTS_UPDATE = "commitments_commitment_fts_update"
SQLITE_FTS_UPDATE = (
    f"CREATE TRIGGER IF NOT EXISTS {FTS_UPDATE} AFTER UPDATE OF quote, summary ON commitments_commitment BEGIN "
    "INSERT INTO commitments_commitment_fts(commitments_commitment_fts, rowid, quote, summary) "
    "VALUES ('delete', old.id, old.quote, old.summary); "
    "INSERT INTO commitments_commitment_fts(rowid, quote, summary) VALUES (new.id, new.quote, new.summary); END"
)

POSTGRESQL_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION commitments_latest_status(commitment bigint) RETURNS varchar AS $$ "
    f"SELECT {STATUS.format(id='commitment')} $$ LANGUAGE sql STABLE",
    "CREATE OR REPLACE FUNCTION commitments_assessment_sets_status() RETURNS trigger AS $$ BEGIN "
    "IF TG_OP <> 'INSERT' THEN UPDATE commitments_commitment SET latest_status = "
    "commitments_latest_status(OLD.commitment_id) WHERE id = OLD.commitment_id; END IF; "
    "IF TG_OP <> 'DELETE' THEN UPDATE commitments_commitment SET latest_status = "
    "commitments_latest_status(NEW.commitment_id) WHERE id = NEW.commitment_id; END IF; "
    "RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE OR REPLACE FUNCTION commitments_commitment_derives_status() RETURNS trigger AS $$ BEGIN "
    "NEW.latest_status := commitments_latest_status(NEW.id); RETURN NEW; END $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS commitments_assessment_status ON commitments_assessment",
    "CREATE TRIGGER commitments_assessment_status AFTER INSERT OR DELETE OR UPDATE OF "
    "commitment_id, status, review_state, assessed_on ON commitments_assessment "
    "FOR EACH ROW EXECUTE FUNCTION commitments_assessment_sets_status()",
    "DROP TRIGGER IF EXISTS commitments_commitment_status_insert ON commitments_commitment",
    "CREATE TRIGGER commitments_commitment_status_insert BEFORE INSERT ON commitments_commitment FOR EACH ROW "
    "WHEN (NEW.latest_status IS DISTINCT FROM 'not-assessed') EXECUTE FUNCTION commitments_commitment_derives_status()",
    "DROP TRIGGER IF EXISTS commitments_commitment_status_update ON commitments_commitment",
    "CREATE TRIGGER commitments_commitment_status_update BEFORE UPDATE OF latest_status ON commitments_commitment "
    "FOR EACH ROW WHEN (NEW.latest_status IS DISTINCT FROM OLD.latest_status) "
    "EXECUTE FUNCTION commitments_commitment_derives_status()",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS commitments_assessment_status ON commitments_assessment",
    "DROP TRIGGER IF EXISTS commitments_commitment_status_insert ON commitments_commitment",
    "DROP TRIGGER IF EXISTS commitments_commitment_status_update ON commitments_commitment",
    "DROP FUNCTION IF EXISTS commitments_commitment_derives_status()",
    "DROP FUNCTION IF EXISTS commitments_assessment_sets_status()",
    "DROP FUNCTION IF EXISTS commitments_latest_status(bigint)",
]
# Every commitment's status, once, for the rows there are.
FILL = f"UPDATE commitments_commitment SET latest_status = {STATUS.format(id='commitments_commitment.id')}"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        fts = import_module("commitments.migrations.0003_suggestions").SQLITE_INDEX
        commitment_fts = [s for s in fts if "commitments_commitment_fts" in s and FTS_UPDATE not in s]
        statements = [*commitment_fts, f"DROP TRIGGER IF EXISTS {FTS_UPDATE}", SQLITE_FTS_UPDATE, FILL, *SQLITE_TRIGGERS]
    elif vendor == "postgresql":
        statements = [FILL, *POSTGRESQL_TRIGGERS]
    else:
        statements = [FILL]
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    for statement in {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def restore_search_triggers(apps, schema_editor):
    """On the way back, after the column is removed: SQLite rebuilt the table without any trigger, and the
    full-text index's (migration 0003, its own update trigger included) must be there as before."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in import_module("commitments.migrations.0003_suggestions").SQLITE_INDEX:
            if "commitments_commitment_fts" in statement:
                schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0011_pledge_links_history_as_of_index"),
        ("meetings", "0006_draft_flag_indexes"),
    ]

    operations = [
        # Last on the way back (operations run in reverse): see restore_search_triggers.
        migrations.RunPython(migrations.RunPython.noop, restore_search_triggers),
        migrations.AddField(
            model_name="commitment",
            name="latest_status",
            field=models.CharField(
                choices=[
                    ("not-assessed", "Not yet assessed"),
                    ("in-progress", "In the works"),
                    ("stalled", "Stalled"),
                    ("kept", "Kept"),
                    ("compromise", "Compromise"),
                    ("broken", "Broken"),
                ],
                default="not-assessed",
                editable=False,
                max_length=20,
            ),
        ),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(fields=["latest_status", "id"], name="commitment_latest_status"),
        ),
        # Removing the column on the way back drops the SQLite triggers with the rebuilt table.
        migrations.RunPython(forwards, backwards),
    ]
