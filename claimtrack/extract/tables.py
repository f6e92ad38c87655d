"""Flattened table rows: "Rank Country Value" text read as claims about each row's name.

A table copied out of a web page loses its cells and reads "Fertility rate 1 Niger 7.6 2 Mali 6.52":
a header naming the measure, then rows of an optional rank, a name and a value. Such a sentence has
no verb, and every stretch of it is the header, a row, or a separator. Each row's value becomes a
claim about the entity the row names and whose measure is the header's words; a row's
rank becomes a rank claim of the same measure.
"""
from __future__ import annotations

import re

from . import entities
from .measures import measure_key
from .model import Quantity
from .numbers import parse_digits
from .quantity import overlaps
from .units import currency_prefix, scale_and_unit

# A row's name: capitalised words, with the joining words of names ("Bosnia and Herzegovina").
_CAP = r"(?:[dl][’'])?[A-Z][^\W\d_]*(?:[’'.-][^\W\d_]+)*\.?"
NAME = rf"(?<![\w’'.-])(?:{_CAP})(?:\s+(?:(?:and|of|the|de|da|del|du|la|le|et|y)\s+){{0,2}}(?:{_CAP}))*"
# A name followed by a number, perhaps after a colon or dash: "Mali 6.52", "North Korea: 1.85", "Chad – 13,670,084".
NAME_VALUE_RE = re.compile(
    rf"(?P<name>{NAME})(?:\s*[:–—]\s*|\s+)(?P<value>[-−]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)(?!\w|[.,]\d)")
# Lower-case words after a row's value describe its unit ("6.52 births per woman").
UNIT_WORDS_RE = re.compile(r"(?:\s+[a-z]+){1,4}(?=[\s,;|·•]|$)")
# What may stand between two rows: separators and the next row's rank ("6.52 | 3 Chad").
ROW_GAP_RE = re.compile(r"[\s,;|·•]*(?:(?P<rank>\d{1,3})\.?[\s)]+)?")
# A list number opening the text ("8 Fertility rate – Mali 6.52") or a rank closing the header.
LEADING_RANK_RE = re.compile(r"\s*(?P<rank>\d{1,3})\.?\s+")
TRAILING_RANK_RE = re.compile(r"(?<![\w.,])(?P<rank>\d{1,3})\.?\s+$")
TRAILING_SEPARATORS_RE = re.compile(r"[\s,;|·•.]*")
# Words of a clause, which a table row has none of: auxiliaries and past tenses.
FINITE_VERB_RE = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|be|been|can|could|shall|should|may|might|must|do|does|did|"
    r"[a-z]{3,}(?<!e)ed)\b")
# Header words that name a column, not the measure ("Rank Country Population").
COLUMN_WORDS = {"rank", "ranking", "country", "countries", "nation", "state", "territory", "name", "pos", "position",
                "no", "place", "economy", "#"}
HEADER_WORD_RE = re.compile(r"[A-Za-z][A-Za-z’'-]*|(?<=per\s)\d[\d,]*\d|(?<=per\s)\d")
# The only figure a header may hold, besides years: the base of a rate ("deaths per 1,000 births").
RATE_BASE_RE = re.compile(r"\bper\s\d[\d,]*")
YEAR_RE = re.compile(r"\b(?:1[89]|20)\d\d\b")
DIGIT_RE = re.compile(r"\d")
# A single row is read only when its value looks measured rather than like a model number ("Boeing 737").
MEASURED_VALUE_RE = re.compile(r"[.,]")


def table_quantities(text: str, s0: int, s1: int, masks: list[tuple[int, int]]) -> list[Quantity]:
    """The values and ranks of a flattened table sentence, each with subject and measure; [] for other text.

    A row whose value is masked (a year read as a period) yields nothing.
    """
    if FINITE_VERB_RE.search(text, s0, s1):
        return []
    rows: list[tuple[re.Match, Quantity, Quantity | None]] = []
    pos = s0
    first_rank: re.Match | None = None
    for m in NAME_VALUE_RE.finditer(text, s0, s1):
        if m.start() < pos:
            continue
        gap = ROW_GAP_RE.fullmatch(text, pos, m.start()) if rows else None
        if rows and gap is None:
            return []  # words between two rows: prose, not a table
        value = _value(text, m, s0, s1)
        rank_match = gap if gap is not None and gap.group("rank") else None
        if not rows:
            header_end = m.start()
            first_rank = TRAILING_RANK_RE.search(text, s0, header_end) or LEADING_RANK_RE.match(text, s0, header_end)
            rank_match = first_rank
        rows.append((m, value, _rank(rank_match)))
        words = UNIT_WORDS_RE.match(text, value.end, s1)
        pos = words.end() if words else value.end
    if not rows or not TRAILING_SEPARATORS_RE.fullmatch(text, pos, s1):
        return []
    header = _header_words(text, s0, rows[0][0].start(), first_rank)
    if not header:
        return []
    if len(rows) == 1 and not (MEASURED_VALUE_RE.search(rows[0][0].group("value")) or rows[0][1].unit):
        return []
    measure = measure_key(header, header)
    out: list[Quantity] = []
    for m, value, rank in rows:
        if overlaps(masks, value.start, value.end):
            continue
        for q, key in ((rank, f"{measure} rank".strip()), (value, measure)):
            if q is None or overlaps(masks, q.start, q.end):
                continue
            entity = entities.resolve_subject(m.group("name"))
            q.subject, q.subject_key, q.measure_text, q.measure, q.table_row = entity.name, entity.key, header, key, True
            out.append(q)
    return out


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


def _header_words(text: str, s0: int, end: int, rank: re.Match | None) -> str:
    """The header's measure words (what precedes the first row, less ranks, column names, years and debris),
    or "" when no header names a measure."""
    a, b = s0, end
    if rank is not None:
        if rank.start() == s0 or not text[s0:rank.start()].strip():
            a = rank.end()
        else:
            b = rank.start()
    header = YEAR_RE.sub(" ", text[a:b])
    if DIGIT_RE.search(RATE_BASE_RE.sub(" ", header)):
        return ""  # a figure before the rows: a statement, not a header
    return " ".join(w for w in HEADER_WORD_RE.findall(header) if w.lower() not in COLUMN_WORDS)
