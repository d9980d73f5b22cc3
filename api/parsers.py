"""Request bodies, read strictly: what no record can hold is a 400 that names the field, not a 500.

JSON is read by orjson (malformed UTF-8 and nesting past 1,024 levels are refused outright). Every
body is then walked once, without recursion: a string holding a NUL or a lone surrogate, or objects
and arrays nested more than MAX_DEPTH levels (the body's own object is the first; no resource has
more than two), is refused, naming the field, before a serializer sees it.
"""

import json

import orjson
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from .guards import unstorable

MAX_DEPTH = 16


def check_storable(data):
    """Raise a 400 naming the field when `data` nests too deep or holds a string no database stores."""
    stack = [(data, None, 1)]
    while stack:
        value, field, depth = stack.pop()
        # A level is an object or an array: the body's own is the first, a value inside it adds none.
        if depth > MAX_DEPTH and isinstance(value, dict | list | tuple):
            raise ValidationError({field or "non_field_errors": [f"Nested more than {MAX_DEPTH} levels deep."]})
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and unstorable(key):
                    raise ValidationError({"non_field_errors": [f"A field's name: {unstorable(key)}"]})
                stack.append((item, field or key, depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend((item, field, depth + 1) for item in value)
        elif isinstance(value, str) and unstorable(value):
            raise ValidationError({field or "non_field_errors": [unstorable(value)]})
    return data


class JSONParser(parsers.JSONParser):
    """JSON bodies through orjson, at most API_MAX_BODY_BYTES, checked by check_storable()."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise BodyTooLarge(limit)
        if not body:
            raise ParseError("JSON parse error - the body is empty.")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            if "surrogate" not in str(exc):
                raise ParseError(f"JSON parse error - {exc}") from None
            # Read it again, surrogates and all, only to say which field holds one.
            try:
                data = json.loads(body.decode("utf-8"))
            except UnicodeDecodeError as undecodable:
                raise ParseError(f"The body is not UTF-8 (byte {undecodable.start}).") from None
            except (ValueError, RecursionError):
                raise ParseError(f"JSON parse error - {exc}") from None
        return check_storable(data)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_storable({name: data.getlist(name) for name in data})
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_storable({name: result.data.getlist(name) for name in result.data})
        return result


class BodyTooLarge(ParseError):
    status_code = 413
    default_code = "too_large"

    def __init__(self, limit):
        super().__init__(f"The request body is larger than {limit} bytes, the most the API reads.")
