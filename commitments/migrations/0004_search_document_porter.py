from django.db import migrations

# PostgreSQL's full-text index made to find what SQLite's finds, so that suggestions do not depend
# on the database (commitments.search):
# - words are cut where SQLite FTS5's unicode61 tokenizer cuts them, at every character that is not
#   a letter or digit: PostgreSQL's parser otherwise reads "Daesh/ISIS" as one file path, "7.7" as
#   one number and "co-leads" as a compound;
# - they are stemmed by the Porter algorithm, as FTS5's porter tokenizer stems them, and no word is
#   dropped as a stop word (FTS5 drops none). The "english" configuration used the later Snowball
#   stemmer, which joins some words differently ("communities", "communications").
# SQLite's index is unchanged. Altering the generated column rewrites the table once.
CONFIGURATION = [
    "CREATE TEXT SEARCH DICTIONARY commitments_porter (TEMPLATE = snowball, Language = porter)",
    "CREATE TEXT SEARCH CONFIGURATION commitments_porter (COPY = simple)",
    "ALTER TEXT SEARCH CONFIGURATION commitments_porter ALTER MAPPING FOR asciiword, word, numword, "
    "asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart WITH commitments_porter",
]
DROP_CONFIGURATION = [
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS commitments_porter",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS commitments_porter",
]


def _document(table, fields, configuration):
    text = " || ' ' || ".join(fields)
    if configuration == "commitments_porter":
        text = f"regexp_replace({text}, '[^[:alnum:]]+', ' ', 'g')"
    return [
        f"DROP INDEX IF EXISTS {table}_search_document",
        f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_document",
        f"ALTER TABLE {table} ADD COLUMN search_document tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('{configuration}'::regconfig, {text})) STORED",
        f"CREATE INDEX {table}_search_document ON {table} USING gin (search_document)",
    ]


def _documents(configuration):
    return [
        *_document("commitments_commitment", ["quote", "summary"], configuration),
        *_document("commitments_thread", ["title", "description"], configuration),
    ]


FORWARD = CONFIGURATION + _documents("commitments_porter")
BACKWARD = _documents("english") + DROP_CONFIGURATION


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0003_suggestions"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
