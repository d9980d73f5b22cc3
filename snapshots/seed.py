"""Build the seed fixture from the curation files and the verbatim source statements.

The curation files (`fixtures/curation/`) hold quotes, never offsets; this module finds
each quote in its statement, computes offsets, SHA-256 digests and thread positions, and
returns a Django fixture with natural keys that `loaddata` reads into an empty database.
"""

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from changes.recording import record_reset
from commitments.models import AssessmentCycle, ChangeKind, Commitment, LineOfEffort, Strength, Thread
from commitments.rules import PlacedEntry, order_problems
from core.spans import locate_quote
from core.texts import read_statement_file, sha256_hex
from meetings.models import (
    DatePrecision,
    FactsBasis,
    Figure,
    FigureMetric,
    Meeting,
    MeetingFormat,
    Member,
    MemberKind,
    MoneyStage,
    Participation,
    ParticipationRole,
    Qualifier,
    Statement,
    StatementKind,
)

from .records import curated_models
from .seed_follow_through import FOLLOW_THROUGH, VOCABULARY, FollowThroughBuilder, _date

# libyaml's safe loader where PyYAML was built with it (ten times faster), the pure-Python one else.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The keys each kind of entry may have: anything else is a typo, or a YAML flow mapping
# split at a comma ({name: a, b}), and would otherwise be dropped without a word.
QUOTE_COMPUTED = ("statement", "start", "end")
ALLOWED_KEYS = {
    "vocabulary": {"meetings", "statements", "lines_of_effort", "threads", "members"},
    "statement file": {"statement", "note", "commitments", "figures", "participation", "proposed_threads"},
    "meeting": set(Meeting.CURATED_FIELDS),
    # The text is read from the source file the entry names.
    "statement": set(Statement.CURATED_FIELDS) - {"text"},
    "line of effort": set(LineOfEffort.CURATED_FIELDS),
    # `_from`: set by the builder on a pledge proposed in a statement file, to name that file in messages.
    "thread": {*Thread.CURATED_FIELDS, "_from"},
    "member": set(Member.CURATED_FIELDS),
    # Quoted records' curated fields, less what the builder computes (statement, offsets, the meeting
    # of the file), plus a commitment's threads.
    "commitment": {*Commitment.curated_fields(without=QUOTE_COMPUTED), "threads"},
    "thread link": {"thread", "change", "note"},
    "figure": set(Figure.curated_fields(without=QUOTE_COMPUTED)),
    "participation": set(Participation.curated_fields(without=(*QUOTE_COMPUTED, "meeting"))),
    "follow-through file": {"scale", "cycles", "assessments"},
    "cycle": set(AssessmentCycle.CURATED_FIELDS),
    "assessment": {"commitment", "cycle", "assessed_on", "verdict", "evidence", "members", "money", "note"},
    "member score": {"member", "score", "relied_on", "statement", "quote"},
    "money stage": {"stage", "amount", "statement", "quote", "relied_on"},
    "evidence": {"statement", "quote", "self_reported", "relied_on"},
}


