"""The admin's base for curated models: changes recorded once, history pages that say what they mean, lists that fit."""

from simple_history.admin import SimpleHistoryAdmin

from .deletion import ExplainedDeleteMixin


class HistoryAdmin(ExplainedDeleteMixin, SimpleHistoryAdmin):
    """A SimpleHistoryAdmin that records no empty changes and shows no "None" on its history page.

    Saving a page whose own fields did not change (a commitment added inline on its statement's
    page, say) would save the record anyway and add a history row that changes nothing: the
    record is saved only when its form changed. Records written without a user (the seed load)
    show their change reason instead of "None". A refused deletion says why (ExplainedDeleteMixin).
    """

    object_history_list_template = "meetings/admin/object_history_list.html"

    class Media:
        # Lists that fit 1,280 px, and the places of an ambiguous quote; subclasses' own Media add to it.
        css = {"all": ["meetings/admin/admin.css"]}

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        super().save_model(request, obj, form, change)
