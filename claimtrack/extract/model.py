"""The records of extraction: a quantity being assembled, and the extracted claim."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class Quantity:
    """A quantity being assembled for one sentence."""

    start: int
    end: int
    value: float
    value_max: float | None = None
    unit: str = ""
    kind: str = "dig"  # dig | word | frac | ord | vague (an order of magnitude: "tens of thousands")
    currency: bool = False
    qualifier: str = "="
    change: str | None = None
    period: tuple[dt.date | None, dt.date | None] = (None, None)
    measure_text: str = ""
    measure: str = ""
    subject: str = ""
    subject_key: str = ""
    measure_variant: str = ""
    guessed_subject: bool = False
    confidence: float = 0.9
    uncertainty: float | None = None  # the stated tolerance: 0.2 for "5 ± 0.2 K", 0.002 for "5.431(2)"
    raw: float | None = None  # value of the number token alone, before scale words
    spaced: bool = False  # unit is a one-letter symbol written apart ("5 W"): checked like a bare number
    drop: bool = False  # recognised but not a claim (a sports score): consumed, not emitted
    table_row: bool = False  # read from a flattened table row, which gave its subject and measure
    moved_from: int | None = None  # start of the earlier level this one moved from ("fell from $5 to $4")


@dataclass(frozen=True, slots=True)
class Dropped:
    """A number found in the text and refused as a claim, with the rule that refused it."""

    start: int
    end: int
    quote: str
    reason: str

    def to_json(self, doc: str) -> dict:
        """JSON-ready dict for `claimtrack extract --explain`."""
        return {"doc": doc, "dropped": True, "start": self.start, "end": self.end, "text": self.quote,
                "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ExtractedClaim:
    """One quantitative claim: the quantity, what it measures, of whom, and when."""

    start: int
    end: int
    quote: str
    value: float
    value_max: float | None
    unit: str
    qualifier: str
    change: str | None
    period_start: dt.date | None
    period_end: dt.date | None
    subject: str
    measure: str
    measure_text: str
    kind: str
    confidence: float
    sentence_start: int
    sentence_end: int
    subject_key: str = ""  # canonical key of the subject (see entities.subject_key)
    measure_variant: str = ""  # the measure's variant from its unit description ("current international $")
    uncertainty: float | None = None  # the stated tolerance ("± 0.2"), in the claim's unit
    moved_from: int | None = None  # start offset of the claim stating the level this one moved from

    def to_json(self, doc: str) -> dict:
        """JSON-ready dict for the CLI and the scorers (dates as ISO strings)."""
        return {
            "doc": doc,
            "start": self.start,
            "end": self.end,
            "text": self.quote,
            "value": self.value,
            "value_max": self.value_max,
            "uncertainty": self.uncertainty,
            "unit": self.unit,
            "qualifier": self.qualifier,
            "change": self.change,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "subject": self.subject,
            "subject_key": self.subject_key,
            "measure": self.measure,
            "measure_variant": self.measure_variant,
            "kind": self.kind,
            "confidence": self.confidence,
            "moved_from": self.moved_from,
        }