class SeedError(Exception):
    """The curation files do not make a valid seed; `problems` lists every reason."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


def _decimal(value):
    if value in (None, ""):
        return None
    return str(Decimal(str(value)))


class _Builder(FollowThroughBuilder):
    def __init__(self, curation_dir, sources_dir):
        self.curation_dir = Path(curation_dir)
        self.sources_dir = Path(sources_dir)
        self.problems = []
        self.slugs = {}

    def problem(self, where, message):
        self.problems.append(f"{where}: {message}")

    def known_keys(self, where, kind, item):
        if not isinstance(item, dict):
            self.problem(where, f"a {kind} entry must be a mapping, not {item!r}")
            return
        unknown = sorted(set(item) - ALLOWED_KEYS[kind])
        if unknown:
            self.problem(where, f"unknown {kind} key(s) {', '.join(map(repr, unknown))}")

    def choice(self, where, field, value, choices):
        if value not in choices.values:
            self.problem(where, f"{field} {value!r} is not one of {', '.join(choices.values)}")

    def unique_slug(self, where, kind, slug):
        if not slug:
            self.problem(where, f"a {kind} has no slug")
        elif (kind, slug) in self.slugs:
            self.problem(where, f"{kind} slug {slug!r} is also used in {self.slugs[kind, slug]}")
        else:
            self.slugs[kind, slug] = where

    def load_yaml(self, path):
        try:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}  # noqa: S506 - a safe loader
        except (OSError, yaml.YAMLError) as exc:
            raise SeedError([f"{path.name}: cannot be read as YAML: {exc}"]) from None

    def build(self):
        vocabulary = self.load_yaml(self.curation_dir / VOCABULARY)
        statement_files = sorted(
            p for p in self.curation_dir.glob("*.yaml") if p.name not in (VOCABULARY, FOLLOW_THROUGH)
        )
        curated = [(path.name, self.load_yaml(path)) for path in statement_files]
        self.known_keys(VOCABULARY, "vocabulary", vocabulary)
        for name, data in curated:
            self.known_keys(name, "statement file", data)
        file_notes = {data.get("statement"): data.get("note") or "" for _, data in curated}
        # Records in meeting order, so that a fresh database numbers them in that order too.
        statement_order = [item.get("slug") for item in vocabulary.get("statements", [])]
        curated.sort(
            key=lambda pair: (
                statement_order.index(pair[1].get("statement"))
                if pair[1].get("statement") in statement_order
                else len(statement_order)
            )
        )

        lines = [self.line_of_effort(item) for item in vocabulary.get("lines_of_effort", [])]
        meetings = {item["slug"]: item for item in vocabulary.get("meetings", [])}
        meeting_records = [self.meeting(item) for item in meetings.values()]
        statements, texts = {}, {}
        statement_records = []
        for item in vocabulary.get("statements", []):
            record = self.statement(item, meetings, file_notes.get(item.get("slug"), ""))
            if record:
                statements[item["slug"]] = item
                texts[item["slug"]] = record["fields"]["text"]
                statement_records.append(record)
        members = {item["slug"] for item in vocabulary.get("members", [])}
        member_records = [self.member(item) for item in vocabulary.get("members", [])]
        line_slugs = {item["slug"] for item in vocabulary.get("lines_of_effort", [])}

        thread_items = list(vocabulary.get("threads", []))
        for name, data in curated:
            thread_items.extend(dict(item, _from=name) for item in data.get("proposed_threads") or [])
        thread_records = [self.thread(item, line_slugs) for item in thread_items]
        thread_slugs = {item["slug"] for item in thread_items}

        participation, figures, commitments, entries = [], [], [], []
        for name, data in curated:
            slug = data.get("statement")
            if slug not in statements:
                self.problem(name, f"statement {slug!r} is not in {VOCABULARY}")
                continue
            meeting = statements[slug]["meeting"]
            text = texts[slug]
            for item in data.get("participation") or []:
                participation.append(self.participation(name, item, slug, meeting, text, members))
            for item in data.get("figures") or []:
                figures.append(self.figure(name, item, slug, text))
            for item in data.get("commitments") or []:
                record = self.commitment(name, item, slug, text, line_slugs)
                commitments.append(record)
                sort_key = (
                    meetings[meeting]["start_date"],
                    statements[slug].get("position", 1),
                    record["fields"]["start"],
                )
                for link in item.get("threads") or []:
                    where = f"{name} {item.get('slug')}"
                    self.known_keys(where, "thread link", link)
                    if link.get("thread") not in thread_slugs:
                        self.problem(where, f"thread {link.get('thread')!r} is not defined")
                    self.choice(where, "change", link.get("change"), ChangeKind)
                    entries.append((link.get("thread"), sort_key, item.get("slug"), link))
        entry_records = self.thread_entries(entries)
        commitment_meetings = {
            item.get("slug"): statements[data.get("statement")]["meeting"]
            for _, data in curated
            if data.get("statement") in statements
            for item in data.get("commitments") or []
        }
        amounts = {record["fields"]["slug"]: record["fields"]["amount"] for record in commitments}
        follow_through = self.follow_through(meetings, statements, texts, commitment_meetings, participation, amounts)

        if self.problems:
            raise SeedError(self.problems)
        return [
            *lines,
            *meeting_records,
            *statement_records,
            *member_records,
            *participation,
            *figures,
            *thread_records,
            *commitments,
            *entry_records,
            *follow_through,
        ]

    def line_of_effort(self, item):
        self.known_keys(f"{VOCABULARY} line of effort {item.get('slug')}", "line of effort", item)
        self.unique_slug(VOCABULARY, "line of effort", item.get("slug"))
        return {
            "model": "commitments.lineofeffort",
            "fields": {
                "slug": item["slug"],
                "name": item["name"],
                "position": item["position"],
                "description": item.get("description", ""),
            },
        }

    def meeting(self, item):
        where = f"{VOCABULARY} meeting {item.get('slug')}"
        self.known_keys(where, "meeting", item)
        self.unique_slug(VOCABULARY, "meeting", item.get("slug"))
        self.choice(where, "format", item.get("format"), MeetingFormat)
        self.choice(where, "date_precision", item.get("date_precision"), DatePrecision)
        self.choice(where, "facts_basis", item.get("facts_basis"), FactsBasis)
        return {
            "model": "meetings.meeting",
            "fields": {
                "slug": item["slug"],
                "name": item["name"],
                "format": item["format"],
                "city": item["city"],
                "country": item["country"],
                "start_date": _date(item["start_date"]),
                "end_date": _date(item["end_date"]),
                "date_precision": item["date_precision"],
                "facts_basis": item["facts_basis"],
                "provenance_note": item.get("provenance_note", ""),
            },
        }

    def statement(self, item, meetings, file_note):
        where = f"{VOCABULARY} statement {item.get('slug')}"
        self.known_keys(where, "statement", item)
        self.unique_slug(VOCABULARY, "statement", item.get("slug"))
        if item.get("meeting") not in meetings:
            self.problem(where, f"meeting {item.get('meeting')!r} is not defined")
        self.choice(where, "kind", item.get("kind"), StatementKind)
        self.choice(where, "issued_on_basis", item.get("issued_on_basis"), FactsBasis)
        try:
            text = read_statement_file(self.sources_dir / item["source_file"])
        except (OSError, ValueError) as exc:
            self.problem(where, str(exc))
            return None
        return {
            "model": "meetings.statement",
            "fields": {
                "slug": item["slug"],
                "meeting": [item["meeting"]],
                "position": item.get("position", 1),
                "kind": item["kind"],
                "title": item["title"],
                "issuer": item["issuer"],
                "publisher": item.get("publisher", ""),
                "source_url": item.get("source_url", ""),
                "source_file": item["source_file"],
                "issued_on": _date(item.get("issued_on")),
                "issued_on_basis": item["issued_on_basis"],
                # The vocabulary's note on the capture, then the curator's reading of the whole text.
                "note": "\n\n".join(note for note in (item.get("note", ""), file_note) if note),
                "text": text,
                "sha256": sha256_hex(text),
            },
        }

    def member(self, item):
        self.known_keys(f"{VOCABULARY} member {item.get('slug')}", "member", item)
        self.unique_slug(VOCABULARY, "member", item.get("slug"))
        self.choice(f"{VOCABULARY} member {item.get('slug')}", "kind", item.get("kind"), MemberKind)
        return {
            "model": "meetings.member",
            "fields": {"slug": item["slug"], "name": item["name"], "kind": item["kind"]},
        }

    def thread(self, item, line_slugs):
        where = item.get("_from", VOCABULARY)
        self.known_keys(f"{where} thread {item.get('slug')}", "thread", item)
        self.unique_slug(where, "thread", item.get("slug"))
        if item.get("line_of_effort") not in line_slugs:
            self.problem(
                f"{where} thread {item.get('slug')}", f"line of effort {item.get('line_of_effort')!r} is not defined"
            )
        return {
            "model": "commitments.thread",
            "fields": {
                "slug": item["slug"],
                "title": item["title"],
                "description": item.get("description", ""),
                "line_of_effort": [item.get("line_of_effort")],
            },
        }

    def span(self, where, text, quote):
        try:
            return locate_quote(text, quote or "")
        except ValueError as exc:
            self.problem(where, f"quote {exc}: {str(quote)[:80]!r}")
            return 0, 0

    def participation(self, name, item, statement, meeting, text, members):
        where = f"{name} participation {item.get('member')}"
        self.known_keys(where, "participation", item)
        if item.get("member") not in members:
            self.problem(where, f"member {item.get('member')!r} is not in {VOCABULARY}")
        self.choice(where, "role", item.get("role"), ParticipationRole)
        quote = item.get("quote") or ""
        start, end = self.span(where, text, quote) if quote else (None, None)
        return {
            "model": "meetings.participation",
            "fields": {
                "meeting": [meeting],
                "member": [item.get("member")],
                "role": item.get("role"),
                # Without a quote, this text is not the source of the fact: the note says what is.
                "statement": [statement] if quote else None,
                "start": start,
                "end": end,
                "quote": quote,
                "note": item.get("note") or "",
            },
        }

    def figure(self, name, item, statement, text):
        where = f"{name} figure {item.get('slug')}"
        self.known_keys(where, "figure", item)
        self.unique_slug(name, "figure", item.get("slug"))
        self.choice(where, "metric", item.get("metric"), FigureMetric)
        self.choice(where, "qualifier", item.get("qualifier"), Qualifier)
        start, end = self.span(where, text, item.get("quote"))
        if item.get("stage"):
            self.choice(where, "stage", item.get("stage"), MoneyStage)
            if item.get("metric") != FigureMetric.FUNDS:
                self.problem(where, "stage is for a sum of money only (metric: funds)")
        try:
            about_from, about_to = _date(item.get("about_from")), _date(item.get("about_to"))
        except ValueError as exc:
            self.problem(where, str(exc))
            about_from = about_to = None
        if about_from and about_to and about_to < about_from:
            self.problem(where, "about_to is before about_from")
        try:
            value = _decimal(item.get("value"))
        except InvalidOperation:
            self.problem(where, f"value {item.get('value')!r} is not a number")
            value = None
        return {
            "model": "meetings.figure",
            "fields": {
                "slug": item.get("slug"),
                "statement": [statement],
                "start": start,
                "end": end,
                "quote": item.get("quote"),
                "metric": item.get("metric"),
                "value": value,
                "unit": item.get("unit") or "",
                "qualifier": item.get("qualifier"),
                "stage": item.get("stage") or "",
                "about_from": about_from,
                "about_to": about_to,
                "note": item.get("note") or "",
            },
        }

    def commitment(self, name, item, statement, text, line_slugs):
        where = f"{name} commitment {item.get('slug')}"
        self.known_keys(where, "commitment", item)
        self.unique_slug(name, "commitment", item.get("slug"))
        self.choice(where, "strength", item.get("strength"), Strength)
        if item.get("line_of_effort") not in line_slugs:
            self.problem(where, f"line of effort {item.get('line_of_effort')!r} is not defined")
        start, end = self.span(where, text, item.get("quote"))
        try:
            deadline = _date(item.get("deadline"))
            amount = _decimal(item.get("amount"))
        except (ValueError, InvalidOperation) as exc:
            self.problem(where, str(exc))
            deadline = amount = None
        computed = {
            "statement": [statement],
            "start": start,
            "end": end,
            "line_of_effort": [item.get("line_of_effort")],
            "assessable": bool(item.get("assessable", True)),
            "deadline": deadline,
            "amount": amount,
        }
        return {
            "model": "commitments.commitment",
            "fields": {
                name: computed[name] if name in computed else item.get(name) or "" for name in Commitment.CURATED_FIELDS
            },
        }

    def thread_entries(self, entries):
        """Entries numbered 1..n within each thread in meeting order, checked by the threads' rules."""
        records = []
        by_thread = {}
        for thread, sort_key, commitment, link in entries:
            by_thread.setdefault(thread, []).append((sort_key, commitment, link))
        for thread in sorted(by_thread, key=str):
            ordered = sorted(by_thread[thread], key=lambda e: (str(e[0][0]), e[0][1], e[0][2]))
            placed = [
                PlacedEntry(commitment, position, link.get("change"), (str(key[0]), key[1], key[2]))
                for position, (key, commitment, link) in enumerate(ordered, start=1)
            ]
            for problem in order_problems(thread, placed):
                self.problem(f"thread {thread}", problem)
            for position, (_, commitment, link) in enumerate(ordered, start=1):
                records.append(
                    {
                        "model": "commitments.threadentry",
                        "fields": {
                            "thread": [thread],
                            "commitment": [commitment],
                            "position": position,
                            "change_kind": link.get("change"),
                            "note": link.get("note") or "",
                        },
                    }
                )
        return records


