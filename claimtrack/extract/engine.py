"""Sentence-by-sentence claim extraction: find the quantities of each sentence, then read their context.

Quantity finding is in `quantity` (with `labels` and `units`), context in `context`, and what a
quantity measures and of whom in `measures`.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Callable, Iterator

from .context import (
    RESPECTIVELY_RE, DocState, assign_period, claim_kinds, coordinate, describe_unit, link_movements, qualify, respectively,
    share_units, update_carry,
)
from .measures import assign_measure, tally_subjects
from .model import Dropped, ExtractedClaim
from .periods import find_periods
from .quantity import find_quantities, overlaps
from .symbols import UnitContext, is_technical, read_symbols
from .units import SYMBOL_UNITS
from .sentences import Sentence, iter_sentences
from .tables import table_quantities

EXTRACTOR_VERSION = "rules-1.10"
PRESCAN_CHARS = 20000
# Sentences of the opening that must read as technical text for the whole document to count as such.
TECHNICAL_DOCUMENT_SENTENCES = 2
YEAR_RE = re.compile(r"\d{4}")
# Years read as a period, and the numbers of a list or range running on after them to a unit symbol
# ("bands at 1650 and 1540 cm−1", "between 1850 and 2600 m"): such numbers are quantities.
YEARS_RE = re.compile(r"(?:(?:between|from)\s+)?\d{4}(?:\s*,\s*\d{4})*(?:\s*(?:,?\s*and|to|–|-)\s*\d{4})?", re.I)
# The tail is of year-like numbers too, and a comma continues it only into a list closed by "and"/"or"
# ("1450, 1600 and 1720 cm−1"; "In 2019, 5 m of snow" is a year and a clause).
LIST_TAIL_RE = re.compile(r"(?:\s*(?:,\s*(?=(?:\d{4}\s*,\s*)*\d{4}\s*,?\s*(?:and|or)\b)|and|or|to|–|-)\s*\d{4}(?:\.\d+)?)*")


# Told of a sentence the rules failed on: its start offset and the exception.
ErrorHandler = Callable[[int, Exception], None]
# Told of each number refused as a claim, with the rule that refused it.
DropHandler = Callable[[Dropped], None]


def iter_claims(text: str, published: dt.date | None = None, on_error: ErrorHandler | None = None,
                on_drop: DropHandler | None = None) -> Iterator[ExtractedClaim]:
    """Yield the claims of `text` sentence by sentence (memory does not grow with the text).

    A rule that raises stops the iteration, unless `on_error` is given: then the sentence is
    skipped and `on_error(sentence_start, exception)` is called, so one bad sentence cannot cost
    a whole document in production while every crash stays visible to the caller. `on_drop`, when
    given, is told of every number refused as a non-claim (a citation, a label, a unit exponent ...).
    """
    if not isinstance(text, str):
        return
    state = DocState(published if isinstance(published, dt.date) else None)
    if len(text) <= PRESCAN_CHARS:
        # The whole document is its opening: split once, for the subject tally, the technical test and
        # the claims. Its opening up to the last sentence's end splits into the same sentences, as only
        # white space follows.
        state.sentences = tuple(iter_sentences(text))
    _prescan_subjects(text, state)
    for sent in state.sentences if state.sentences is not None else iter_sentences(text):
        if on_error is None:
            yield from _sentence_claims(text, sent, state, on_drop)
            continue
        try:
            claims = _sentence_claims(text, sent, state, on_drop)
        except Exception as exc:  # noqa: BLE001 - handed to on_error, which logs and counts it
            on_error(sent.start, exc)
            continue
        yield from claims


def _prescan_subjects(text: str, state: DocState) -> None:
    """Tally subjects over the document's opening (bounded), so the first claims of a document get the
    subject the document is about rather than whichever name happened to come first."""
    limit = min(len(text), PRESCAN_CHARS)
    end = 0
    for sent in state.sentences if state.sentences is not None else iter_sentences(text[:limit]):
        if sent.end >= limit and limit < len(text):
            break
        tally_subjects(text, sent.start, sent.end, state)
        end = sent.end
    state.prescanned_to = end


def _technical_document(text: str, state: DocState) -> bool:
    """True when enough sentences of the document's opening read as technical text (worked out once, when asked)."""
    if state.technical is None:
        count = 0
        opening = state.sentences if state.sentences is not None else iter_sentences(text[:state.prescanned_to])
        for sent in opening:
            count += is_technical(text[sent.start:sent.end], SYMBOL_UNITS)
            if count >= TECHNICAL_DOCUMENT_SENTENCES:
                break
        state.technical = count >= TECHNICAL_DOCUMENT_SENTENCES
    return state.technical


