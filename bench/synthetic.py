"""Synthetic commitments for the benchmarks: valid quotes into real statements, in bulk."""

from decimal import Decimal


def synthetic_commitments(count, statements, lines):
    """`count` unsaved commitments named bench-0000000…, quoting the given statements' texts exactly.

    Every tenth names an amount, so that decimals are written and read as in real data.
    """
    from commitments.models import Commitment, Strength

    for i in range(count):
        statement = statements[i % len(statements)]
        start = (i * 37) % (len(statement.text) - 300)
        end = start + 40 + i % 200
        yield Commitment(
            slug=f"bench-{i:07d}",
            statement=statement,
            start=start,
            end=end,
            quote=statement.text[start:end],
            line_of_effort=lines[i % len(lines)],
            actor="the Coalition",
            strength=Strength.BINDING if i % 2 else Strength.SOFT,
            summary=f"Synthetic commitment {i} for the benchmark.",
            amount=Decimal(i) if i % 10 == 0 else None,
            currency="USD" if i % 10 == 0 else "",
        )
