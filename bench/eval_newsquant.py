"""Score the extractor on NewsQuant (each sentence extracted on its own).

usage: python bench/eval_newsquant.py [--data ../shared/eval/newsquant.json] [--show-misses]
Writes /tmp/claimtrack_newsquant_preds.jsonl and runs the shared scorer on it.

The scorer lower-cases unit strings before handing them to pint, so case-sensitive symbols
such as "GB" or "kW" would be lost; predictions therefore carry pint's long unit names
("gigabyte", "kilowatt") derived from the extractor's canonical codes.  Two notations of
NewsQuant's differ from the extractor's records and are written NewsQuant's way (`--own-notation`
scores the records as they are):

* a movement from one level to another ("fell from $2,415 to $2,315") is one NewsQuant quantity
  with both levels ("2415-2315"); the extractor records two claims, the later one's `moved_from`
  naming the earlier, and the pair is written as that one quantity;
* a fraction written in words ("a third of", "half the") is annotated as the fraction (0.333);
  the extractor records it in percent (33.333 %), which is divided back by 100.

Values, ranges, qualifiers and changes are otherwise the extractor's own.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pint

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from claimtrack.extract import extract_claims  # noqa: E402

UREG = pint.UnitRegistry()
PER_WORDS = {"a": "year", "yr": "year", "month": "month", "week": "week", "share": "share", "bbl": "barrel",
             "gal": "gallon", "d": "day", "h": "hour", "oz": "ounce", "m2": "square metre", "ft2": "square foot"}


# Codes whose pint spelling the scorer cannot read back, spelled the way its canonicaliser does.
SCORER_SPELLING = {
    "TEU": "teu", "times": "times", "rank": "rank", "USD-cent": "cent", "MYR-sen": "sen",
    "GBP-pence": "pence", "bp": "basis point", "h*mA": "milliampere-hour", "ft*lbf": "pound-foot", "lb": "pound-mass",
    "ksi": "kilopound per square inch", "rpm": "revolutions per minute", "degC": "celsius",
    "degF": "fahrenheit",
}
ISO_CURRENCIES = {"USD", "HKD", "AUD", "CAD", "NZD", "SGD", "BRL", "EUR", "GBP", "JPY", "INR", "CNY",
                  "MYR", "KRW", "CHF", "ILS", "DKK", "RUB", "MXN", "ZAR"}


@lru_cache(maxsize=None)
def long_unit(code: str) -> str:
    """Spell a canonical unit code the way the scorer's canonicaliser reads it."""
    if code in SCORER_SPELLING:
        return SCORER_SPELLING[code]
    base, _, per = code.partition("/")
    if per and base == "times":
        return f"count per {UREG.parse_units(per)}"  # "78,000 times a minute": a frequency
    if per and (base in ISO_CURRENCIES or base in SCORER_SPELLING):
        return f"{long_unit(base)} per {PER_WORDS.get(per, per)}"
    if not code or code in ("%", "pp", "point") or code in ISO_CURRENCIES or " of " in code:
        return code
    try:
        text = str(UREG.parse_units(re.sub(r"([a-z])([23])\b", r"\1**\2", code)))
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError, AttributeError, TypeError):
        return code
    text = re.sub(r"(\w+) \*\* 2", r"square \1", text)
    text = re.sub(r"(\w+) \*\* 3", r"cubic \1", text)
    return text.replace(" / ", " per ").replace(" * ", " ")


FRACTION_QUOTE_RE = re.compile(r"%|percent|per\s*cent|pct|\d", re.I)


def _row(i: int, c, value: float, value_max: float | None, unit: str) -> dict:
    return {"sentence": i, "value": value, "value_max": value_max, "unit": long_unit(unit),
            "qualifier": c.qualifier, "change": c.change, "text": c.quote}


def _notation(c) -> tuple[float, str]:
    """A claim's value and unit in NewsQuant's notation: a fraction in words as the fraction itself."""
    if c.unit == "%" and c.value_max is None and not FRACTION_QUOTE_RE.search(c.quote):
        return round(c.value / 100, 9), ""
    return c.value, c.unit


def newsquant_rows(i: int, claims: list) -> list[dict]:
    """The predictions for sentence `i` in NewsQuant's notation (see the module docstring)."""
    by_start = {c.start: c for c in claims}
    moves = [(by_start[c.moved_from], c) for c in claims if c.moved_from in by_start]
    in_move = {id(c) for pair in moves for c in pair}
    rows = []
    for c in claims:
        if id(c) in in_move:
            continue
        value, unit = _notation(c)
        rows.append(_row(i, c, value, c.value_max if unit == c.unit else None, unit))
    for earlier, later in moves:
        (before, unit), (after, _) = _notation(earlier), _notation(later)
        row = _row(i, later, before, after, unit or later.unit)
        row["text"] = f"{earlier.quote} .. {later.quote}"
        rows.append(row)
    return rows


def main() -> None:
    """Write predictions for each NewsQuant sentence and print the scorer's report."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "eval" / "newsquant.json"))
    ap.add_argument("--scorer", default=str(ROOT.parent / "shared" / "eval" / "newsquant_score.py"))
    ap.add_argument("--out", default="/tmp/claimtrack_newsquant_preds.jsonl")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--own-notation", action="store_true", help="write each claim as it is recorded")
    args = ap.parse_args()
    data = json.loads(Path(args.data).read_text())
    with open(args.out, "w") as fh:
        for i, sent in enumerate(data):
            claims = extract_claims(sent["text"])
            rows = ([_row(i, c, c.value, c.value_max, c.unit) for c in claims] if args.own_notation
                    else newsquant_rows(i, claims))
            for row in rows:
                fh.write(json.dumps(row) + "\n")
    cmd = [sys.executable, args.scorer, args.data, args.out] + (["--show-misses"] if args.show_misses else [])
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
