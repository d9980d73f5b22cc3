"""Response formats: JSON through orjson, and CSV for spreadsheets."""

import csv
import io
import json
import re
from decimal import Decimal

import orjson
from django.utils.encoding import force_str
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    return force_str(value)  # lazy translations in error messages


class ORJSONRenderer(JSONRenderer):
    """JSON rendered by orjson: the same document as DRF's renderer, produced several times faster."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        try:
            return orjson.dumps(data, default=_default, option=orjson.OPT_INDENT_2 if indent else 0)
        except orjson.JSONEncodeError:
            # Text orjson cannot encode (a lone surrogate echoed in a message): escaped, not a 500.
            return json.dumps(data, default=_default, ensure_ascii=True, indent=2 if indent else None).encode()


# A spreadsheet reads a cell starting with one of these as a formula (or strips the control
# character and then does): such a cell is written with a leading apostrophe, as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\Z")


def cell(value):
    """One CSV cell: text as is unless a spreadsheet would run it as a formula; numbers as numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # A list of objects (a commitment's threads) as `a:b:c` items joined with "; ", never Python's text of it.
    text = "; ".join(_item(item) for item in value) if isinstance(value, list) else _item(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.match(text):
        return "'" + text
    return text


def _item(value):
    """A value inside a cell: an object's values joined with ":", a list's items with ","."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ":".join(_item(v) for v in value.values())
    if isinstance(value, list | tuple):
        return ",".join(_item(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flatten(value, prefix=""):
    """A JSON object as flat CSV cells: `a.b` for nested objects, lists joined (see `cell`)."""
    if isinstance(value, dict):
        columns = {}
        for key, item in value.items():
            columns.update(flatten(item, f"{prefix}{key}."))
        return columns
    return {prefix[:-1]: cell(value)}


class CSVRenderer(BaseRenderer):
    """A record or an aggregate as CSV, nested fields flattened, formulas neutralised.

    Lists do not come through here: `?format=csv` on a list streams every matching row as a
    file (`api.csv_lists`).
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            rows = data["results"]
        elif isinstance(data, list):
            rows = data
        else:
            rows = [data]
        flat = [flatten(row) if isinstance(row, dict) else {"value": cell(row)} for row in rows]
        columns = list(dict.fromkeys(name for row in flat for name in row))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat)
        return out.getvalue().encode(self.charset)


class BrowsableHTMLRenderer(BrowsableAPIRenderer):
    """The browsable API, with a brand that leads to the API's root instead of to DRF's site on another host."""

    template = "api/browsable.html"
