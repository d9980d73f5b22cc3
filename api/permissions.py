"""Who may do what through the API: the public reads, curators write, auditors read history and export."""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.roles import AUDITORS, CURATORS


def roles_of(user):
    """The tracker roles a user holds, read once per request and kept on the user object."""
    if not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_tracker_roles"):
        names = set(user.groups.filter(name__in=[CURATORS, AUDITORS]).values_list("name", flat=True))
        if user.is_superuser:
            names.add(CURATORS)
        user._tracker_roles = frozenset(names)
    return user._tracker_roles


def sees_drafts(request):
    """Whether the request may read drafts (`meetings.drafts`): curators and auditors, signed in, may."""
    return bool(roles_of(request.user) & {AUDITORS, CURATORS})


class ReadOrCurate(BasePermission):
    """Reads for everyone (or signed-in users only, when API_PUBLIC_READ is off); writes for curators."""

    message = "Only curators may change the tracker's data."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return settings.API_PUBLIC_READ or request.user.is_authenticated
        return CURATORS in roles_of(request.user)


class ReadsHistory(BasePermission):
    """Change history: auditors and curators."""

    message = "Change history is for auditors and curators."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS and bool(roles_of(request.user) & {AUDITORS, CURATORS})


class AuditorsOnly(BasePermission):
    """Snapshots: the auditors group, and only it."""

    message = "Snapshots are for auditors."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS and AUDITORS in roles_of(request.user)
