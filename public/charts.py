"""Geometry of the server-rendered SVG charts; the templates draw it, the stylesheet colours it."""

import math
from dataclasses import dataclass
from decimal import Decimal

from meetings.models import Qualifier

# Chart sizes in SVG user units; the drawing scales to the page through its viewBox.
HEADER = 40
ROW = 32
BAR = 16
SERIES_ROW = 46  # a series row: the date it is about above, the bar below

# The charts' text, in user units (the stylesheet's `.chart text`), and the sizes it is drawn at, in
# CSS pixels: a chart is never scaled below FONT_PX_MIN / FONT (it scrolls sideways instead: a phone
# shows legible labels), nor above FONT_PX_MAX / FONT.
FONT = 13
FONT_PX_MIN = 12
FONT_PX_MAX = 16


def legible_width(width):
    """The narrowest a chart `width` units wide may be drawn, in CSS pixels, for its text to stay legible."""
    return math.ceil(width * FONT_PX_MIN / FONT)


def roomy_width(width):
    """The widest a chart `width` units wide is drawn, in CSS pixels: its text no larger than FONT_PX_MAX."""
    return math.ceil(width * FONT_PX_MAX / FONT)


class Sized:
    """A chart drawn between the widths its text stays legible at (its `width` in user units)."""

    width: int

    @property
    def min_width(self):
        return legible_width(self.width)

    @property
    def max_width(self):
        return max(roomy_width(self.width), self.min_width)


# A line of effort at a meeting, or in a year, without a commitment.
NO_COMMITMENTS = {"total": 0, "binding": 0, "soft": 0}


@dataclass
class CountBar:
    """One line of effort at one meeting: binding and softer commitments as two joined bars."""

    meeting: object
    total: int
    binding: int
    soft: int
    x: float
    binding_width: float
    soft_x: float
    soft_width: float
    text_x: float


@dataclass
class CountRow:
    line: object
    y: float
    label_y: float
    bars: list[CountBar]

    @property
    def total(self):
        return sum(bar.total for bar in self.bars)


@dataclass
class CountChart(Sized):
    width: int
    height: int
    label_width: int
    column_width: int
    bar_height: int
    columns: list  # (meeting, x of its label)
    rows: list[CountRow]
    max_total: int


def counts_chart(lines, meetings, counts):
    """Commitments per line of effort (rows) per meeting (columns) from `counts_by_line_and_meeting()` rows."""
    label_width, column_width, bar_max = 360, 170, 110
    by_cell = {(row["line_of_effort__slug"], row["statement__meeting__slug"]): row for row in counts}
    max_total = max((row["total"] for row in counts), default=0) or 1
    rows = []
    for index, line in enumerate(lines):
        y = HEADER + index * ROW + (ROW - BAR) / 2
        bars = []
        for column, meeting in enumerate(meetings):
            cell = by_cell.get((line.slug, meeting.slug), NO_COMMITMENTS)
            x = label_width + column * column_width + 8
            binding_width = bar_max * cell["binding"] / max_total
            soft_width = bar_max * cell["soft"] / max_total
            bars.append(
                CountBar(
                    meeting=meeting,
                    total=cell["total"],
                    binding=cell["binding"],
                    soft=cell["soft"],
                    x=x,
                    binding_width=round(binding_width, 1),
                    soft_x=round(x + binding_width, 1),
                    soft_width=round(soft_width, 1),
                    text_x=round(x + binding_width + soft_width + 4, 1),
                )
            )
        rows.append(CountRow(line=line, y=y, label_y=y + BAR - 3, bars=bars))
    columns = [(meeting, label_width + column * column_width + 8) for column, meeting in enumerate(meetings)]
    return CountChart(
        width=label_width + column_width * len(meetings),
        height=HEADER + ROW * len(lines) + 8,
        label_width=label_width,
        column_width=column_width,
        bar_height=BAR,
        columns=columns,
        rows=rows,
        max_total=max_total,
    )


