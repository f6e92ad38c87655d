"""Throughput of claimtrack.extract versus quantulum3, and peak memory of iter_claims.

usage: python bench/extract_speed.py [--mb 2] [--q3-kb 200]
The seed documents are repeated to at least --mb megabytes.  Claimtrack runs over all of it;
quantulum3 (much slower) runs over the first --q3-kb kilobytes of the same text, and both are
reported in MB/s so the ratio is like for like.  Peak memory (tracemalloc) of consuming
iter_claims is measured at two document sizes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from claimtrack.extract import iter_claims  # noqa: E402


def corpus(min_bytes: int) -> str:
    """The seeds concatenated and repeated to at least min_bytes of UTF-8."""
    base = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    reps = min_bytes // len(base.encode()) + 1
    return "\n\n".join([base] * reps)


def rate(fn, text: str) -> tuple[float, int]:
    """MB/s and number of results of fn over text."""
    t0 = time.perf_counter()
    n = fn(text)
    return len(text.encode()) / 1e6 / (time.perf_counter() - t0), n


def peak_memory(text: str) -> float:
    """Peak traced allocation in MB while streaming the claims of text (claims are not kept)."""
    tracemalloc.start()
    for _ in iter_claims(text, dt.date(2024, 5, 1)):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    """Print throughput of both extractors, their ratio, and memory at two sizes."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=2.0)
    ap.add_argument("--q3-kb", type=float, default=200.0)
    args = ap.parse_args()
    text = corpus(int(args.mb * 1e6))
    ct_rate, ct_n = rate(lambda t: sum(1 for _ in iter_claims(t, dt.date(2024, 5, 1))), text)
    print(f"claimtrack  {len(text.encode()) / 1e6:.2f} MB  {ct_rate:.2f} MB/s  {ct_n} claims")
    from quantulum3 import parser as q3
    sample = text[: int(args.q3_kb * 1000)]
    q3_rate, q3_n = rate(lambda t: sum(len(q3.parse(p)) for p in t.split("\n") if p.strip()), sample)
    print(f"quantulum3  {len(sample.encode()) / 1e6:.2f} MB  {q3_rate:.3f} MB/s  {q3_n} quantities (sample)")
    print(f"ratio       {ct_rate / q3_rate:.1f}x")
    small, large = corpus(int(args.mb * 1e6 / 4)), text
    m_small, m_large = peak_memory(small), peak_memory(large)
    print(f"peak memory iter_claims: {len(small.encode()) / 1e6:.2f} MB doc -> {m_small:.3f} MB; "
          f"{len(large.encode()) / 1e6:.2f} MB doc -> {m_large:.3f} MB")


if __name__ == "__main__":
    main()
