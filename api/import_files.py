"""Reading an import file: CSV as `?format=csv` writes it, or the same table saved as XLSX.

A file is a header row and data rows; every cell is read as the text the CSV export would have
written for it, so that the rest of the import compares and parses one kind of value whatever the
format: a spreadsheet's numbers, dates and booleans are written back as that text, and the
apostrophe the export puts before a cell a spreadsheet would run as a formula is taken off.
"""

import csv
import datetime
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal

from .renderers import FORMULA_STARTS

XLSX_MAGIC = b"PK\x03\x04"


class FileRefused(ValueError):
    """The file cannot be read as a table at all (not CSV or XLSX, not UTF-8, no header)."""


@dataclass(frozen=True)
class Table:
    """A file's header and rows; `numbers[i]` is the file's row number of `rows[i]` (the header is row 1)."""

    header: list[str]
    rows: list[list[str]]
    numbers: list[int]
    sha256: str

    @staticmethod
    def digest(data: bytes) -> str:
        """The file's SHA-256, as the history and the admin's confirm step name it."""
        return hashlib.sha256(data).hexdigest()


def read_table(data: bytes, filename: str = "") -> Table:
    """The file's header and rows as text cells, blank rows left out."""
    digest = Table.digest(data)
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        lines = _xlsx_lines(data)
    else:
        lines = _csv_lines(data)
    numbered = [(number, [uncell(value) for value in line]) for number, line in enumerate(lines, start=1)]
    numbered = [(number, line) for number, line in numbered if any(value.strip() for value in line)]
    if not numbered:
        raise FileRefused("The file is empty: it needs a header row, as the export writes it.")
    (_, header), rows = numbered[0], numbered[1:]
    header = [name.strip() for name in header]
    width = len(header)
    return Table(
        header=header,
        rows=[(line + [""] * width)[:width] for _, line in rows],
        numbers=[number for number, _ in rows],
        sha256=digest,
    )


def _csv_lines(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"The file is neither UTF-8 CSV nor XLSX (byte {exc.start} is not UTF-8): save it as CSV UTF-8 or XLSX."
        ) from None
    return list(csv.reader(io.StringIO(text, newline="")))


def _xlsx_lines(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # only when an XLSX file is read

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise FileRefused(f"The file is not a readable XLSX workbook ({exc.__class__.__name__}).") from None
    try:
        sheet = workbook.worksheets[0]
        return [[xlsx_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def xlsx_text(value: object) -> str:
    """A spreadsheet cell's value as the CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f") if value.is_integer() else repr(value)
    return str(value)


def uncell(value: str) -> str:
    """A cell's value with the export's formula guard taken off (`'=x` is the text `=x`)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
