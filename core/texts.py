"""A statement's verbatim text: its digest, its line breaks, and the one check every path makes.

Uploads in the admin, pasted text, the ingest command, the seed builder and the model's own
`clean()` all call `check_statement_text` (or `decode_statement_bytes`, which ends in it), so a
text is refused for the same reasons with the same words wherever it comes from.
"""

import hashlib
from pathlib import Path

# The largest statement accepted, in UTF-8 bytes: the five sources are 3-14 kB; a megabyte is a
# book, and a file that large is more likely a wrong upload than a communiqué.
MAX_STATEMENT_BYTES = 1_000_000


class StatementTextError(ValueError):
    """A text that cannot be a statement: empty, binary, not UTF-8 or too large."""


class DuplicateStatement(StatementTextError):
    """A text identical (the same SHA-256) to a statement already stored."""

    def __init__(self, name: str, existing: str) -> None:
        super().__init__(f"{name} is identical (same SHA-256) to the stored statement “{existing}”.")
        self.existing = existing


# A new text sharing this share of its five-word sequences with a stored statement of the same meeting
# is nearly identical (the same statement with a cookie banner or a footer removed): flagged, not refused.
NEAR_DUPLICATE_SHARE = 0.9
_SHINGLE_WORDS = 5


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = text.lower().split()  # white space normalised: line breaks and runs of spaces count as one
    return {tuple(words[i : i + _SHINGLE_WORDS]) for i in range(max(1, len(words) - _SHINGLE_WORDS + 1))}


def shared_wording(a: str, b: str) -> float:
    """The share of the shorter text's five-word sequences that the other has too (0 to 1), case and
    white space aside: 1 when one text is the other with passages added or removed."""
    first, second = _shingles(a), _shingles(b)
    if not first or not second or first == {()} or second == {()}:
        return 0.0
    return len(first & second) / min(len(first), len(second))


def sha256_hex(text: str) -> str:
    """SHA-256 of a text's UTF-8 bytes: the same digest `sha256sum` gives for its file."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_newlines(text: str) -> str:
    """Pasted text with the browser's CRLF line breaks as the LF the captured sources use."""
    return text.replace("\r\n", "\n")


def check_statement_text(text: str, name: str = "The text") -> None:
    """Refuse a text that cannot be a statement: empty, with NUL characters, or over the size limit."""
    if not text.strip():
        raise StatementTextError(f"{name} is empty: a statement needs its verbatim text.")
    if "\x00" in text:
        raise StatementTextError(f"{name} contains NUL bytes: a statement must be a text file, not binary data.")
    _check_size(len(text.encode("utf-8")), name)


def _check_size(size: int, name: str) -> None:
    if size > MAX_STATEMENT_BYTES:
        raise StatementTextError(
            f"{name}: {size:,} bytes is over the limit of {MAX_STATEMENT_BYTES:,} bytes (1 MB) for a statement."
        )


def decode_statement_bytes(data: bytes, name: str) -> str:
    """The verbatim text of a captured statement's bytes, checked as `check_statement_text` checks a text."""
    _check_size(len(data), name)  # before decoding a file that may be huge
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StatementTextError(f"{name} is not UTF-8 text (byte {exc.start} cannot be decoded).") from None
    check_statement_text(text, name)
    return text


def read_statement_file(path: str | Path) -> str:
    """The verbatim text of a captured statement file, checked as every statement text is."""
    return decode_statement_bytes(Path(path).read_bytes(), str(path))
