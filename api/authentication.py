"""How dashboards authenticate: `Authorization: Token <key>`, a named, expiring, revocable dashboard token."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

from accounts.models import DashboardToken

REFUSALS = {
    "revoked": "This token has been revoked.",
    "expired": "This token has expired.",
    "user inactive": "This token's user account is inactive.",
}


class DashboardTokenAuthentication(authentication.BaseAuthentication):
    """A dashboard token: 401 when unknown, expired or revoked; 403 for any write with a read-only token."""

    keyword = "Token"
    # Left to whoever sent it: a proxy in front of a staging server may ask browsers for Basic credentials.
    PROXY_SCHEMES = {b"basic"}

    def authenticate(self, request):
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].lower() in self.PROXY_SCHEMES:
            return None
        if words[0].lower() != self.keyword.lower().encode():
            # `Bearer <key>` and the like: refused, naming the scheme this API takes, rather than read as
            # no credentials at all (a 401 "not provided", or an anonymous read).
            scheme = words[0].decode("latin-1")
            named = f"`{scheme}`" if scheme.isascii() and scheme.isalnum() and len(scheme) <= 20 else "this scheme"
            raise exceptions.AuthenticationFailed(
                f"Give a dashboard token as `Authorization: Token <key>`; the API does not take {named} credentials."
            )
        if len(words) != 2:
            raise exceptions.AuthenticationFailed("Give the token as `Authorization: Token <key>`.")
        try:
            token = DashboardToken.objects.for_key(words[1].decode())
        except (DashboardToken.DoesNotExist, UnicodeError):
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        status = token.status()
        if status != "active":
            raise exceptions.AuthenticationFailed(REFUSALS[status])
        # Refused here rather than in a permission class, so that it holds for every view,
        # whatever permission classes the view declares.
        if token.read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("This token is read-only: it cannot change anything.")
        return token.user, token

    def authenticate_header(self, request):
        # A 401 names the scheme, so that an anonymous write is told how to authenticate.
        return self.keyword


class DashboardTokenScheme(OpenApiAuthenticationExtension):
    """The token scheme in the OpenAPI schema."""

    target_class = DashboardTokenAuthentication
    name = "dashboardToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A dashboard token, sent as `Token <key>` (`manage.py issue_token`, or the admin).",
        }
