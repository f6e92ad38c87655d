"""Score the extractor on the seed documents against the dev gold.

usage: python bench/eval_seeds.py [--gold ../shared/eval/gold_dev.jsonl] [--out /tmp/claimtrack_seed_preds.jsonl]
Reads seeds/ the way `claimtrack extract` does (published dates from seeds/metadata.json),
writes one prediction per line, then runs the shared scorer on it.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from claimtrack.ingest import prepare  # noqa: E402
from claimtrack.sources import find_documents, read_document  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


def main() -> None:
    """Write predictions for every seed and print the scorer's report."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", default=str(EVAL / "gold_dev.jsonl"))
    ap.add_argument("--scorer", default=str(EVAL / "score.py"))
    ap.add_argument("--out", default="/tmp/claimtrack_seed_preds.jsonl")
    ap.add_argument("--docs", default="000,001")
    args = ap.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as fh:
        for found in find_documents([ROOT / "seeds"]):
            for claim in prepare(read_document(found.path)).claims:
                fh.write(json.dumps(claim.to_json(found.path.name)) + "\n")
    cmd = [sys.executable, args.scorer, args.gold, str(out)]
    if args.docs:
        cmd += ["--docs", args.docs]
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
