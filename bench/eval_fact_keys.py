"""Score fact keys on the project's own sentences: do claims about one fact get one (subject, measure)?

usage: python bench/eval_fact_keys.py [--data tests/data/fact_keys.jsonl] [--show N] [--json]
Each row of the data file is one document {doc, text, claims: [{quote, entity, property}]}; two
labelled claims state the same fact when they share (entity, property). The document goes through
`iter_claims`, as `claimtrack extract` does; a labelled claim is found when an extracted claim
overlaps its quote. Over the found claims, a pair is a true pair when it shares (entity, property)
and a predicted pair when it shares (subject, measure) compared without case or surrounding spaces
(an empty key pairs with nothing). Prints value recall and pairwise key precision, recall and F1.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from claimtrack.extract import iter_claims  # noqa: E402

DATA = ROOT / "tests" / "data" / "fact_keys.jsonl"


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def found_claims(rows: list[dict]) -> list[tuple[tuple[str, str], tuple[str, str], str]]:
    """(gold fact, predicted key, sentence) for every labelled claim an extracted claim overlaps."""
    out = []
    for row in rows:
        extracted = list(iter_claims(row["text"]))
        for gold in row["claims"]:
            start = row["text"].index(gold["quote"])
            end = start + len(gold["quote"])
            hit = next((c for c in extracted if c.start < end and start < c.end), None)
            if hit:
                key = (hit.subject.strip().lower(), hit.measure.strip().lower())
                out.append(((gold["entity"], gold["property"]), key, row["text"]))
    return out


def score(rows: list[dict]) -> dict:
    """Value recall and pairwise fact-key precision, recall and F1."""
    found = found_claims(rows)
    labelled = sum(len(r["claims"]) for r in rows)
    both = sum(_pairs(n) for (_, key), n in Counter((f, k) for f, k, _ in found).items() if key != ("", ""))
    same_fact = sum(_pairs(n) for n in Counter(f for f, _, _ in found).values())
    same_key = sum(_pairs(n) for key, n in Counter(k for _, k, _ in found).items() if key != ("", ""))
    precision = both / same_key if same_key else 0.0
    recall = both / same_fact if same_fact else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"claims": labelled, "value_recall": round(len(found) / labelled, 3) if labelled else 0.0,
            "key_P": round(precision, 3), "key_R": round(recall, 3), "key_F1": round(f1, 3)}


def show(rows: list[dict], n: int) -> None:
    """Print up to n pairs of each kind of error."""
    found = found_claims(rows)
    split = [(a, b) for a, b in itertools.combinations(found, 2) if a[0] == b[0] and a[1] != b[1]]
    merged = [(a, b) for a, b in itertools.combinations(found, 2)
              if a[0] != b[0] and a[1] == b[1] and a[1] != ("", "")]
    for title, pairs in (("same fact, different keys", split), ("same key, different facts", merged)):
        print(f"== {title}: {len(pairs)} pairs")
        for a, b in pairs[:n]:
            for fact, key, text in (a, b):
                print(f"  {text[:110]!r}\n    {fact} -> subject {key[0]!r} measure {key[1]!r}")
            print()


def main() -> None:
    """Score the data file and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    result = score(rows)
    if args.json:
        print(json.dumps(result))
    else:
        print("  ".join(f"{k} {v}" for k, v in result.items()))
    if args.show:
        show(rows, args.show)


if __name__ == "__main__":
    main()
