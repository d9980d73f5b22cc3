"""The admin's publish action on meetings: what it will publish, or what stops it, then one confirmation.

Meetings belong to the meetings app, which knows nothing of commitments; publishing checks them, so
this app extends the meetings' admin (as it extends the statements'), and calls `publishing`.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from meetings.admin import MeetingAdmin as MeetingsMeetingAdmin
from meetings.models import Meeting

from .publishing import NotComplete, publish_meeting, publish_plan

admin.site.unregister(Meeting)


@admin.register(Meeting)
class MeetingAdmin(MeetingsMeetingAdmin):
    actions = ["publish_selected"]

    @admin.action(description="Publish the selected drafts (checked, then confirmed)", permissions=["change"])
    def publish_selected(self, request, queryset):
        """First a page listing what each meeting would publish, or what stops it; then, confirmed, publish."""
        plans = [plan for plan in map(publish_plan, queryset.order_by("start_date", "slug")) if plan.has_anything()]
        if not plans:
            self.message_user(request, "Nothing to publish: these meetings and their statements are published.")
            return None
        blocked = any(plan.problems for plan in plans)
        if request.POST.get("confirmed") == "yes" and not blocked:
            return self._publish(request, plans)
        context = {
            **self.admin_site.each_context(request),
            "title": "Cannot publish yet" if blocked else "Publish these drafts?",
            "opts": self.model._meta,
            "plans": plans,
            "blocked": blocked,
            "selected": [plan.meeting.pk for plan in plans],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "commitments/admin/publish_confirmation.html", context)

    def _publish(self, request, plans):
        for plan in plans:
            try:
                publish_meeting(meeting=plan.meeting, by=request.user)
            except (NotComplete, ValueError) as exc:
                self.message_user(request, f"{plan.meeting} not published: {exc}", messages.ERROR)
            else:
                published = ", ".join(plan.summary())
                self.message_user(request, f"Published “{plan.meeting}”: {published}.", messages.SUCCESS)
        return None
