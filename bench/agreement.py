"""Second review at 1M claims with a 10 % policy: leasing the next claim, and the agreement page.

    python bench/agreement.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/second_bench
    python bench/agreement.py --sqlite /tmp/second_bench1m.db --reviewers 8 --samples 100

The database is filled by `bench.generate` on first use (about 41 % of the claims decided).
Then a corpus-wide policy of 10 % is set and applied to the decided claims as it would have
been at their first decision: every decided claim drawn by the policy gets its second-review row
(`--done` of them second-reviewed by another generated reviewer, the rest awaiting; one in
`--disagree` of the second reviews differs on the decision or a field, and half of those were
adjudicated). Nothing else in the corpus changes.

Two measures, each beside references timed in the same run on the same connection:
- `lease_next` + commit for `--reviewers` concurrent reviewers; each leased claim is then marked
  done (untimed: its second review settled, or a pending claim decided), so every sample does the
  whole path, the second-review band first. References: `SELECT 1` and a claim primary-key lookup.
- GET /dashboard/agreement as a lead, through the app (Flask test client: routing, the report,
  the template), and the report alone; reference: `SELECT count(*)` of the second reviews.
"""
import argparse
import json
import os
import random
import re
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import ensure_corpus, percentiles  # noqa: E402
from bench.generate import PASSWORD  # noqa: E402
from claimtrack import accounts, agreement, queue, second_review  # noqa: E402
from claimtrack.database import make_engine, make_sessionmaker  # noqa: E402
from models import Claim, Lease, Review, ReviewPolicy, SecondReview, User, answer_columns  # noqa: E402

DECISION = {"verified": "verify", "rejected": "reject", "needs_info": "needs_info"}
FIELDS = ("value", "value_max", "unit", "qualifier", "period_start", "period_end", "subject", "measure", "kind")
BATCH = 20_000


def _prepare(url: str, claims: int) -> None:
    ensure_corpus(url, claims)


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _apply_policy(url: str, share: int, done: float, disagree: int, seed: int = 3) -> dict[str, int]:
    """Set the corpus policy and give every drawn decided claim its second-review row (once per database)."""
    engine = make_engine(url)
    rng = random.Random(seed)
    sessionmaker = make_sessionmaker(engine)
    try:
        with sessionmaker() as session:
            if session.scalar(sa.select(sa.func.count()).select_from(SecondReview)):
                return dict(session.execute(sa.select(SecondReview.state, sa.func.count())
                                            .group_by(SecondReview.state)).all())
            lead = session.scalar(sa.select(User).where(User.role == "lead").order_by(User.id).limit(1))
            reviewers = list(session.scalars(sa.select(User.id).where(User.role == "reviewer")))
            second_review.set_policy(session, lead, now=datetime.now(timezone.utc), share=share)
            session.commit()
            first_reviews = dict(session.execute(
                sa.select(Review.claim_id, sa.func.max(Review.id))
                .where(Review.decision.in_(tuple(DECISION.values()))).group_by(Review.claim_id)).all())
            next_review = (session.scalar(sa.select(sa.func.max(Review.id))) or 0) + 1
            columns = [getattr(Claim, f) for f in FIELDS]
            last = 0
            now = datetime.now(timezone.utc)
            while True:
                rows = session.execute(
                    sa.select(Claim.id, Claim.status, Claim.reviewed_by_id, *columns)
                    .where(Claim.id > last, Claim.status != "pending").order_by(Claim.id).limit(BATCH)).all()
                if not rows:
                    break
                last = rows[-1][0]
                seconds, standings = [], []
                for claim_id, status, first_user, *values in rows:
                    review_id = first_reviews.get(claim_id)
                    if review_id is None or first_user is None or not second_review.drawn(claim_id, share):
                        continue
                    fields = dict(zip(FIELDS, values))
                    first = second_review.comparable(DECISION[status], fields)
                    row = {"claim_id": claim_id, "reason": "share", "first_review_id": review_id,
                           "first_user_id": first_user, "first_values": first, "disagreements": [],
                           "required_at": now, "state": "awaiting"}
                    if rng.random() < done:
                        second_user = rng.choice([r for r in reviewers if r != first_user])
                        second = dict(first)
                        if rng.randrange(disagree) == 0:
                            if rng.random() < 0.5:
                                second["decision"] = rng.choice([d for d in DECISION.values() if d != first["decision"]])
                            else:
                                second["unit"] = (first["unit"] or "") + "x"
                        differ = second_review.disagreements(first, second)
                        when = now - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 1440))
                        state = "agreed" if not differ else ("adjudicated" if rng.random() < 0.5 else "adjudication")
                        seconds.append({"id": next_review, "claim_id": claim_id, "user_id": second_user,
                                        "decision": f"second_{second['decision']}", "note": "", "changes": {},
                                        "status_before": status, "status_after": status, "created_at": when})
                        row.update(second_review_id=next_review, second_user_id=second_user, second_values=second,
                                   second_at=when, disagreements=differ, state=state,
                                   settled_at=when if state != "adjudication" else None)
                        next_review += 1
                    standings.append(row)
                if seconds:
                    session.execute(sa.insert(Review), seconds)
                if standings:
                    session.execute(sa.insert(SecondReview), [
                        {"second_review_id": None, "second_user_id": None, "second_values": None, "second_at": None,
                         "settled_at": None, **row, **answer_columns("first", row["first_values"]),
                         **answer_columns("second", row.get("second_values"))} for row in standings])
                session.commit()
            if engine.dialect.name == "postgresql":
                session.execute(sa.text("SELECT setval(pg_get_serial_sequence('reviews', 'id'), "
                                        "(SELECT max(id) + 1 FROM reviews), false)"))
                session.commit()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
        with sessionmaker() as session:
            return dict(session.execute(sa.select(SecondReview.state, sa.func.count())
                                        .group_by(SecondReview.state)).all())
    finally:
        engine.dispose()


