"""The webhooks in the admin: receivers, and the delivery log with a "redeliver" action. The feed is read-only."""

from django.contrib import admin, messages
from django.db import models

from .models import Change, Delivery, Receiver
from .webhooks import Refused, check_host


@admin.register(Receiver)
class ReceiverAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "resources", "actions", "active"]
    list_filter = ["active"]
    fields = ["name", "url", "resources", "actions", "secret", "active"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        # The allowlist is checked when a delivery is sent too; saying so here saves a curator a failed log.
        try:
            check_host(obj.url)
        except Refused as exc:
            self.message_user(
                request, f"{exc} Deliveries to it will fail until the operator allows it.", messages.WARNING
            )
        super().save_model(request, obj, form, change)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: each change sent (or to send) to each receiver, its attempts and last answer."""

    list_display = ["event_id", "receiver", "event", "state", "attempts", "last_status", "next_attempt_at"]
    list_filter = ["state", "receiver"]
    list_select_related = ["receiver", "change"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["redeliver"]

    @admin.display(description="event")
    def event(self, obj):
        return f"{obj.change.event} {obj.change.key}"

    def has_add_permission(self, request):
        return False

    @admin.action(description="Redeliver the selected deliveries (same id)")
    def redeliver(self, request, queryset):
        for delivery in queryset:
            delivery.redeliver()
        self.message_user(request, f"{queryset.count()} deliveries queued again.", messages.SUCCESS)


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "resource", "key", "action", "user", "token"]
    list_filter = ["resource", "action"]
    readonly_fields = [f.name for f in Change._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