def build_seed(curation_dir, sources_dir):
    """The seed fixture's records, built from the curation files; raises SeedError listing every problem."""
    return _Builder(curation_dir, sources_dir).build()


def render_fixture(records):
    """The fixture as the bytes written to disk: stable, readable JSON."""
    return (json.dumps(records, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def count_by_model(records):
    counts = {}
    for record in records:
        counts[record["model"]] = counts.get(record["model"], 0) + 1
    return counts


# Who loaded a seeded record, in its first history row: no user did.
SEED_CHANGE_REASON = "Loaded from the seed fixture"


@transaction.atomic
def load_seed(path, verbosity=0):
    """Load the seed fixture into the database, each record with a first history row; returns {label: count}.

    `loaddata` saves rows raw, which simple-history does not record, so a seeded record would say
    it has no history. Each gets its "+" row here: no user, the change reason naming the seed,
    dated at the load. All of it or nothing.
    """
    call_command("loaddata", str(path), verbosity=verbosity)
    loaded_at = timezone.now()
    counts = {}
    for model in curated_models():
        records = list(model._default_manager.order_by("pk"))
        model.history.bulk_history_create(records, default_change_reason=SEED_CHANGE_REASON, default_date=loaded_at)
        counts[model._meta.label_lower] = len(records)
    # Their history rows are written in bulk, with no change each: one `reset` in the change feed.
    record_reset("Loaded from the seed fixture")
    return counts
