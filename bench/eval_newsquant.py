"""Score the extractor on NewsQuant (each sentence extracted on its own).

usage: python bench/eval_newsquant.py [--data /work/shared/eval/newsquant.json] [--show-misses]
Writes /tmp/claimtrack_newsquant_preds.jsonl and runs the shared scorer on it.

The scorer lower-cases unit strings before handing them to pint, so case-sensitive symbols
such as "GB" or "kW" would be lost; predictions therefore carry pint's long unit names
("gigabyte", "kilowatt") derived from the extractor's canonical codes.  Nothing else is
adapted: values, ranges, qualifiers and changes are the extractor's own.
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
PER_WORDS = {"a": "year", "month": "month", "week": "week", "share": "share", "bbl": "barrel", "gal": "gallon"}


@lru_cache(maxsize=None)
def long_unit(code: str) -> str:
    """Spell a canonical unit code the way the scorer's canonicaliser reads it."""
    if not code or code in ("%", "pp", "bp", "rank", "times", "point", "TEU") or code.isupper() or "-" in code or " of " in code:
        return {"TEU": "teu", "times": "times", "rank": "rank"}.get(code, code)
    base, _, per = code.partition("/")
    if base.isupper() and per in PER_WORDS:
        return f"{base} per {PER_WORDS[per]}"
    if code in ("degC", "degF"):
        return {"degC": "celsius", "degF": "fahrenheit"}[code]
    try:
        text = str(UREG.parse_units(code))
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError, AttributeError):
        return code
    text = re.sub(r"(\w+) \*\* 2", r"square \1", text)
    text = re.sub(r"(\w+) \*\* 3", r"cubic \1", text)
    return text.replace(" / ", " per ").replace(" * ", " ")


def main() -> None:
    """Write predictions for each NewsQuant sentence and print the scorer's report."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/eval/newsquant.json")
    ap.add_argument("--scorer", default="/work/shared/eval/newsquant_score.py")
    ap.add_argument("--out", default="/tmp/claimtrack_newsquant_preds.jsonl")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    data = json.loads(Path(args.data).read_text())
    with open(args.out, "w") as fh:
        for i, sent in enumerate(data):
            for c in extract_claims(sent["text"]):
                fh.write(json.dumps({
                    "sentence": i, "value": c.value, "value_max": c.value_max,
                    "unit": long_unit(c.unit), "qualifier": c.qualifier, "change": c.change,
                    "text": c.quote,
                }) + "\n")
    cmd = [sys.executable, args.scorer, args.data, args.out] + (["--show-misses"] if args.show_misses else [])
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
