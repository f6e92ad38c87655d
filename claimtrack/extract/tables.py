"""Flattened table rows: "Rank Country Value" text read as claims about each row's name.

A table copied out of a web page loses its cells and reads "Fertility rate 1 Niger 7.6 2 Mali 6.52":
a header naming the measure, then rows of an optional rank, a name and a value. Such a sentence has
no verb, and every stretch of it is the header, a row, or a separator. Each row's value becomes a
claim about the entity the row names, whose measure is the header's words; a row's
rank becomes a rank claim of the same measure. A table flattened one row per line takes its header
from a line above that names a column ("Rank Country Fertility rate").

Written by rule: table-extraction libraries read HTML or PDF cell structure, and none reads a table
whose cells have already been run together into text.
"""
from __future__ import annotations

import re

from . import entities
from .measures import BRACKET_RE, bracketed_basis, measure_key
from .model import Quantity
from .numbers import DIGITS, parse_digits
from .quantity import overlaps
from .units import currency_prefix, described_unit, scale_and_unit

# A row's name: capitalised words, with the joining words of names ("Bosnia and Herzegovina").
_CAP = r"(?:[dl][’'])?[A-Z][^\W\d_]*(?:[’'.-][^\W\d_]+)*\.?"
NAME = rf"(?<![\w’'.-])(?:{_CAP})(?:\s+(?:(?:and|of|the|de|da|del|du|la|le|et|y)\s+){{0,2}}(?:{_CAP}))*"
# A name followed by a number, perhaps after a colon or dash: "Mali 6.52", "North Korea: 1.85", "Chad – 13,670,084".
NAME_VALUE_RE = re.compile(
    rf"(?P<name>{NAME})(?:\s*[:–—|]\s*|\s+)(?P<value>[-−]?{DIGITS})(?!\w|[.,]\d)")
# A row's year after its value, in a cell or a bracket ("Peru | 63.1 | 2022", "Peru: 63.1 (2022)"): the
# row's period, read as such.
YEAR_CELL_RE = re.compile(r"\s*(?:[|;]\s*(?:1[89]|20)\d\d(?!\w|[.,]\d)|\(\s*(?:1[89]|20)\d\d\s*\))")
# Lower-case words after a row's value describe its unit ("6.52 births per woman").
UNIT_WORDS_RE = re.compile(r"(?:\s+[a-z]+){1,4}(?=[\s,;|·•]|$)")
# What may stand between two rows: separators and the next row's rank ("6.52 | 3 Chad").
ROW_GAP_RE = re.compile(r"[\s,;|·•]*(?:(?P<rank>\d{1,3})\.?[\s)]+)?")
# A list number opening the text ("8 Fertility rate – Mali 6.52") or a rank closing the header.
LEADING_RANK_RE = re.compile(r"\s*(?P<rank>\d{1,3})\.?\s+")
TRAILING_RANK_RE = re.compile(r"(?<![\w.,])(?P<rank>\d{1,3})\.?\s+$")
RANK_RE = re.compile(r"\d{1,3}")
TRAILING_SEPARATORS_RE = re.compile(r"[\s,;|·•.]*")
# Words of a clause, which a table row has none of: auxiliaries and past tenses.
FINITE_VERB_RE = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|be|been|can|could|shall|should|may|might|must|do|does|did|"
    r"[a-z]{3,}(?<!e)ed)\b")
# Header words that name a column, not the measure ("Rank Country Population").
COLUMN_WORDS = {"rank", "ranking", "country", "countries", "nation", "state", "territory", "region", "province",
                "city", "county", "district", "municipality", "name", "pos", "position", "no", "place", "economy",
                "year", "date"}
HEADER_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9’'-]*|(?<=per\s)\d[\d,]*\d|(?<=per\s)\d")
# The only figure a header may hold, besides years: the base of a rate ("deaths per 1,000 births").
RATE_BASE_RE = re.compile(r"\bper\s\d[\d,]*")
YEAR_RE = re.compile(r"\b(?:1[89]|20)\d\d\b")
# A figure standing on its own; digits inside a word ("km2", "CO2") are part of the word.
FIGURE_RE = re.compile(r"(?<!\w)\d")
HEADER_LINE_CHARS = 80
# A single row is read only when its value looks measured rather than like a model number ("Boeing 737").
MEASURED_VALUE_RE = re.compile(r"[.,]")