def _years_take_unit(text: str, start: int, end: int, s1: int, ctx: UnitContext) -> bool:
    """True when what reads as years is a list or range of numbers whose unit symbol follows it."""
    if not YEARS_RE.fullmatch(text, start, end):
        return False
    # A single year may open the list ("at 1650 and 1540 cm−1"); a span of years is complete, and what
    # follows a comma after it is the next clause ("From 1990 to 2020, 5 mm fell").
    tail = LIST_TAIL_RE.match(text, end, s1) if YEAR_RE.fullmatch(text, start, end) else None
    return bool(read_symbols(text, tail.end() if tail else end, s1, SYMBOL_UNITS, ctx)[0])


def extract_claims(text: str, published: dt.date | None = None) -> list[ExtractedClaim]:
    """All claims of `text` as a list."""
    return list(iter_claims(text, published))


def _sentence_claims(text: str, sent: Sentence, state: DocState,
                     on_drop: DropHandler | None = None) -> list[ExtractedClaim]:
    """Claims of one sentence, updating the document state."""
    s0, s1 = sent.start, sent.end
    if sent.new_paragraph:
        state.carry = None
    ctx = UnitContext(sentence=text[s0:s1], table=SYMBOL_UNITS, document=lambda: _technical_document(text, state))
    # "from 63 to 2000 µm", "at 1650 and 1540 cm−1": numbers that take a unit symbol are quantities, not years.
    periods = [p for p in find_periods(text, s0, s1, state.published) if not _years_take_unit(text, p.start, p.end, s1, ctx)]
    masks = [(p.start, p.end) for p in periods]
    if s0 >= state.prescanned_to:
        tally_subjects(text, s0, s1, state)
    dropped: list[Dropped] | None = [] if on_drop else None
    quants = find_quantities(text, s0, s1, masks, dropped, ctx)
    table, state.table_header = table_quantities(text, s0, s1, masks, state.table_header)
    if table:
        # A figure in a table's header is part of its measure ("deaths per 1,000 people"), not a claim.
        header_end = min(q.start for q in table if q.kind != "ord")
        spans = [(q.start, q.end) for q in table] + [(s0, header_end)]
        quants = sorted([q for q in quants if not overlaps(spans, q.start, q.end)] + table, key=lambda q: q.start)
    if not quants:
        update_carry(state, periods)
        _report_drops(dropped, on_drop)
        return []
    share_units(text, s0, s1, quants)
    for q in quants:
        qualify(text, s0, s1, q)
    coordinate(text, quants)
    link_movements(text, quants)
    sentence = text[s0:s1]
    kinds = claim_kinds(text, s0, s1, quants, periods, state.published)
    for q in quants:
        assign_period(text, s0, q, periods, state, quants)
        if not q.table_row:
            assign_measure(text, s0, s1, q, quants, periods, state, sentence)
            describe_unit(text, s0, q, quants)
    if RESPECTIVELY_RE.search(sentence):
        respectively(text, s0, quants, periods)
    update_carry(state, periods)
    out = []
    for q, kind in zip(quants, kinds):
        if not math.isfinite(q.value) or (q.value_max is not None and not math.isfinite(q.value_max)):
            continue
        out.append(ExtractedClaim(
            start=q.start, end=q.end, quote=text[q.start:q.end], value=q.value, value_max=q.value_max,
            unit=q.unit, qualifier=q.qualifier, change=q.change, period_start=q.period[0],
            period_end=q.period[1], subject=q.subject, measure=q.measure, measure_text=q.measure_text,
            subject_key=q.subject_key, measure_variant=q.measure_variant, uncertainty=q.uncertainty, moved_from=q.moved_from,
            kind=kind, confidence=round(max(0.05, min(0.99, q.confidence)), 2),
            sentence_start=s0, sentence_end=s1,
        ))
    _report_drops(dropped, on_drop)
    return out


def _report_drops(dropped: list[Dropped] | None, on_drop: DropHandler | None) -> None:
    """Tell `on_drop` of a sentence's refused numbers once the sentence is done (none for a sentence that failed)."""
    if on_drop and dropped:
        for d in dropped:
            on_drop(d)
