"""Markup of the public pages' longest lists, written in Python rather than in their templates.

A template engine spends about a microsecond on each value it prints: a statement's list of its
hundred commitments prints a thousand, a pledge's timeline fifty for each of its steps. Written
here, each costs a third of that, which keeps the pages within twice the time of reading their
data (`make bench`). The templates say where each list goes.
"""

from html import escape

from django.template.defaultfilters import floatformat
from markupsafe import Markup

from commitments.models import ImplementationStatus, Strength
from core.marking import word_diff_html

from .display import CHANGE_MARKUP, change_kind, linked_note, long_date, note_text
from .highlight import Span, highlighted_text
from .links import Route, card_in_pledge

# Labels by value, looked up for every item (a value that is none of them is shown as it is).
STRENGTHS = dict(Strength.choices)
STATUSES = dict(ImplementationStatus.choices)


def statement_text(statement, commitments, figures, participations):
    """A statement's verbatim text with every quoted span marked: its commitments (`rows_quoting()` rows), figures
    and participation records, each marked as the list item its anchor names."""
    spans = [Span(c["start"], c["end"], "commitment", f"c-{c['slug']}") for c in commitments]
    spans += [Span(f.start, f.end, "figure", f"f-{f.slug}") for f in figures]
    spans += [Span(p.start, p.end, "participation", f"p-{p.member.slug}-{p.role}") for p in participations]
    return highlighted_text(statement.text, spans)


def quoted_commitments(commitments, places, query=""):
    """A statement's commitments as list items: summary, where the text quotes it, how it is filed, its
    latest status and its places in recurring pledges.

    `commitments` are `Commitment.objects.rows_quoting()` rows; `places` is `ThreadEntry.objects.places_for()`;
    `query` follows each commitment's and pledge's address (`?as_of=…` on a page as of a date).
    """
    pledge_url, commitment_url = Route("public:pledge"), Route("public:commitment")
    items = []
    for commitment in commitments:
        slug = escape(commitment["slug"])
        href = escape(commitment_url(commitment["slug"]) + query)
        status = STATUSES.get(commitment["latest_status"], commitment["latest_status"])
        items.append(
            f'<li id="c-{slug}">\n'
            f'<p><strong><a href="{href}">{escape(commitment["summary"])}</a>'
            f'</strong> <a href="#text-c-{slug}">In the text, characters '
            f"{commitment['start']}–{commitment['end']}</a> {_permalink('text-c-' + slug)}</p>\n"
            f'<p class="meta">{escape(commitment["line_of_effort__name"])} · '
            f"{escape(STRENGTHS.get(commitment['strength'], commitment['strength']))} · "
            f"actor: {escape(commitment['actor'])} · "
            f"latest status: {escape(status.lower())}</p>\n"
        )
        entries = places.get(commitment["id"])
        if entries:
            items.append('<ul class="places">\n')
            for entry in entries:
                kind = entry["change_kind"]
                items.append(
                    f'<li>Recurring pledge <a href="'
                    f'{escape(pledge_url(entry["thread__slug"]) + card_in_pledge(entry["position"], slug, query))}">'
                    f"{escape(entry['thread__title'])}</a>, no. {entry['position']}: "
                    f'<span class="kind kind-{escape(kind)}">{CHANGE_MARKUP[kind]}</span></li>\n'
                )
            items.append("</ul>\n")
        items.append("</li>\n")
    return Markup("".join(items))  # noqa: S704 - every value is escaped above


def _permalink(anchor):
    """A quote's own address on the page, to copy: a plain link to its anchor (no script needed), "#" to the
    eye and "Link to this quote" to a screen reader. `anchor` is escaped already."""
    return f'<a class="permalink" href="#{anchor}" aria-label="Link to this quote">#</a>'


def timeline_steps(steps, latest, origin, named=None, query=""):
    """A pledge's commitments as the items of its timeline, in position order: where and when each was made,
    its change kind and strength, the exact quote with where it stands in its statement, the curator's
    notes, deadline and money, the latest assessment, and its wording against the one before.

    `steps` are `TimelineStep`s, `latest` is `Assessment.objects.latest_of()` for their commitments (None
    to leave assessments out) and
    `origin` the site's scheme and host, for each quote's `cite` address; `named` the records the curators'
    notes name (`display.named_records`), linked in them; `query` follows each meeting's and statement's address
    (`?as_of=…` on a page as of a date, whose meetings and statements are linked as of the same moment).
    """
    meeting_url, statement_url = Route("public:meeting"), Route("public:statement", query)
    commitment_url = Route("public:commitment")
    items = []
    for index, step in enumerate(steps):
        entry = step.entry
        commitment = entry.commitment
        statement = commitment.statement
        meeting = statement.meeting
        slug, here = escape(commitment.slug), escape(statement_url(statement.slug))
        meeting_href = escape(meeting_url(meeting.slug) + query)
        strength = STRENGTHS.get(commitment.strength, commitment.strength)
        items.append(
            f"""<li>
<article class="step" id="c-{slug}" aria-labelledby="h-{slug}">
<header>
<h2 id="h-{slug}"><span class="position">{entry.position}.</span> <a href="{meeting_href}">\
{escape(meeting.short_name())}</a>: <a href="{here}">{escape(statement.title)}</a></h2>
<p class="step-meta"><span class="kind kind-{escape(entry.change_kind)}">{change_kind(entry.change_kind)}</span> \
<span>{escape(strength)}</span> <span>{escape(meeting.date_label())}</span></p>
</header>
<blockquote class="quote" cite="{escape(origin)}{here}#text-c-{slug}">
<p>{escape(commitment.display_quote())}</p>
</blockquote>
<p class="quote-source">{_permalink("c-" + slug)} <a href="{here}#text-c-{slug}">The quote in the statement's text</a> \
(characters {commitment.start}–{commitment.end}) · statement SHA-256 \
<code class="digest">{escape(statement.sha256)}</code></p>
<dl class="facts">
<div><dt>In short</dt><dd>{escape(commitment.summary)}</dd></div>
{_notes(step, named or {})}{_deadline_and_money(commitment)}{_latest(latest, commitment)}</dl>
{_wording(step, _previous_href(step, index, commitment_url, query)) if step.previous else ""}</article>
</li>
"""
        )
    return Markup("".join(items))  # noqa: S704 - every value is escaped here or in the helpers below


