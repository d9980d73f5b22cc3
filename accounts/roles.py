"""The groups that give curators and auditors their rights."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

CURATORS = "curators"
AUDITORS = "auditors"

# Curated models: curators add and change them; auditors read them and their history.
TRACKED_APPS = ("meetings", "commitments", "ingest")


def ensure_roles():
    """Create or update the curators and auditors groups; returns {group name: number of permissions}."""
    tracked = Permission.objects.filter(content_type__app_label__in=TRACKED_APPS)
    curators, _ = Group.objects.get_or_create(name=CURATORS)
    # Curators also issue, list and revoke dashboard tokens (in the admin); deleting them is nobody's.
    tokens = Permission.objects.filter(content_type__app_label="accounts", content_type__model="dashboardtoken")
    # And register webhook receivers, read the delivery log and redeliver (changing a delivery), read the feed.
    webhooks = Permission.objects.filter(content_type__app_label="changes").filter(
        Q(content_type__model="receiver") | Q(codename__in=["view_delivery", "change_delivery", "view_change"])
    )
    curators.permissions.set(
        [
            *tracked.exclude(content_type__model__startswith="historical"),
            *tokens.exclude(codename__startswith="delete_"),
            *webhooks,
        ]
    )
    auditors, _ = Group.objects.get_or_create(name=AUDITORS)
    auditors.permissions.set(tracked.filter(codename__startswith="view_"))
    return {CURATORS: curators.permissions.count(), AUDITORS: auditors.permissions.count()}