@dataclass
class YearBar:
    """One line of effort in one year: binding commitments as a solid column, softer ones hatched above it."""

    year: int
    total: int
    binding: int
    soft: int
    x: float
    binding_y: float
    binding_height: float
    soft_y: float
    soft_height: float


@dataclass
class YearRow:
    line: object
    y: float
    label_y: float
    bars: list[YearBar]

    @property
    def total(self):
        return sum(bar.total for bar in self.bars)


@dataclass
class YearChart(Sized):
    """Commitments per line of effort per year: a strip of columns per line, years along the strip."""

    width: int
    height: int
    label_width: int
    bar_width: float
    ticks: list  # (year, x of its label): every few years, so that the labels do not run into each other
    rows: list[YearRow]
    years: list[int]
    max_total: int

    def by_year(self):
        """The same numbers as a table: (year, the bar of each line that year, the year's total)."""
        return [
            (year, bars, sum(bar.total for bar in bars))
            for year, bars in zip(self.years, zip(*(row.bars for row in self.rows), strict=True), strict=True)
        ]


def year_chart(lines, counts):
    """Commitments per line of effort (rows) per year (columns) from `counts_by_line_and_year()` rows.

    For a tracker with more meetings than a chart holds as columns: every year from the first to
    the last with a commitment, a year without any drawn empty, so that time runs evenly.
    """
    label_width, plot_width, strip, row = 370, 760, 40, 56
    year_key = "statement__meeting__start_date__year"
    by_cell = {(row["line_of_effort__slug"], row[year_key]): row for row in counts}
    found = [row[year_key] for row in counts]
    years = list(range(min(found), max(found) + 1)) if found else []
    column = plot_width / max(len(years), 1)
    bar_width = round(min(column * 0.7, 40), 1)
    max_total = max((row["total"] for row in counts), default=0) or 1
    rows = []
    for index, line in enumerate(lines):
        top = HEADER + index * row
        base = top + strip
        bars = []
        for offset, year in enumerate(years):
            cell = by_cell.get((line.slug, year), NO_COMMITMENTS)
            binding_height = strip * cell["binding"] / max_total
            soft_height = strip * cell["soft"] / max_total
            bars.append(
                YearBar(
                    year=year,
                    total=cell["total"],
                    binding=cell["binding"],
                    soft=cell["soft"],
                    x=round(label_width + offset * column, 1),
                    binding_y=round(base - binding_height, 1),
                    binding_height=round(binding_height, 1),
                    soft_y=round(base - binding_height - soft_height, 1),
                    soft_height=round(soft_height, 1),
                )
            )
        rows.append(YearRow(line=line, y=top, label_y=top + strip / 2 + 5, bars=bars))
    every = math.ceil(48 / column)  # years from one label to the next: about 48 units apart at least
    ticks = [(year, round(label_width + i * column, 1)) for i, year in enumerate(years) if i % every == 0]
    return YearChart(
        width=label_width + plot_width + 40,  # room for the last year's label
        height=HEADER + row * len(lines) + 8,
        label_width=label_width,
        bar_width=bar_width,
        ticks=ticks,
        rows=rows,
        years=years,
        max_total=max_total,
    )


def human_number(value):
    """A figure's value as a reader says it: 7.7 million, 20 billion, 210,000, 0.5."""
    if value is None:
        return ""
    value = Decimal(value)
    for size, word in ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")):
        if abs(value) >= size:
            scaled = (value / size).quantize(Decimal("0.01")).normalize()
            return f"{scaled:f} {word}"
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():f}"


# Units that are not counts of things: never inflected (“1 percent”, “20 billion USD”).
UNCOUNTED = {"percent", "km2", "sq km", "hectares of land"}
IRREGULAR = {"person": "people"}


def _singular(word):
    for one, many in IRREGULAR.items():
        if word == many:
            return one
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1]


