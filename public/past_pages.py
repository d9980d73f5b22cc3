"""The public pages as they stood at a moment (`?as_of=`, `public.as_of`): what `public.views` answers when
a reader asks for the past. Each reads the record of then through `commitments.past` (itself through
`core.as_of`) in a fixed number of queries, and renders today's template marked as a past state.
"""

from urllib.parse import urlencode

from django.shortcuts import render

from commitments.models import Commitment, Thread
from commitments.past import commitment_as_of, meeting_page_as_of, pledge_as_of, statement_page_as_of
from commitments.pledge_links import SEEN_KINDS
from commitments.timeline import TIMELINE_PAGE_SIZE
from meetings.models import Meeting, Statement

from . import as_of
from .fragments import follow_through, quoted_commitments, statement_text, timeline_steps
from .highlight import quote_in_context
from .links import DataLink, api_url
from .paging import paginate_known
from .trajectory import trajectory_line


def pledge(request, slug, moment):
    """A recurring pledge's story as it stood at `moment` (`commitments.past`): its commitments then, in
    their order and with their change kinds, quotes, wording differences and latest approved assessments
    of then, marked as a past state, paged as today's page is (`?page=N` beside `as_of`). Its verdict's
    course and money are left out (today's page has them), and so are the links the curators' notes make
    to the records they name: a past page shows nothing of the present. Its links to other pledges are
    those of then. Eight queries, nine when it has links."""
    past = pledge_as_of(slug, moment)
    if past is None:
        return as_of.absent(request, "recurring pledge", Thread, moment)
    thread, state = past.thread, as_of.past_state(request, moment)
    # Its pages keep the moment: a page's links are to the same story as it stood then.
    pager = paginate_known(
        len(past.entries),
        TIMELINE_PAGE_SIZE,
        request.GET.get("page"),
        past.steps,
        url=request.path,
        params={"as_of": state.stamp},
        label="its commitments",
    )
    steps = pager.page.object_list
    # Its meetings are linked as of the same moment: their pages read it too.
    dated_query = f"?{urlencode({'as_of': state.stamp})}"
    context = {
        "thread": thread,
        "steps": steps,
        "pager": pager,
        "on_page": {step.entry.commitment_id for step in steps},
        "timeline": timeline_steps(
            steps, past.latest(steps), f"{request.scheme}://{request.get_host()}", query=dated_query
        ),
        "meetings": past.meetings_in_order(steps),
        "meeting_count": len(past.meetings_in_order()),
        "links": past.links,
        "link_kinds": SEEN_KINDS,
        "past": state,
        "dated": None,
        "trajectory": trajectory_line(steps, opens=pager.page.number == 1, closes=not pager.page.has_next()),
        "followed": None,
        "money": None,
        "data_links": [
            DataLink(
                "This pledge's timeline as it stood then",
                api_url("thread-detail", thread.slug, as_of=state.stamp),
            ),
        ],
    }
    return render(request, "public/pledge.html", context)


def commitment(request, slug, moment):
    """A commitment as it stood at `moment` (`commitments.past`): filed, placed in pledges and assessed as it
    was then, marked as a past state; the curator's note without links to the records it names (those
    would be today's). Seven queries."""
    past = commitment_as_of(slug, moment)
    if past is None:
        return as_of.absent(request, "commitment", Commitment, moment)
    commitment, state = past.commitment, as_of.past_state(request, moment)
    statement = commitment.statement
    context = {
        "commitment": commitment,
        "statement": statement,
        "meeting": statement.meeting,
        "passage": quote_in_context(statement.text, commitment.start, commitment.end),
        "named": {},
        "quote_matches": commitment.quote_matches(),
        "places": [
            {
                "thread__slug": entry.thread.slug,
                "thread__title": entry.thread.title,
                "position": entry.position,
                "change_kind": entry.change_kind,
            }
            for entry in past.places
        ],
        "facts": follow_through(commitment, past.latest),
        "data_links": [
            DataLink("This commitment as it stood then", api_url("commitment-detail", slug, as_of=state.stamp))
        ],
        "past": state,
        "dated": None,
    }
    return render(request, "public/commitment.html", context)


def meeting(request, slug, moment):
    """A meeting's page as it stood at `moment` (`commitments.past`): its facts, published statements (with
    their counts), who took part as each source said and the pledges made there, all as of then, marked as a
    past state; notes without links to the records they name. Twelve queries."""
    past = meeting_page_as_of(slug, moment)
    if past is None:
        return as_of.absent(request, "meeting", Meeting, moment)
    state = as_of.past_state(request, moment)
    groups = {}
    for row in past.pledge_rows:
        groups.setdefault(row["thread__slug"], []).append(row)
    context = {
        "meeting": past.meeting,
        "named": {},
        "statements": past.statements,
        "participants": past.participants,
        "pledges": [(group[0], group) for group in groups.values()],
        "data_links": [DataLink("This meeting as it stood then", api_url("meeting-detail", slug, as_of=state.stamp))],
        "past": state,
        "dated": None,
    }
    return render(request, "public/meeting.html", context)


def statement(request, slug, moment):
    """A statement's page as it stood at `moment` (`commitments.past`): its text then with the commitments,
    figures and participation records quoting it then marked, each commitment filed, placed and assessed as
    it was then (linked as of the same moment), marked as a past state; notes without links to the records
    they name. Ten queries."""
    past = statement_page_as_of(slug, moment)
    if past is None:
        return as_of.absent(request, "statement", Statement, moment)
    statement, state = past.statement, as_of.past_state(request, moment)
    query = f"?{urlencode({'as_of': state.stamp})}"
    context = {
        "statement": statement,
        "meeting": statement.meeting,
        "text": statement_text(statement, past.commitments, past.figures, past.participations),
        "digest_matches": statement.text_matches_digest(),
        "commitments": past.commitments,
        "commitment_items": quoted_commitments(past.commitments, past.places, query),
        "named": {},
        "figures": past.figures,
        "participations": past.participations,
        "data_links": [
            DataLink("This statement as it stood then", api_url("statement-detail", slug, as_of=state.stamp))
        ],
        "query": query,
        "past": state,
        "dated": None,
    }
    return render(request, "public/statement.html", context)
