"""The public pages' template engine: Jinja2, with the few Django helpers the pages use.

The pages are Jinja2 templates (`public/jinja2/`) rather than Django templates: a pledge's
timeline, a matrix of pledges by meetings or a statement's quotes repeat the same markup hundreds
or thousands of times, and Django's template engine spends several times longer per repeated node
than the queries that fetch the page's data (measured with `make bench`). The admin and the API's
browsable pages keep Django's engine, which `TEMPLATES` lists first.
"""

from django.conf import settings
from django.template import defaultfilters
from django.templatetags.static import static
from django.utils import timezone
from jinja2 import Environment, StrictUndefined

from . import display
from .charts import money_amount
from .links import Route, card_in_pledge, page_url


def today():
    """Today's date where the site is (its TIME_ZONE), for “accessed on” in a citation."""
    return timezone.localdate() if settings.USE_TZ else timezone.now().date()


def thousands(number):
    """A count with thousands separated: 4,012."""
    return f"{number:,}"


def environment(**options):
    # A name the template gets wrong is an error in the tests, not an empty string on the page.
    options["undefined"] = StrictUndefined
    env = Environment(**options)  # noqa: S701 - Django's backend turns autoescape on
    env.globals.update(
        url=page_url,
        route=Route,
        card_in_pledge=card_in_pledge,
        static=static,
        today=today,
        change_kind=display.change_kind,
        change_legend=display.change_legend,
        verdict=display.verdict,
        verdict_legend=display.verdict_legend,
        verdict_meaning=display.VERDICT_MEANINGS.get,
        money_amount=money_amount,
        **display.CHOICES,
    )
    env.filters.update(
        pluralize=defaultfilters.pluralize,
        figure_text=display.figure_text,
        label=display.label,
        long_date=display.long_date,
        note_text=display.note_text,
        linked_note=display.linked_note,
        shortened=display.shortened,
        thousands=thousands,
    )
    return env
