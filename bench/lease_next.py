"""Time to lease the next claim (`claimtrack.queue.lease_next` + commit) at 1M claims.

A service-call benchmark, not HTTP. Each sample leases the next claim for a reviewer and commits;
between samples (untimed) the claim is marked decided and the lease dropped, as a decision would.
In the same run, on the same connection, it times two references: a bare `SELECT 1` round trip and
a primary-key lookup of a claim, each in its own committed transaction, and reports the ratios.

    python bench/lease_next.py --sqlite /tmp/bench.db --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python bench/lease_next.py --claims 100000 --samples 200 --reviewers 8
    python bench/lease_next.py --order confidence   # one of the orders a lead may choose

An empty database is filled on first use by `bench.generate` (its working mix: about 60% of
the claims pending, some in open conflicts, live leases and skips) and reused after that.
"""
import argparse
import random
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import ensure_corpus, percentiles  # noqa: E402
from claimtrack import accounts, queue, team  # noqa: E402
from claimtrack.database import make_engine, make_sessionmaker  # noqa: E402
from models import Claim, Lease, User  # noqa: E402


def _prepare(url: str, claims: int) -> None:
    ensure_corpus(url, claims)


def _reviewer(session, name: str) -> User:
    user = accounts.find_user(session, name) or accounts.create_user(session, name, "bench-password", "reviewer")
    session.commit()
    return user


def _run_reviewer(url: str, name: str, samples: int, out: dict, barrier: threading.Barrier | None,
                  order: str | None = None) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0) if url.startswith("postgresql") else make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    lease_times, select1_times, pk_times = [], [], []
    rng = random.Random(name)
    try:
        with sessionmaker() as session:
            user = _reviewer(session, name)
            max_id = session.scalar(sa.select(sa.func.max(Claim.id)))
            session.commit()
            if barrier:
                barrier.wait()
            for _ in range(samples):
                now = datetime.now(timezone.utc)
                started = time.perf_counter()
                claim_id = queue.lease_next(session, user, now, timedelta(minutes=15), order=order)
                session.commit()
                lease_times.append(time.perf_counter() - started)
                if claim_id is None:
                    break
                session.execute(sa.update(Claim).where(Claim.id == claim_id).values(status="verified"))
                session.execute(sa.delete(Lease).where(Lease.claim_id == claim_id))
                session.commit()

                started = time.perf_counter()
                session.execute(sa.text("SELECT 1")).scalar()
                session.commit()
                select1_times.append(time.perf_counter() - started)

                started = time.perf_counter()
                session.execute(sa.select(Claim.status).where(Claim.id == rng.randint(1, max_id))).scalar()
                session.commit()
                pk_times.append(time.perf_counter() - started)
    finally:
        engine.dispose()
    out[name] = (lease_times, select1_times, pk_times)


def _restore(url: str) -> None:
    """Put the claims this benchmark decided back in the queue, so runs are repeatable."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            # Its decisions set no reviewer, unlike every decided claim the generator wrote.
            connection.execute(sa.update(Claim).where(Claim.status != "pending", Claim.reviewed_by_id.is_(None))
                               .values(status="pending"))
            connection.execute(sa.delete(Lease).where(
                Lease.user_id.in_(sa.select(User.id).where(User.username.like("bench%")))))
    finally:
        engine.dispose()


def bench(label: str, url: str, claims: int, samples: int, reviewers: int, order: str | None = None) -> dict:
    """Run the benchmark on one database and print a summary line."""
    print(f"{label}: preparing {claims:,} claims", flush=True)
    _prepare(url, claims)
    _restore(url)
    out: dict = {}
    barrier = threading.Barrier(reviewers) if reviewers > 1 else None
    threads = [threading.Thread(target=_run_reviewer, args=(url, f"bench{i}", samples, out, barrier, order))
               for i in range(reviewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _restore(url)
    lease = [t for times in out.values() for t in times[0]]
    select1 = [t for times in out.values() for t in times[1]]
    pk = [t for times in out.values() for t in times[2]]
    result = {"lease": percentiles(lease), "select1": percentiles(select1), "pk": percentiles(pk),
              "n": len(lease)}
    r = result
    print(f"{label} ({reviewers} reviewer{'s' if reviewers > 1 else ''}, {r['n']} leases, "
          f"order {order or 'the team setting'}): "
          f"lease_next p50 {r['lease']['p50']:.2f} ms, p95 {r['lease']['p95']:.2f} ms, p99 {r['lease']['p99']:.2f} ms; "
          f"SELECT 1 p50 {r['select1']['p50']:.3f} ms; pk lookup p50 {r['pk']['p50']:.3f} ms; "
          f"ratio p50 lease/SELECT 1 {r['lease']['p50'] / r['select1']['p50']:.1f}x, "
          f"lease/pk {r['lease']['p50'] / r['pk']['p50']:.1f}x", flush=True)
    return result


def main() -> None:
    """Parse arguments and run on each database given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300, help="leases per reviewer")
    parser.add_argument("--reviewers", type=int, default=1, help="concurrent reviewers (threads)")
    parser.add_argument("--sqlite", default="/tmp/claimtrack_bench.db", help="SQLite file ('' to skip)")
    parser.add_argument("--postgres", default="", help="PostgreSQL URL of a database to fill and use")
    parser.add_argument("--order", choices=sorted(team.QUEUE_ORDERS), default=None,
                        help="queue order to lease in (default: the team setting, 'worth' unless a lead changed it)")
    args = parser.parse_args()
    if args.sqlite:
        bench("SQLite", f"sqlite:///{args.sqlite}", args.claims, args.samples, args.reviewers, args.order)
    if args.postgres:
        bench("PostgreSQL", args.postgres, args.claims, args.samples, args.reviewers, args.order)


if __name__ == "__main__":
    main()
