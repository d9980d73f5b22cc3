from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Who may do what: the curators' and auditors' groups and the local development account."""

    name = "accounts"
    verbose_name = "Accounts and roles"
