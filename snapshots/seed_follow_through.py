"""The seed builder's follow-through: cycles, evidence and approved assessments from
fixtures/curation/follow-through.yaml (see fixtures/curation/README.md), checked as the models check them."""

import datetime

from commitments.choices import VERDICT_STATUS, VERDICTS_WITHOUT_EVIDENCE, ReviewState, Verdict

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

    def follow_through(self, meetings, statements, texts, commitment_meetings):
        """Cycles, evidence (each quote once, however many assessments it supports), approved
        assessments and their evidence rows, from follow-through.yaml (none without the file)."""
        path = self.curation_dir / FOLLOW_THROUGH
        if not path.exists():
            return []
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
        evidence, assessments, links = {}, [], []
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
            if item.get("money"):
                self.problem(where, "money stages are not loaded yet: the models hold none")
            uses = item.get("evidence") or []
            if item.get("verdict") not in VERDICTS_WITHOUT_EVIDENCE and not uses:
                self.problem(where, f"the verdict {item.get('verdict')!r} needs at least one evidence item")
            pledged_at = meetings[commitment_meetings[commitment]]
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
            assessments.append(
                {
                    "model": "commitments.assessment",
                    "fields": {
                        "commitment": [commitment],
                        "assessed_on": assessed_on,
                        "status": VERDICT_STATUS.get(verdict, "not-assessed"),
                        "funding_stage": "",
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
        return [*cycles, *(evidence[slug] for slug in sorted(evidence)), *assessments, *links]
