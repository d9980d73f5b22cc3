"""Numbers as people read them: 8,000,000, not 8000000.0000 (admin lists, read-only places, form fields)."""

from decimal import Decimal


def grouped(value: Decimal | int | float | None) -> str:
    """The number without trailing zeros, its thousands grouped ("8,000,000", "7.7"); a dash for none."""
    if value is None:
        return "—"
    number = Decimal(value).normalize() if not isinstance(value, Decimal) else value.normalize()
    return format(number, ",f")


def plain(value: Decimal | None) -> str:
    """The number without trailing zeros and ungrouped, as a form field reads it back ("8000000"); "" for none."""
    return "" if value is None else format(value.normalize(), "f")
