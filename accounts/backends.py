"""Login through django-axes's check: a locked-out account or address is refused before its password is tried."""

from axes.backends import AxesStandaloneBackend


class LoginAttemptsBackend(AxesStandaloneBackend):
    """django-axes's backend, for logins that come with a request (the admin's login form).

    A login without a request (a script, the test client's `login()`) has no address to count
    against: it is passed on to the password check instead of refused with an error.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
