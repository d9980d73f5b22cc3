"""Dashboard tokens in the admin: curators issue read-only ones, list them all and revoke them."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from .models import DashboardToken, expiry_in


class IssueTokenForm(forms.ModelForm):
    days = forms.IntegerField(min_value=1, max_value=730, initial=90, help_text="Days until the token expires.")

    class Meta:
        model = DashboardToken
        fields = ["name", "read_only"]


@admin.register(DashboardToken)
class DashboardTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "key_prefix", "user", "read_only", "created_at", "expires_at", "state"]
    list_filter = ["read_only", "revoked_at", "expires_at"]
    list_select_related = ["user"]
    search_fields = ["name", "key_prefix", "user__username"]
    actions = ["revoke"]

    @admin.display(description="state")
    def state(self, token):
        return token.status()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = IssueTokenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            # Only a superuser issues a token that may write; curators issue read-only ones.
            return ["name", "days", "read_only"] if request.user.is_superuser else ["name", "days"]
        return ["name", "key_prefix", "user", "read_only", "created_at", "expires_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        # A token is never edited: it is issued, then revoked (the action) or left to expire.
        return [] if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Revoked and expired tokens stay listed: who could read what, and until when.
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            # The token acts with its issuer's rights; its key is shown once, by response_add.
            obj.user = request.user
            obj.read_only = obj.read_only or not request.user.is_superuser
            obj.expires_at = expiry_in(form.cleaned_data["days"])
            request.issued_token_key = obj.set_key()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        context = {**self.admin_site.each_context(request), "token": obj, "key": request.issued_token_key}
        return TemplateResponse(request, "admin/accounts/dashboardtoken/issued.html", context)

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.revoke()
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)