def _reviewer(session, name: str) -> User:
    user = accounts.find_user(session, name) or accounts.create_user(session, name, "bench-password", "reviewer")
    session.commit()
    return user


def _run_reviewer(url: str, name: str, samples: int, out: dict, barrier: threading.Barrier | None) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0) if url.startswith("postgresql") else make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    lease_times, select1_times, pk_times, bands = [], [], [], {"second": 0, "first": 0}
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
                claim_id = queue.lease_next(session, user, now, timedelta(minutes=15))
                session.commit()
                lease_times.append(time.perf_counter() - started)
                if claim_id is None:
                    break
                # Untimed: settle it as a decision would, so the next lease moves on.
                awaiting = session.execute(sa.update(SecondReview).where(
                    SecondReview.claim_id == claim_id, SecondReview.state == "awaiting")
                    .values(state="agreed", second_user_id=user.id)).rowcount
                bands["second" if awaiting else "first"] += 1
                if not awaiting:
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
    out[name] = (lease_times, select1_times, pk_times, bands)


def _restore(url: str) -> None:
    """Undo what the lease run marked done, so runs are repeatable."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            bench_users = sa.select(User.id).where(User.username.like("bench%"))
            connection.execute(sa.update(SecondReview).where(SecondReview.second_user_id.in_(bench_users))
                               .values(state="awaiting", second_user_id=None))
            connection.execute(sa.update(Claim).where(Claim.status != "pending", Claim.reviewed_by_id.is_(None))
                               .values(status="pending"))
            connection.execute(sa.delete(Lease).where(Lease.user_id.in_(bench_users)))
    finally:
        engine.dispose()


def bench_leases(label: str, url: str, samples: int, reviewers: int) -> dict:
    """Concurrent reviewers leasing with the second-review band in front."""
    _restore(url)
    out: dict = {}
    barrier = threading.Barrier(reviewers) if reviewers > 1 else None
    threads = [threading.Thread(target=_run_reviewer, args=(url, f"bench{i}", samples, out, barrier))
               for i in range(reviewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _restore(url)
    lease = [t for times in out.values() for t in times[0]]
    select1 = [t for times in out.values() for t in times[1]]
    pk = [t for times in out.values() for t in times[2]]
    bands = {k: sum(times[3][k] for times in out.values()) for k in ("second", "first")}
    r = {"lease": percentiles(lease), "select1": percentiles(select1), "pk": percentiles(pk), "n": len(lease),
         "bands": bands}
    print(f"{label} lease_next ({reviewers} reviewers, {r['n']} leases: {bands['second']} second reviews, "
          f"{bands['first']} first): p50 {r['lease']['p50']:.2f} ms, p95 {r['lease']['p95']:.2f} ms, "
          f"p99 {r['lease']['p99']:.2f} ms; SELECT 1 p50 {r['select1']['p50']:.3f} ms; pk p50 {r['pk']['p50']:.3f} ms; "
          f"ratio p50 lease/SELECT 1 {r['lease']['p50'] / r['select1']['p50']:.1f}x, "
          f"p95 lease/pk {r['lease']['p95'] / r['pk']['p95']:.1f}x", flush=True)
    return r


def bench_page(label: str, url: str, samples: int) -> dict:
    """GET /dashboard/agreement through the app as a lead, the report alone, and a count of the rows."""
    from webapp import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
                      "INSTANCE_PATH": os.path.join(os.environ.get("TMPDIR", "/tmp"), "claimtrack_bench_instance")})
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    page_times, report_times, count_times = [], [], []
    try:
        with sessionmaker() as session:
            lead = session.scalar(sa.select(User).where(User.role == "lead").order_by(User.id).limit(1))
            name = lead.username
        client = app.test_client()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
        client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)})
        for _ in range(samples):
            started = time.perf_counter()
            response = client.get("/dashboard/agreement")
            page_times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            with sessionmaker() as session:
                started = time.perf_counter()
                result = agreement.report(session)
                report_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                session.scalar(sa.select(sa.func.count()).select_from(SecondReview)
                               .where(SecondReview.second_review_id.is_not(None)))
                count_times.append(time.perf_counter() - started)
    finally:
        engine.dispose()
    r = {"page": percentiles(page_times), "report": percentiles(report_times),
         "count": percentiles(count_times), "pairs": result.reviewed_twice,
         "decision": {"raw": result.measures[0].raw_agreement, "kappa": result.measures[0].kappa,
                      "alpha": result.measures[0].alpha}}
    print(f"{label} /dashboard/agreement over {r['pairs']:,} claims reviewed twice ({samples} views): "
          f"p50 {r['page']['p50']:.0f} ms, max {max(page_times) * 1000:.0f} ms; report alone p50 "
          f"{r['report']['p50']:.0f} ms; SELECT count(*) p50 {r['count']['p50']:.1f} ms; "
          f"ratio p50 page/count {r['page']['p50'] / r['count']['p50']:.1f}x", flush=True)
    return r


def main() -> None:
    """Parse arguments and run on each database given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--share", type=int, default=10, help="policy: percent of claims needing a second review")
    parser.add_argument("--done", type=float, default=0.7, help="share of drawn claims already second-reviewed")
    parser.add_argument("--disagree", type=int, default=10, help="one second review in N disagrees")
    parser.add_argument("--samples", type=int, default=100, help="leases per reviewer")
    parser.add_argument("--reviewers", type=int, default=8, help="concurrent reviewers (threads)")
    parser.add_argument("--views", type=int, default=10, help="agreement page views")
    parser.add_argument("--sqlite", default="", help="SQLite file ('' to skip)")
    parser.add_argument("--postgres", default="", help="PostgreSQL URL of a database to fill and use")
    args = parser.parse_args()
    results = {}
    for label, url in (("SQLite", f"sqlite:///{args.sqlite}" if args.sqlite else ""), ("PostgreSQL", args.postgres)):
        if not url:
            continue
        print(f"{label}: preparing {args.claims:,} claims, load average {os.getloadavg()}", flush=True)
        _prepare(url, args.claims)
        states = _apply_policy(url, args.share, args.done, args.disagree)
        print(f"  second reviews by state: {states}", flush=True)
        results[label] = {"states": states, "leases": bench_leases(label, url, args.samples, args.reviewers),
                          "page": bench_page(label, url, args.views), "load": os.getloadavg()}
        print(f"  load average {os.getloadavg()}", flush=True)
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