def table_quantities(text: str, s0: int, s1: int, masks: list[tuple[int, int]],
                     header_above: str = "") -> tuple[list[Quantity], str]:
    """The values and ranks of a flattened table sentence, each with subject and measure ([] for other text),
    and the header a row line after it would belong to ("" when no table goes on).

    Rows without a header of their own take `header_above`, the header of the line or rows before them
    (a table flattened one row per line). A row whose value is masked (a year read as a period) yields nothing.
    """
    if FINITE_VERB_RE.search(text, s0, s1):
        return [], ""
    found: list[tuple[re.Match, Quantity, re.Match | None]] = []  # name-value pairs and the gap before each
    pos = s0
    for m in NAME_VALUE_RE.finditer(text, s0, s1):
        if m.start() < pos:
            continue
        gap = ROW_GAP_RE.fullmatch(text, pos, m.start()) if found else None
        if found and gap is None:
            return [], ""  # words between two rows: prose, not a table
        value = _value(text, m, s0, s1)
        found.append((m, value, gap))
        words = UNIT_WORDS_RE.match(text, value.end, s1)
        pos = words.end() if words else value.end
        if year := YEAR_CELL_RE.match(text, pos, s1):
            pos = year.end()
    if not found:
        return [], _header_line(text, s0, s1)
    if not TRAILING_SEPARATORS_RE.fullmatch(text, pos, s1):
        return [], ""
    if _header_holds_first_rank(found):
        found = found[1:]
    header_end = found[0][0].start()
    first_rank = TRAILING_RANK_RE.search(text, s0, header_end) or LEADING_RANK_RE.match(text, s0, header_end)
    rows = [(m, value, _rank(first_rank if i == 0 else gap if gap and gap.group("rank") else None))
            for i, (m, value, gap) in enumerate(found)]
    header = _header_words(text, s0, header_end, first_rank)
    if header == "":
        header = header_above
    if not header:
        return [], ""
    if len(rows) == 1 and not (MEASURED_VALUE_RE.search(rows[0][0].group("value")) or rows[0][1].unit):
        return [], ""
    description = "; ".join(BRACKET_RE.findall(header))
    measure = bracketed_basis(measure_key(header, header), description)
    # Only a percent is taken from the header's unit description: a currency there comes with a scale
    # ("US$ bn") that the row's bare figure does not show.
    unit = "%" if described_unit(description) == "%" else ""
    out: list[Quantity] = []
    for m, value, rank in rows:
        if overlaps(masks, value.start, value.end):
            continue
        for q, key in ((rank, f"{measure} rank".strip()), (value, measure)):
            if q is None or overlaps(masks, q.start, q.end):
                continue
            entity = entities.resolve_subject(m.group("name"))
            q.subject, q.subject_key, q.measure_text, q.measure, q.table_row = entity.name, entity.key, header, key, True
            if q is value and unit and not q.unit:
                q.unit = unit
            out.append(q)
    return out, header


def _header_holds_first_rank(found: list[tuple[re.Match, Quantity, re.Match | None]]) -> bool:
    """True when the first name-value pair is the header's last word and the first row's rank
    ("Rank Country Population 1 China 1,411 2 India 1,380"): later rows are ranked, and a bare
    integer is followed straight by the next name."""
    if len(found) < 2 or not any(gap is not None and gap.group("rank") for _, _, gap in found[2:]):
        return False
    first, second_gap = found[0], found[1][2]
    return bool(RANK_RE.fullmatch(first[0].group("value"))) and second_gap is not None and not second_gap.group("rank")


def _value(text: str, m: re.Match, s0: int, s1: int) -> Quantity:
    """The row's value with its currency, scale and unit."""
    start, end = m.span("value")
    raw = parse_digits(m.group("value"))
    q = Quantity(start, end, raw, raw=raw, confidence=0.8)
    currency_prefix(text, s0, q)
    scale_and_unit(text, s1, q)
    return q


def _rank(m: re.Match | None) -> Quantity | None:
    """A rank claim for the rank number matched by m, if any."""
    if m is None:
        return None
    start, end = m.span("rank")
    return Quantity(start, end, float(m.group("rank")), unit="rank", kind="ord", confidence=0.6)


def _header_line(text: str, s0: int, s1: int) -> str:
    """The measure words of a line that heads a table ("Rank Country Fertility rate"), else "".

    Such a line names a column ("Rank", "Country"): a plain heading is too often the title of prose.
    """
    if s1 - s0 > HEADER_LINE_CHARS or text[s1 - 1] in ".!?":
        return ""
    if not any(w.lower() in COLUMN_WORDS for w in HEADER_WORD_RE.findall(text, s0, s1)):
        return ""
    return _header_words(text, s0, s1, None) or ""


def _header_words(text: str, s0: int, end: int, rank: re.Match | None) -> str | None:
    """The header's measure words: what precedes the first row, less ranks, column names, years and debris;
    "" when nothing is left, None when a figure there makes it a statement rather than a header."""
    a, b = s0, end
    if rank is not None:
        if rank.start() == s0 or not text[s0:rank.start()].strip():
            a = rank.end()
        else:
            b = rank.start()
    header = YEAR_RE.sub(" ", text[a:b])
    if FIGURE_RE.search(RATE_BASE_RE.sub(" ", header)):
        return None
    # A bracket describes the unit ("CO2 emissions (metric tons per capita)"): kept whole, as measure_key
    # reads it apart from the measure's words.
    brackets = [f"({' '.join(b.split())})" for b in BRACKET_RE.findall(header) if b.strip()]
    words = [w for w in HEADER_WORD_RE.findall(BRACKET_RE.sub(" ", header)) if w.lower() not in COLUMN_WORDS]
    return " ".join(words + brackets) if words else ""
