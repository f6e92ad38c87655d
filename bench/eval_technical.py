"""Score Claimtrack and quantulum3 on the technical development set, in the same run.

usage: python bench/eval_technical.py [--data tests/data/technical_quantities.jsonl] [--show-misses] [--out FILE]

Each row of the set is one sentence of a document (rows of one `doc` are read together, joined by
a space, so document context counts) with its annotated quantities (span, value, unit code,
uncertainty) and spans left unscored (`ignore`: quantities whose unit the set does not judge).
A prediction overlapping a gold span matches it (each once, in order); predictions overlapping
an ignored span are not counted. Overlap F1 is over all gold quantities; unit accuracy is over
the matched quantities whose gold unit is not empty, two units agreeing when pint reads them as
the same unit (or their codes are equal).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from functools import lru_cache
from pathlib import Path

import pint

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from claimtrack.extract import extract_claims  # noqa: E402
from claimtrack.extract.units import pint_expression  # noqa: E402

UREG = pint.UnitRegistry()
# Codes that are counts, not pint units, and the same code under other names.
NON_PINT = {"times": {"times", "fold"}, "ratio": {"ratio"}}


def documents(path: Path) -> list[tuple[str, list[dict], list[tuple[int, int]], list[tuple[int, int]]]]:
    """(text, gold quantities with document offsets, ignored spans, sentence spans) per document."""
    docs: dict[str, list[dict]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            docs.setdefault(row["doc"], []).append(row)
    out = []
    for rows in docs.values():
        text, gold, ignore, sentences = "", [], [], []
        for row in rows:
            base = len(text) + (1 if text else 0)
            text = f"{text} {row['text']}" if text else row["text"]
            sentences.append((base, base + len(row["text"])))
            gold += [{**q, "start": q["start"] + base, "end": q["end"] + base} for q in row["quantities"]]
            ignore += [(a + base, b + base) for a, b in row["ignore"]]
        out.append((text, gold, ignore, sentences))
    return out


@lru_cache(maxsize=None)
def _units(spelling: str):
    """pint units of a spelling, trying the forms tools write ("metre per second"), or None."""
    for form in (spelling, pint_expression(spelling), spelling.replace(" per ", "/").replace(" ", "_"),
                 spelling.replace(" per ", "/").replace(" ", "*"), spelling.replace("-", "*")):
        try:
            return UREG.parse_units(form)
        except Exception:  # noqa: BLE001 - pint raises many kinds for an unreadable spelling
            continue
    return None


def same_unit(gold: str, predicted: str) -> bool:
    """True when the predicted unit is the gold unit."""
    if gold == predicted:
        return True
    if gold in NON_PINT:
        return predicted.lower() in NON_PINT[gold]
    a, b = _units(gold), _units(predicted) if predicted else None
    if a is None or b is None:
        return False
    if a == b:
        return True
    try:
        return math.isclose(UREG.Quantity(1, a).to(b).magnitude, 1.0, rel_tol=1e-9)
    except Exception:  # noqa: BLE001 - units pint cannot convert (offset units, other dimensions) differ
        return False


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(docs, predict) -> tuple[dict, list]:
    """Overlap P/R/F1, unit and value accuracy of `predict(text, sentences)` -> [(start, end, value, unit)]."""
    gold_n = pred_n = matched = unit_n = unit_ok = value_ok = 0
    misses = []
    for text, gold, ignore, sentences in docs:
        preds = [p for p in predict(text, sentences) if not any(_overlaps((p[0], p[1]), s) for s in ignore)]
        pred_n += len(preds)
        gold_n += len(gold)
        free = list(preds)
        for g in gold:
            hit = next((p for p in free if _overlaps((p[0], p[1]), (g["start"], g["end"]))), None)
            if hit is None:
                misses.append(("missed", g["quote"], g["unit"], None, None, text[max(0, g["start"] - 30):g["end"] + 20]))
                continue
            free.remove(hit)
            matched += 1
            value_ok += math.isclose(hit[2], g["value"], rel_tol=1e-6)
            if g["unit"]:
                unit_n += 1
                ok = same_unit(g["unit"], hit[3])
                unit_ok += ok
                if not ok:
                    misses.append(("unit", g["quote"], g["unit"], text[hit[0]:hit[1]], hit[3], ""))
        misses += [("spurious", text[p[0]:p[1]], "", None, p[3], text[max(0, p[0] - 30):p[1] + 20]) for p in free]
    precision = matched / pred_n if pred_n else 0.0
    recall = matched / gold_n if gold_n else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"gold": gold_n, "predicted": pred_n, "matched": matched, "overlap_P": round(precision, 3),
            "overlap_R": round(recall, 3), "overlap_F1": round(f1, 3),
            "unit_acc": round(unit_ok / unit_n, 3) if unit_n else 0.0,
            "value_acc": round(value_ok / matched, 3) if matched else 0.0}, misses


def claimtrack(text: str, sentences) -> list[tuple[int, int, float, str]]:
    """Claimtrack's quantities of the whole document."""
    return [(c.start, c.end, c.value, c.unit) for c in extract_claims(text)]


def quantulum(text: str, sentences) -> list[tuple[int, int, float, str]]:
    """quantulum3's quantities, sentence by sentence (its parser reads one text at a time too)."""
    from quantulum3 import parser

    out = []
    for a, b in sentences:
        for q in parser.parse(text[a:b]):
            name = "" if q.unit.name == "dimensionless" else q.unit.name
            out.append((a + q.span[0], a + q.span[1], float(q.value), name))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "technical_quantities.jsonl")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = ap.parse_args()
    docs = documents(args.data)
    results = {}
    for name, predict in (("claimtrack", claimtrack), ("quantulum3", quantulum)):
        results[name], misses = score(docs, predict)
        print(name.ljust(11), "  ".join(f"{k} {v}" for k, v in results[name].items()))
        if args.show_misses and name == "claimtrack":
            for miss in misses:
                print("   ", miss)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
