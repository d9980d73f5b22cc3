"""Admin inline building blocks that both domain apps' admin modules use."""

from django.contrib import admin


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
