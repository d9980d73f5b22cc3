"""The seed builder's follow-through: cycles, evidence and approved assessments from
fixtures/curation/follow-through.yaml (see fixtures/curation/README.md), checked as the models check them."""

import datetime
from decimal import Decimal, InvalidOperation

from commitments.assessment_parts import MEMBER_SCORES, PLEDGING_ROLES
from commitments.assessments import furthest_stage
from commitments.choices import VERDICT_STATUS, VERDICTS_WITHOUT_EVIDENCE, FundingStage, ReviewState, Verdict

# The curated follow-through (what later statements say became of earlier pledges): not a statement
# file; read into cycles, evidence and approved assessments (`_Builder.follow_through`).
FOLLOW_THROUGH = "follow-through.yaml"
# Who assessed a seeded assessment. Seeded assessments are approved with `drafted_by` and
# `approved_by` empty: they were curated and reviewed in the repository, not in the tracker.
SEED_ASSESSOR = "Seed curation (fixtures/curation/follow-through.yaml)"

VOCABULARY = "vocabulary.yaml"


def _date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    return datetime.date.fromisoformat(str(value)).isoformat()


class FollowThroughBuilder:
    """What `snapshots.seed._Builder` does with the follow-through file (its `problem`, `known_keys`, `choice`,
    `unique_slug`, `load_yaml` and `curation_dir` are the builder's own)."""

    def follow_through(self, meetings, statements, texts, commitment_meetings, participation=(), amounts=None):
        """Cycles, evidence (each quote once, however many assessments it supports), approved
        assessments with their evidence rows, per-member scores and money stages, from follow-through.yaml
        (none without the file). `participation` are the seed's participation records (who can be scored
        on a meeting's pledges), `amounts` {commitment slug: its amount or None}."""
        path = self.curation_dir / FOLLOW_THROUGH
        if not path.exists():
            return []
        self.pledging = {
            (record["fields"]["meeting"][0], record["fields"]["member"][0])
            for record in participation
            if record["fields"]["role"] in PLEDGING_ROLES
        }
        self.amounts = amounts or {}
        data = self.load_yaml(path)
        self.known_keys(FOLLOW_THROUGH, "follow-through file", data)
        cycles, windows = [], {}
        for item in data.get("cycles") or []:
            where = f"{FOLLOW_THROUGH} cycle {item.get('slug')}"
            self.known_keys(where, "cycle", item)
            self.unique_slug(FOLLOW_THROUGH, "cycle", item.get("slug"))
            ends = [meetings.get(item.get(name)) for name in ("from_meeting", "to_meeting")]
            if None in ends:
                self.problem(where, "from_meeting and to_meeting must be meetings of the vocabulary")
                continue
            windows[item["slug"]] = (_date(ends[0]["start_date"]), _date(ends[1]["end_date"]))
            cycles.append(
                {
                    "model": "commitments.assessmentcycle",
                    "fields": {name: item.get(name) for name in ("slug", "name")}
                    | {name: [item.get(name)] for name in ("from_meeting", "to_meeting")},
                }
            )
        evidence, assessments, links, parts = {}, [], [], []
        for item in data.get("assessments") or []:
            commitment, cycle = item.get("commitment"), item.get("cycle")
            where = f"{FOLLOW_THROUGH} assessment {commitment} in {cycle}"
            self.known_keys(where, "assessment", item)
            self.choice(where, "verdict", item.get("verdict"), Verdict)
            if commitment not in commitment_meetings:
                self.problem(where, f"commitment {commitment!r} is not curated")
                continue
            if cycle not in windows:
                self.problem(where, f"cycle {cycle!r} is not defined")
                continue
            try:
                assessed_on = _date(item.get("assessed_on"))
            except ValueError as exc:
                self.problem(where, str(exc))
                continue
            first, last = windows[cycle]
            if not assessed_on or not first <= assessed_on <= last:
                self.problem(where, f"assessed_on {assessed_on} is outside the cycle ({first} to {last})")
            uses = item.get("evidence") or []
            if item.get("verdict") not in VERDICTS_WITHOUT_EVIDENCE and not uses:
                self.problem(where, f"the verdict {item.get('verdict')!r} needs at least one evidence item")
            pledged_at = meetings[commitment_meetings[commitment]]
            used = set()
            for use in uses:
                self.known_keys(where, "evidence", use)
                statement = use.get("statement")
                if statement not in texts:
                    self.problem(where, f"evidence statement {statement!r} is not in {VOCABULARY}")
                    continue
                source = meetings[statements[statement]["meeting"]]
                if source is pledged_at or _date(source["start_date"]) < _date(pledged_at["start_date"]):
                    self.problem(where, f"evidence from {statement} is not from a meeting after the pledge's")
                start, end = self.span(where, texts[statement], use.get("quote"))
                slug = f"{statement}-{start}-{end}"
                used.add(slug)
                if slug in evidence and evidence[slug]["fields"]["self_reported"] != bool(use.get("self_reported")):
                    self.problem(where, f"evidence {slug} is said both self-reported and not")
                evidence.setdefault(
                    slug,
                    {
                        "model": "commitments.evidence",
                        "fields": {
                            "slug": slug,
                            "statement": [statement],
                            "start": start,
                            "end": end,
                            "quote": texts[statement][start:end],
                            "url": "",
                            "title": "",
                            "publisher": "",
                            "published_on": None,
                            "passage": "",
                            "self_reported": bool(use.get("self_reported")),
                            "note": "",
                        },
                    },
                )
                if not str(use.get("relied_on") or "").strip():
                    self.problem(where, f"evidence {slug} says nothing in relied_on")
                links.append(
                    {
                        "model": "commitments.assessmentevidence",
                        "fields": {
                            "assessment": [commitment, assessed_on],
                            "evidence": [slug],
                            "relied_on": str(use.get("relied_on") or "").strip(),
                        },
                    }
                )
            verdict = item.get("verdict")
            key = [commitment, assessed_on]
            parts += self.member_scores(where, item, key, commitment_meetings[commitment], texts, used)
            stages = self.money_stages(where, item, key, texts, used)
            parts += stages
            assessments.append(
                {
                    "model": "commitments.assessment",
                    "fields": {
                        "commitment": [commitment],
                        "assessed_on": assessed_on,
                        "status": VERDICT_STATUS.get(verdict, "not-assessed"),
                        "funding_stage": furthest_stage(row["fields"]["stage"] for row in stages),
                        "evidence_url": "",
                        "note": str(item.get("note") or "").strip(),
                        "assessor": SEED_ASSESSOR,
                        "cycle": [cycle],
                        "verdict": verdict,
                        "supersedes": None,
                        "supersede_reason": "",
                        "review_state": ReviewState.APPROVED.value,
                        "drafted_by": "",
                        "approved_by": "",
                    },
                }
            )
        return [*cycles, *(evidence[slug] for slug in sorted(evidence)), *assessments, *links, *parts]

    def _evidence_slug(self, where, entry, texts, used):
        """The slug of the assessment's own evidence item an entry's `statement` and `quote` name, or None."""
        statement = entry.get("statement")
        if statement not in texts:
            self.problem(where, f"statement {statement!r} is not in {VOCABULARY}")
            return None
        start, end = self.span(where, texts[statement], entry.get("quote"))
        slug = f"{statement}-{start}-{end}"
        if slug not in used:
            self.problem(where, f"the quote must be one of the assessment's own evidence quotes, not {slug}")
            return None
        return slug

    def member_scores(self, where, item, key, meeting, texts, used):
        """An assessment's `members:` as member score records, checked by the model's rules: a member
        that took part in the pledge's meeting (host, member, new member), scored -1, 0 or +1, on what."""
        rows = []
        for entry in item.get("members") or []:
            at = f"{where} member {entry.get('member') if isinstance(entry, dict) else entry}"
            self.known_keys(at, "member score", entry)
            if not isinstance(entry, dict):
                continue
            if (meeting, entry.get("member")) not in self.pledging:
                self.problem(at, f"{entry.get('member')!r} is not recorded as taking part in {meeting}")
            if entry.get("score") not in MEMBER_SCORES or isinstance(entry.get("score"), bool):
                self.problem(at, f"score {entry.get('score')!r} is not -1, 0 or 1")
            if not str(entry.get("relied_on") or "").strip():
                self.problem(at, "relied_on is empty")
            slug = self._evidence_slug(at, entry, texts, used) if entry.get("quote") else None
            fields = {
                "assessment": key,
                "member": [entry.get("member")],
                "score": entry.get("score"),
                "relied_on": str(entry.get("relied_on") or "").strip(),
                "evidence": [slug] if slug else None,
            }
            rows.append({"model": "commitments.memberscore", "fields": fields})
        return rows

    def money_stages(self, where, item, key, texts, used):
        """An assessment's `money:` as money stage records, checked by the model's rules: only for a
        pledge that names an amount, a stage each, never negative, each on one of its evidence quotes."""
        rows, seen = [], set()
        for entry in item.get("money") or []:
            at = f"{where} money {entry.get('stage') if isinstance(entry, dict) else entry}"
            self.known_keys(at, "money stage", entry)
            if not isinstance(entry, dict):
                continue
            if self.amounts.get(key[0]) is None:
                self.problem(at, f"{key[0]} names no amount: only a pledge with an amount has money stages")
            self.choice(at, "stage", entry.get("stage"), FundingStage)
            if entry.get("stage") in seen:
                self.problem(at, "a stage is given once per assessment")
            seen.add(entry.get("stage"))
            try:
                amount = Decimal(str(entry.get("amount")))
                if not amount.is_finite() or amount < 0:
                    raise InvalidOperation
            except InvalidOperation:
                self.problem(at, f"amount {entry.get('amount')!r} is not a number of at least 0")
                amount = Decimal(0)
            if not str(entry.get("relied_on") or "").strip():
                self.problem(at, "relied_on is empty")
            slug = self._evidence_slug(at, entry, texts, used)
            fields = {
                "assessment": key,
                "stage": entry.get("stage"),
                "amount": format(amount.quantize(Decimal("0.01")), "f"),
                "evidence": [slug],
                "relied_on": str(entry.get("relied_on") or "").strip(),
            }
            rows.append({"model": "commitments.moneystage", "fields": fields})
        return rows
