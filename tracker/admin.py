"""Admin building blocks that both apps' admin modules use."""

from django.contrib import admin
from django.utils.html import format_html

from meetings.forms import ParentStatementFormSet, QuotePasteForm


class ReadOnlyInline(admin.TabularInline):
    """Child rows listed for reading; each opens on its own page to be edited."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class AddOnlyMixin:
    """An inline of empty forms only: existing rows are listed by a ReadOnlyInline beside it.

    Editable existing rows would render a widget per row (a query each for autocompletes) and
    invite edits that the row's own page, with its own rules, should make.
    """

    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class AddOnlyInline(AddOnlyMixin, admin.TabularInline):
    pass


class QuoteAddInline(AddOnlyMixin, admin.StackedInline):
    """Empty forms for adding quoted rows to a statement by pasting their quotes."""

    form = QuotePasteForm
    formset = ParentStatementFormSet


def quote_in_context(span, width=160):
    """The quote highlighted inside the words around it, for checking it at a glance."""
    if span.statement_id is None or span.start is None:
        return "—"
    text = span.statement.text
    return format_html(
        '<div style="max-width:60em;white-space:pre-wrap">…{}<mark>{}</mark>{}…</div>',
        text[max(0, span.start - width) : span.start],
        text[span.start : span.end],
        text[span.end : span.end + width],
    )
