"""Time the leads' dashboard (`claimtrack.dashboard.build`) at 1M claims, against references in the same run.

A service-call benchmark, not HTTP. Each sample builds the whole dashboard for a date range (30
days, and the longest allowed, 366 days, both ending on the last day with reviews) in its own
committed transaction. In the same run, on the same connection, it times:

* a primary-key lookup of a random claim (the plain indexed lookup every page makes);
* the same per-reviewer counts read straight from the reviews table (GROUP BY over the range),
  which is what the tallies save;
* `count_review`, the work each review adds on write to keep the tallies (rolled back).

    python bench/dashboard.py --sqlite /tmp/dashboard1m.db --postgres postgresql+psycopg://postgres@127.0.0.1:5432/dashboard1m
    python bench/dashboard.py --claims 100000 --samples 20

An empty database is filled on first use by `bench.generate` (about 40% of the claims decided,
each with its reviews), whose rows bypass the ORM, so the tallies are then recounted once with
`dashboard.rebuild` (timed and reported).
"""
import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import ensure_corpus, percentiles  # noqa: E402
from claimtrack import dashboard  # noqa: E402
from claimtrack.database import make_engine, make_sessionmaker  # noqa: E402
from models import Claim, Review, ReviewerDay  # noqa: E402


def _prepare(url: str, claims: int) -> None:
    """Fill the database with `claims` claims if it is empty, and count the tallies if they are empty."""
    ensure_corpus(url, claims)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            if session.scalar(sa.select(sa.func.count()).select_from(ReviewerDay)):
                return
            started = time.perf_counter()
            read = dashboard.rebuild(session)
            session.commit()
            print(f"  counted {read:,} reviews into the tallies in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        engine.dispose()


def _start_of(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _timed(session, call, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        session.commit()
        times.append(time.perf_counter() - started)
    return times


def bench(label: str, url: str, claims: int, samples: int) -> dict:
    """Run the benchmark on one database and print a summary."""
    print(f"{label}: preparing {claims:,} claims", flush=True)
    _prepare(url, claims)
    engine = make_engine(url)
    rng = random.Random(1)
    try:
        with make_sessionmaker(engine)() as session:
            last = session.scalar(sa.select(sa.func.max(Review.created_at)))
            reviews = session.scalar(sa.select(sa.func.count()).select_from(Review))
            max_id = session.scalar(sa.select(sa.func.max(Claim.id)))
            session.commit()
            end = last.date()
            month = dashboard.DateRange(end - timedelta(days=29), end)
            year = dashboard.DateRange(end - timedelta(days=dashboard.MAX_RANGE_DAYS - 1), end)
            board = dashboard.build(session, year)
            session.commit()
            print(f"  {reviews:,} reviews; the 366-day dashboard shows {sum(board.totals.values()):,} of them, "
                  f"{len(board.reviewers)} reviewers", flush=True)

            def raw_counts(days):
                session.execute(
                    sa.select(Review.user_id, Review.decision, sa.func.count())
                    .where(Review.created_at >= _start_of(days.start),
                           Review.created_at < _start_of(days.end + timedelta(days=1)))
                    .group_by(Review.user_id, Review.decision)
                ).all()

            results = {
                "pk": _timed(session, lambda: session.execute(
                    sa.select(Claim.status).where(Claim.id == rng.randint(1, max_id))).scalar(), samples * 5),
                "month": _timed(session, lambda: dashboard.build(session, month), samples),
                "year": _timed(session, lambda: dashboard.build(session, year), samples),
                "raw_month": _timed(session, lambda: raw_counts(month), samples),
                "raw_year": _timed(session, lambda: raw_counts(year), samples),
            }
            write_times = []
            for review_id in rng.sample(range(1, reviews + 1), min(reviews, samples * 5)):
                review = session.get(Review, review_id)
                connection = session.connection()
                started = time.perf_counter()
                dashboard.count_review(connection, review)
                write_times.append(time.perf_counter() - started)
                session.rollback()
            results["write"] = write_times
    finally:
        engine.dispose()
    r = {name: percentiles(times) for name, times in results.items()}
    pk = r["pk"]["p50"]
    print(f"{label}: primary-key lookup p50 {pk:.3f} ms", flush=True)
    for name, text in (("month", "dashboard, 30 days"), ("year", "dashboard, 366 days"),
                       ("raw_month", "per-reviewer counts from reviews, 30 days"),
                       ("raw_year", "per-reviewer counts from reviews, 366 days"),
                       ("write", "count_review on write")):
        print(f"  {text}: p50 {r[name]['p50']:.2f} ms, p95 {r[name]['p95']:.2f} ms "
              f"({r[name]['p50'] / pk:.0f}x the pk lookup at p50)", flush=True)
    return r


def main() -> None:
    """Parse arguments and run on each database given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30, help="dashboards built per range")
    parser.add_argument("--sqlite", default="/tmp/claimtrack_dashboard.db", help="SQLite file ('' to skip)")
    parser.add_argument("--postgres", default="", help="PostgreSQL URL of a database to fill and use")
    args = parser.parse_args()
    if args.sqlite:
        bench("SQLite", f"sqlite:///{args.sqlite}", args.claims, args.samples)
    if args.postgres:
        bench("PostgreSQL", args.postgres, args.claims, args.samples)


if __name__ == "__main__":
    main()
