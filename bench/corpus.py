"""What the request benchmarks share: a database holding bench.generate's corpus, and latency percentiles."""
import statistics
import time

import sqlalchemy as sa

from claimtrack.database import make_engine
from models import Claim

from .generate import generate


def ensure_corpus(url: str, claims: int) -> int:
    """Generate `claims` claims into the database at `url` unless it holds some already; return how many it holds."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            have = connection.scalar(sa.select(sa.func.count()).select_from(Claim))
    except sa.exc.DatabaseError:  # no schema yet: generate() creates it
        have = 0
    finally:
        engine.dispose()
    if not have:
        started = time.perf_counter()
        generate(url, claims=claims)
        print(f"  generated {claims:,} claims in {time.perf_counter() - started:.0f} s", flush=True)
        return claims
    if have != claims:
        print(f"  the database holds {have:,} claims, not {claims:,}: measuring it as it is", flush=True)
    return have


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95, p99 and mean of `samples` (seconds) in milliseconds."""
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": statistics.fmean(ordered) * 1000}