def _plural(word):
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word.endswith("y") and word[-2:-1] not in {"a", "e", "i", "o", "u"}:
        return word[:-1] + "ies"
    if word.endswith(("ch", "sh", "s", "x")):
        return word + "es"
    return word + "s"


def _is_plural(word):
    return word in IRREGULAR.values() or (word.endswith("s") and not word.endswith("ss") and word.isalpha())


def counted_unit(value, unit):
    """The unit as a reader says it after the value: “1 member”, “84 members”, “1 person”, “20 terabytes”.

    A unit is recorded as the text gives it (“members”, or “member” from “12-member”); its first
    plural word is made singular for exactly one, and a one-word singular count made plural for any
    other number. Currency codes and measures are left alone.
    """
    if not unit or unit in UNCOUNTED or unit.isupper():
        return unit
    words = unit.split(" ")
    if value is not None and Decimal(value) == 1:
        for index, word in enumerate(words):
            if _is_plural(word):
                words[index] = _singular(word)
                break
        return " ".join(words)
    if len(words) == 1 and unit.isalpha() and unit.islower() and not _is_plural(unit):
        return _plural(unit)
    return unit


def figure_label(figure, *, unsaid_stage=False):
    """A figure with its hedge kept, and for money its stage: “more than 7.7 million people”,
    “more than 2.3 billion USD committed”. With `unsaid_stage`, a sum whose stage the text
    does not give says so."""
    if figure.value is None:
        words = [figure.get_qualifier_display(), "– no single number –", counted_unit(None, figure.unit)]
    else:
        words = [human_number(figure.value), counted_unit(figure.value, figure.unit)]
        if figure.qualifier != Qualifier.EXACT:
            words.insert(0, figure.get_qualifier_display())
    if figure.stage:
        words.append(figure.get_stage_display())
    elif unsaid_stage:
        words.append("(stage not stated)")
    return " ".join(word for word in words if word)


@dataclass
class SeriesBar:
    figure: object
    when: str  # the date or period the figure is about, and where it was said
    label: str
    when_y: float
    y: float
    label_y: float
    width: float
    text_x: float


@dataclass
class SeriesChart(Sized):
    x: int  # where the labels and bars start, clear of the box's edge
    width: int
    height: int
    bar_height: int
    bars: list[SeriesBar]
    stages: list[str]  # the stages of money the series holds, in order; “not stated” for a sum without one

    @property
    def mixes_stages(self):
        return len(self.stages) > 1


def figure_when(figure):
    """Where a figure sits in a series: the date the text says it is about and who said it
    (“2014 · said at Paris 2019”), else its meeting and statement (“Paris 2019 · Readout”)."""
    meeting = figure.statement.meeting.short_name()
    about = figure.about_label()
    if about:
        return f"{about} · said at {meeting}"
    return f"{meeting} · {figure.statement.get_kind_display()}"


def series_chart(figures, metric=None):
    """One metric's figures in the order of the dates they are about, as horizontal bars.

    Each row is two lines: when the figure is about (and who said it) above, the bar and the figure with
    its qualifier below. A funds series labels each sum with its stage (committed, raised, disbursed),
    and says when a sum's stage is not stated.
    """
    pad, bar_max, text_room = 6, 280, 320
    money = metric == "funds"
    values = [figure.value for figure in figures if figure.value is not None]
    largest = max(values, default=0) or 1
    bars = []
    for index, figure in enumerate(figures):
        top = 8 + index * SERIES_ROW
        y = top + 20
        width = float(bar_max * figure.value / largest) if figure.value is not None else 0.0
        bars.append(
            SeriesBar(
                figure=figure,
                when=figure_when(figure),
                label=figure_label(figure, unsaid_stage=money),
                when_y=top + 14,
                y=y,
                label_y=y + BAR - 3,
                width=round(width, 1),
                text_x=round(pad + width + 6, 1),
            )
        )
    stages = []
    if money:
        said = {figure.get_stage_display() if figure.stage else "not stated" for figure in figures}
        stages = [stage for stage in ("committed", "raised", "disbursed", "not stated") if stage in said]
    return SeriesChart(
        x=pad,
        width=pad + bar_max + text_room,
        height=16 + SERIES_ROW * len(figures),
        bar_height=BAR,
        bars=bars,
        stages=stages,
    )


