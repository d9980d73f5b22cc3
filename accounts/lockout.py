"""The page a locked-out admin login gets (django-axes's AXES_LOCKOUT_CALLABLE)."""

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    """429: the login is locked, for how long, and who can unlock it; in the admin's own frame."""
    context = {
        **admin.site.each_context(request),
        "title": "Login locked",
        # Nobody is logged in: no sidebar of apps they could not open anyway.
        "is_nav_sidebar_enabled": False,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "username": get_client_username(request, credentials) or "",
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "accounts/locked_out.html", context, status=429)
