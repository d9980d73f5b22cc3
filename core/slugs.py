"""Slugs suggested to curators: unique among a model's rows."""

from django.db import models
from django.utils.text import slugify


def unique_slug(base: str, model: type[models.Model], max_length: int = 120) -> str:
    """`base` slugified (within max_length), or with -2, -3… when a row of `model` already has it."""
    base = slugify(base)[: max_length - 4].strip("-") or "item"
    taken = set(model._default_manager.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"