# -- a pledge's money, stage by stage -----------------------------------------------------------------

# The stages of money in the order it moves (OCHA FTS): each its own bar, never stacked on another.
MONEY_STAGES = ("pledged", "committed", "paid")
MONEY_ROW = 22  # a stage's bar
MONEY_DATE_ROW = 22  # the date an assessment found the money, above its bars
MONEY_TITLE_ROW = 28  # a commitment's name, above its dates


def money_amount(amount):
    """An amount as a number, thousands separated, cents only where there are any: 20,000,000 or 1,234.50."""
    amount = Decimal(amount)
    return f"{int(amount):,}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


@dataclass
class MoneyBar:
    stage: str
    amount: Decimal
    text: str  # "pledged 20,000,000 USD"
    y: float
    text_y: float
    width: float
    text_x: float


@dataclass
class MoneyPoint:
    """What one approved assessment found of a commitment's money: a bar per stage it records."""

    assessed_on: object
    y: float  # its date's baseline
    bars: list[MoneyBar]
    amounts: dict  # stage -> amount or None (not recorded): the table's row


@dataclass
class MoneyBlock:
    """One commitment's money across time."""

    label: str  # where and when it was promised, e.g. "Paris 2019 (no. 2)"
    currency: str
    y: float  # its label's baseline
    points: list[MoneyPoint]


@dataclass
class MoneyChart(Sized):
    x: int
    width: int
    height: int
    bar_height: int
    blocks: list[MoneyBlock]


def money_chart(commitments):
    """`(label, points)` per commitment, the points as `MoneyStage.objects.over_time_of()` gives them, drawn
    as a block per commitment, a row of bars per date, one bar per stage recorded.

    Each stage is its own bar and its own figure: a pledged amount is never drawn as paid, and no bar adds
    one stage to another. Bars in one currency share a scale (the largest amount in it is the longest bar).
    """
    pad, bar_max, text_room = 6, 300, 300
    largest = {}
    for _, points in commitments:
        for point in points:
            for stage in MONEY_STAGES:
                if point[stage] is not None:
                    largest[point["currency"]] = max(largest.get(point["currency"], 0), point[stage])
    blocks, y = [], 0.0
    for label, points in commitments:
        currency = points[0]["currency"]
        block = MoneyBlock(label=label, currency=currency, y=y + 20, points=[])
        y += MONEY_TITLE_ROW
        for point in points:
            y += MONEY_DATE_ROW
            drawn = MoneyPoint(
                assessed_on=point["assessed_on"],
                y=y - 6,
                bars=[],
                amounts={stage: point[stage] for stage in MONEY_STAGES},
            )
            for stage in MONEY_STAGES:
                amount = point[stage]
                if amount is None:
                    continue
                width = float(bar_max * amount / (largest[currency] or 1))
                drawn.bars.append(
                    MoneyBar(
                        stage=stage,
                        amount=amount,
                        text=f"{stage} {money_amount(amount)} {currency}",
                        y=y + (MONEY_ROW - BAR) / 2,
                        text_y=y + (MONEY_ROW - BAR) / 2 + BAR - 3,
                        width=round(max(width, 1.0), 1),
                        text_x=round(pad + max(width, 1.0) + 6, 1),
                    )
                )
                y += MONEY_ROW
            block.points.append(drawn)
        blocks.append(block)
        y += 8
    return MoneyChart(x=pad, width=pad + bar_max + text_room, height=int(y) + 8, bar_height=BAR, blocks=blocks)
