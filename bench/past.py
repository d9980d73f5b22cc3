"""The benchmark's as-of page: a pledge's story as it stood at a moment, against the same historical rows read raw.

`generate_demo` writes one version per record. `with_versions()` gives every record on one pledge's
page (the pledge, its line of effort, entries, commitments, statements, meetings and assessments) ten
more, five before the moment measured and five after, so the page reads the past through a history
of eleven versions per record: the figure shows that reading the past costs what reading the present
does, over the same rows.
"""

import datetime

VERSIONS = 10


def _page_models():
    from commitments.models import Assessment, Commitment, LineOfEffort, Thread, ThreadEntry
    from meetings.models import Meeting, Statement

    return [Thread, LineOfEffort, ThreadEntry, Commitment, Statement, Meeting, Assessment]


def with_versions(thread, versions=VERSIONS):
    """Write `versions` more versions of every record on `thread`'s page, a millisecond apart after the newest
    there is; the moment halfway through them, to read the page at."""
    from commitments.models import Assessment, Commitment, LineOfEffort, Thread, ThreadEntry
    from meetings.models import Meeting, Statement

    entries = list(ThreadEntry.objects.filter(thread=thread).values_list("pk", "commitment_id"))
    commitments = list(Commitment.objects.filter(pk__in=[c for _, c in entries]).values_list("pk", "statement_id"))
    statements = list(Statement.objects.filter(pk__in=[s for _, s in commitments]).values_list("pk", "meeting_id"))
    keys = {
        Thread: [thread.pk],
        LineOfEffort: [thread.line_of_effort_id],
        ThreadEntry: [pk for pk, _ in entries],
        Commitment: [pk for pk, _ in commitments],
        Statement: [pk for pk, _ in statements],
        Meeting: [m for _, m in statements],
        Assessment: list(
            Assessment.objects.filter(commitment_id__in=[c for _, c in entries]).values_list("pk", flat=True)
        ),
    }
    newest = {}
    for model, ids in keys.items():
        for row in model.history.model.objects.filter(id__in=ids).order_by("id", "history_date", "history_id"):
            newest[(model, row.id)] = row
    base = max(row.history_date for row in newest.values())
    for model in keys:
        copies = []
        for (owner, _), row in newest.items():
            if owner is not model:
                continue
            for n in range(1, versions + 1):
                copy = _copy(row)
                copy.history_date = base + datetime.timedelta(milliseconds=n)
                copies.append(copy)
        model.history.model.objects.bulk_create(copies)
    return base + datetime.timedelta(milliseconds=versions / 2 + 0.5)


def _copy(row):
    copy = type(row)(**{f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields})
    copy.history_id = None
    copy.history_type = "~"
    return copy


def raw_pledge_as_of(slug, moment):
    """What a pledge's page as of `moment` shows, its first page, read raw: the same historical rows
    (`core.as_of.standing`, `.values()`), the word differences computed as the page computes them, dumped
    with orjson. Every entry's commitment, statement and meeting of then are read, as the page reads them:
    which entries a reader could read then (and so which are the page's) depends on them; the page's
    steps and their assessments only are computed and read."""
    from bench.baselines import dumps
    from commitments.models import (
        STORY_COMMITMENT_FIELDS,
        Assessment,
        Commitment,
        LineOfEffort,
        ReviewState,
        Thread,
        ThreadEntry,
        suggest_change_kind,
    )
    from commitments.timeline import TIMELINE_PAGE_SIZE
    from commitments.wording import compare
    from core.as_of import standing
    from meetings.models import Meeting, Statement

    (head,) = (
        standing(Thread, moment).filter(slug=slug).values("id", "slug", "title", "description", "line_of_effort_id")
    )
    line = list(standing(LineOfEffort, moment).filter(id=head["line_of_effort_id"]).values("slug", "name"))
    entries = list(
        standing(ThreadEntry, moment)
        .filter(thread_id=head["id"])
        .order_by("position")
        .values("position", "change_kind", "note", "commitment_id")
    )
    ids = [entry["commitment_id"] for entry in entries]
    fields = [name for name in STORY_COMMITMENT_FIELDS if name != "statement"]
    commitments = {
        row["id"]: row for row in standing(Commitment, moment).filter(id__in=ids).values("id", "statement_id", *fields)
    }
    statements = {
        row["id"]: row
        for row in standing(Statement, moment)
        .filter(id__in={c["statement_id"] for c in commitments.values()})
        .values("id", "slug", "title", "sha256", "meeting_id", "draft")
    }
    meetings = list(
        standing(Meeting, moment)
        .filter(id__in={s["meeting_id"] for s in statements.values()})
        .values("id", "slug", "name", "city", "start_date", "end_date", "date_precision", "draft")
    )
    page = entries[:TIMELINE_PAGE_SIZE]
    assessments = list(
        standing(Assessment, moment)
        .filter(commitment_id__in=[entry["commitment_id"] for entry in page], review_state=ReviewState.APPROVED)
        .values("id", "commitment_id", "assessed_on", "status", "funding_stage", "note", "assessor", "evidence_url")
    )
    previous = None
    for entry in page:
        commitment = commitments[entry["commitment_id"]]
        quote, strength = commitment["quote"], commitment["strength"]
        runs = compare(previous[0], quote)[0] if previous else []
        entry["diff"] = [run.as_dict() for run in runs]
        entry["suggested"] = suggest_change_kind(*(previous or (None, None)), quote, strength, diff=runs)
        previous = (quote, strength)
    return dumps(
        {
            "thread": head,
            "line": line,
            "count": len(entries),
            "timeline": page,
            "commitments": [commitments[entry["commitment_id"]] for entry in page],
            "statements": list(statements.values()),
            "meetings": meetings,
            "assessments": assessments,
        }
    )
