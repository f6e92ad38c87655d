"""The extracted-claim record."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

QUALIFIERS = ("=", "~", ">", ">=", "<", "<=")
KINDS = ("fact", "target", "projection")


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

    def to_json(self, doc: str) -> dict:
        """JSON-ready dict for the CLI and the scorers (dates as ISO strings)."""
        return {
            "doc": doc,
            "start": self.start,
            "end": self.end,
            "text": self.quote,
            "value": self.value,
            "value_max": self.value_max,
            "unit": self.unit,
            "qualifier": self.qualifier,
            "change": self.change,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "subject": self.subject,
            "measure": self.measure,
            "kind": self.kind,
            "confidence": self.confidence,
        }