def _latest(latest, commitment):
    """The commitment's latest assessment as an entry of its <dl>; none where `latest` is None (a page as of
    a date, which leaves assessments to today's page)."""
    if latest is None:
        return ""
    return f"<div><dt>Latest assessment</dt><dd>{_assessment(latest.get(commitment.pk))}</dd></div>\n"


def follow_through(commitment, assessment):
    """A commitment's deadline and money and its latest assessment (or that it is not yet assessed), as
    entries of a <dl>, said as a pledge's timeline says them. `assessment` is its newest or None."""
    return Markup(  # noqa: S704 - escaped in the helpers below
        f"{_deadline_and_money(commitment)}<div><dt>Latest assessment</dt><dd>{_assessment(assessment)}</dd></div>\n"
    )


def _notes(step, named):
    """The curator's words on the step (what changed, or why it opens the pledge) and on the commitment."""
    notes = []
    if step.entry.note:
        said = (
            "What changed, in the curator's words"
            if step.previous
            else "Why it opens the pledge, in the curator's words"
        )
        notes.append(f"<div><dt>{said}</dt><dd>{linked_note(step.entry.note, named)}</dd></div>\n")
    if step.entry.commitment.note:
        notes.append(f"<div><dt>Curator's note</dt><dd>{linked_note(step.entry.commitment.note, named)}</dd></div>\n")
    return "".join(notes)


def _deadline_and_money(commitment):
    if not (commitment.deadline_text or commitment.amount):
        return ""
    money = f"{floatformat(commitment.amount, '-2g')} {escape(commitment.currency)}" if commitment.amount else ""
    said = "; ".join(part for part in (escape(commitment.deadline_text), money) if part)
    return f"<div><dt>Deadline and money</dt><dd>{said}</dd></div>\n"


def _assessment(assessment):
    if assessment is None:
        return "Not yet assessed. (That says nothing about whether the pledge is being acted on.)"
    said = (
        f"<strong>{escape(STATUSES.get(assessment.status, assessment.status))}</strong> as of "
        f"{long_date(assessment.assessed_on)}, assessed by {escape(assessment.assessor)}"
    )
    if assessment.funding_stage:
        said += f"; money {escape(assessment.get_funding_stage_display().lower())}"
    said += "."
    if assessment.note:
        said += f" {escape(note_text(assessment.note))}"
    if assessment.evidence_url:
        said += f' <a href="{escape(assessment.evidence_url)}">Evidence</a>'
    return said


def _previous_href(step, index, commitment_url, query):
    """Where the step's previous commitment is: its card on the page, or its own page for the first step of a
    page of a long pledge's timeline (the previous card is on the page before)."""
    if index == 0 and step.previous is not None:
        return commitment_url(step.previous.commitment.slug) + query
    return f"#c-{step.previous.commitment.slug}" if step.previous is not None else ""


def _wording(step, previous_href):
    """The quote against the previous one: word by word when close, the two side by side when rewritten."""
    commitment, previous = step.entry.commitment, step.previous.commitment
    slug = escape(commitment.slug)
    before = escape(previous.statement.meeting.short_name())
    if step.wording_is_close():
        shown = (
            f'<p class="diff">{word_diff_html(step.diff)}</p>\n'
            '<p class="note">Close wording, word by word: <del>struck through</del> were dropped, '
            "<ins>underlined</ins> were added."
            + (
                " Words the capture ran together are read as the words the other quote has apart, and noted."
                if any(run.joined for run in step.diff)
                else ""
            )
            + "</p>\n"
        )
    else:
        statement = commitment.statement
        shown = f"""<p class="note">Rewritten rather than edited: the two quotes side by side.</p>
<div class="side-by-side">
<figure>
<figcaption>Before: <a href="{escape(previous_href)}">{before}, {escape(previous.statement.title)}</a></figcaption>
<blockquote class="quote"><p>{escape(previous.display_quote())}</p></blockquote>
</figure>
<figure>
<figcaption>Now: {escape(statement.meeting.short_name())}, {escape(statement.title)}</figcaption>
<blockquote class="quote"><p>{escape(commitment.display_quote())}</p></blockquote>
</figure>
</div>
"""
    return f"""<section class="wording" aria-labelledby="w-{slug}">
<h3 id="w-{slug}">Wording against no. {step.previous.position}, the previous commitment ({before})</h3>
{shown}</section>
"""
