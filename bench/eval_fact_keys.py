"""Score fact keys and conflict pairs on the project's own sentences.

usage: python bench/eval_fact_keys.py [--data tests/data/fact_keys.jsonl]
                                      [--pairs tests/data/conflict_pairs.jsonl] [--show N] [--json]
Fact keys: do claims about one fact get one (subject, measure)? Each row of the data file is one
document {doc, text, claims: [{quote, entity, property}]}; two labelled claims state the same fact
when they share (entity, property). The document goes through `iter_claims`, as `claimtrack
extract` does; a labelled claim is found when an extracted claim overlaps its quote. Over the found
claims, a pair is a true pair when it shares (entity, property) and a predicted pair when it shares
(subject, measure) compared without case or surrounding spaces (an empty key pairs with nothing).
Prints value recall and pairwise key precision, recall and F1.

Conflict pairs: each row {label, entity, property, a: {text, quote}, b: {text, quote}} is two
one-sentence documents, labelled conflict (both cannot be right), agree, different_period or
different_measure. Both are ingested alone into a fresh SQLite database (conflict detection runs
as on every ingest); the pair is flagged when one group in conflict holds both quoted claims.
Prints conflict recall (conflict pairs flagged) and false alarms (other pairs flagged).
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

import shutil  # noqa: E402
import tempfile  # noqa: E402

from claimtrack import conflicts, ingest, schema  # noqa: E402
from claimtrack.database import make_engine, make_sessionmaker  # noqa: E402
from claimtrack.extract import iter_claims  # noqa: E402
from claimtrack.sources import DocumentSource, Metadata  # noqa: E402

DATA = ROOT / "tests" / "data" / "fact_keys.jsonl"
PAIRS = ROOT / "tests" / "data" / "conflict_pairs.jsonl"


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


def pair_flagged(url: str, pair: dict) -> bool:
    """Ingest the pair's two sentences into the database at `url`; True when one group in conflict holds both quotes."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            spans = {}
            for side in ("a", "b"):
                text = pair[side]["text"]
                source = DocumentSource(text=text, file_name=f"{side}.txt", source="own pairs",
                                        media_type="text/plain", metadata=Metadata(title=side))
                document_id = ingest.ingest(session, source).document_id
                start = text.index(pair[side]["quote"])
                spans[side] = (document_id, start, start + len(pair[side]["quote"]))
            session.commit()
            for _, members in conflicts.iter_conflicts(session):
                held = {side for side, (doc, start, end) in spans.items()
                        if any(m.document_id == doc and m.start < end and start < m.end for m in members)}
                if held == {"a", "b"}:
                    return True
            return False
    finally:
        engine.dispose()


def score_pairs(pairs: list[dict], show: int = 0) -> dict:
    """Conflict recall and false alarms over the labelled pairs, each in a fresh SQLite database."""
    flagged = []
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "template.db"
        schema.upgrade(f"sqlite:///{template}")
        for i, pair in enumerate(pairs):
            db = Path(folder) / f"{i}.db"
            shutil.copy(template, db)
            flagged.append(pair_flagged(f"sqlite:///{db}", pair))
    conflict = [f for f, p in zip(flagged, pairs) if p["label"] == "conflict"]
    other = [f for f, p in zip(flagged, pairs) if p["label"] != "conflict"]
    wrong = [p for f, p in zip(flagged, pairs) if f != (p["label"] == "conflict")]
    for p in wrong[:show]:
        print(f"  {p['label']:18s} {'quiet' if p['label'] == 'conflict' else 'flagged'}: "
              f"{p['a']['text']!r} / {p['b']['text']!r}")
    return {"pairs": len(pairs), "conflict_recall": round(sum(conflict) / len(conflict), 3) if conflict else 0.0,
            "conflicts_found": f"{sum(conflict)}/{len(conflict)}",
            "false_alarms": round(sum(other) / len(other), 3) if other else 0.0,
            "false_alarms_of": f"{sum(other)}/{len(other)}"}


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
    ap.add_argument("--pairs", default=str(PAIRS))
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = [json.loads(line) for line in Path(args.pairs).read_text(encoding="utf-8").splitlines() if line.strip()]
    result = score(rows)
    if args.show:
        show(rows, args.show)
    paired = score_pairs(pairs, args.show)
    if args.json:
        print(json.dumps({**result, **paired}))
    else:
        print("  ".join(f"{k} {v}" for k, v in result.items()))
        print("  ".join(f"{k} {v}" for k, v in paired.items()))


if __name__ == "__main__":
    main()
