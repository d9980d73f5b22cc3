"""Dashboard tokens: named, expiring API keys, read-only unless an operator says otherwise."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX_LENGTH = 8


def hash_key(key):
    """The SHA-256 of a token key: what is stored and looked up (the key is random, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def expiry_in(days):
    """The moment `days` days from now."""
    return timezone.now() + datetime.timedelta(days=days)


class DashboardTokenQuerySet(models.QuerySet):
    def issue(self, *, name, user, days, read_only=True):
        """A new token for the dashboard `name`, acting with `user`'s rights for `days` days.

        Returns the token and its key; only the key's hash is stored, so the key is shown this once.
        """
        token = self.model(name=name, user=user, read_only=read_only, expires_at=expiry_in(days))
        key = token.set_key()
        token.save()
        return token, key

    def for_key(self, key):
        """The token with this key (and its user), whatever its state; DoesNotExist if none."""
        return self.select_related("user").get(key_hash=hash_key(key))

    def revoke(self):
        """Revoke the tokens not revoked yet; returns how many."""
        return self.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class DashboardToken(models.Model):
    """An API key for one named dashboard: expires, can be revoked, and by default only reads."""

    name = models.CharField(max_length=100, help_text="The dashboard or client that uses this token.")
    # Whose rights the token carries; a token stops working when its user is deactivated.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboard_tokens")
    read_only = models.BooleanField(default=True, help_text="A read-only token is refused every write (403).")
    key_prefix = models.CharField(max_length=KEY_PREFIX_LENGTH, help_text="The key's first characters, to tell it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = DashboardTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "dashboard token"

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"

    def set_key(self):
        """Give this token a new random key and return it; only its hash and first characters are kept."""
        key = secrets.token_urlsafe(32)
        self.key_prefix = key[:KEY_PREFIX_LENGTH]
        self.key_hash = hash_key(key)
        return key

    def status(self, now=None):
        """'active', or why the token may not be used now: 'revoked', 'expired' or 'user inactive'."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        if not self.user.is_active:
            return "user inactive"
        return "active"
