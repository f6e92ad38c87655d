"""Score the extractor on the seed documents against the dev gold.

usage: python bench/eval_seeds.py [--gold /work/shared/eval/gold_dev.jsonl] [--out /tmp/claimtrack_seed_preds.jsonl]
Runs claimtrack.extract over seeds/*.txt with the published dates from seeds/metadata.json,
writes one prediction per line, then runs the shared scorer on it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from claimtrack.extract import extract_claims  # noqa: E402


def main() -> None:
    """Write predictions for every seed and print the scorer's report."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", default="/work/shared/eval/gold_dev.jsonl")
    ap.add_argument("--scorer", default="/work/shared/eval/score.py")
    ap.add_argument("--out", default="/tmp/claimtrack_seed_preds.jsonl")
    ap.add_argument("--docs", default="000,001")
    args = ap.parse_args()
    meta = {m["file"]: m for m in json.loads((ROOT / "seeds" / "metadata.json").read_text())}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as fh:
        for path in sorted((ROOT / "seeds").glob("*.txt")):
            published = meta.get(path.name, {}).get("published")
            pub = dt.date.fromisoformat(published) if published else None
            for claim in extract_claims(path.read_text(encoding="utf-8"), pub):
                fh.write(json.dumps(claim.to_json(path.name)) + "\n")
    cmd = [sys.executable, args.scorer, args.gold, str(out)]
    if args.docs:
        cmd += ["--docs", args.docs]
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
