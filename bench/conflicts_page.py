"""The /conflicts page beside a trivial authenticated request, in one process, in the same run.

    python -m bench.conflicts_page [--claims 100000] [--backend sqlite|postgresql|both] [--samples 300]

Fills a fresh scratch database with `bench.generate`'s corpus, runs a full
conflict detection, logs a reviewer in, then alternates GET /conflicts (the first page, 50
groups, open first) with GET /jobs/status (authenticated, answers `{"jobs": []}`: the login
check, the session and the response, nothing else) through the app's WSGI interface, no HTTP.
Both are timed the same way from the request to the last byte; the figures are p50/p95/p99 and
the ratio of the p95s. Writes section `## Conflicts page`.
"""
import argparse
import gc
import re
import sys
import time

from claimtrack import conflicts
from claimtrack.database import make_engine, make_sessionmaker
from webapp import create_app
from webapp.cli import settled

from . import report
from .corpus import ensure_corpus, percentiles
from .generate import PASSWORD, REVIEWERS

TARGET_P95_MS = 50


def _client(url: str):
    # Settled as `claimtrack serve` settles each worker's app.
    app = settled(create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-conflicts-page"}))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": REVIEWERS[0], "password": PASSWORD, "csrf_token": token})
    assert response.status_code in (302, 303), "login failed"
    return app, client


def _timed(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    response.get_data()
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def run(backend: str, claims: int, samples: int) -> str:
    """Measure both requests; return the section's body."""
    url = report.scratch_database(backend, f"claimtrack_bench_conflicts_page_{claims}")
    ensure_corpus(url, claims)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        detection = conflicts.rebuild(session)
        session.commit()
    engine.dispose()
    app, client = _client(url)
    for _ in range(10):
        _timed(client, "/conflicts")
        _timed(client, "/jobs/status")
    page, trivial = [], []
    collections = gc.get_stats()[2]["collections"]
    for _ in range(samples):
        page.append(_timed(client, "/conflicts"))
        trivial.append(_timed(client, "/jobs/status"))
    full_collections = gc.get_stats()[2]["collections"] - collections
    p, t = percentiles(page), percentiles(trivial)
    lines = [
        f"{claims:,} claims on {backend}, {detection.groups:,} groups of which {detection.in_conflict:,} in conflict; "
        f"{samples} requests of each, alternating, after 10 of each to warm up; {full_collections} full garbage "
        f"collections during the run; {report.load()}.", "",
        "| request | p50 ms | p95 ms | p99 ms | mean ms |", "| --- | ---: | ---: | ---: | ---: |",
        f"| GET /conflicts (first page) | {p['p50']:.1f} | {p['p95']:.1f} | {p['p99']:.1f} | {p['mean']:.1f} |",
        f"| GET /jobs/status (trivial, authenticated: reference) | {t['p50']:.1f} | {t['p95']:.1f} | {t['p99']:.1f} | "
        f"{t['mean']:.1f} |", "",
        f"p95 of /conflicts: **{p['p95']:.1f} ms** against the {TARGET_P95_MS} ms target; "
        f"{p['p95'] / t['p95']:.1f}× the trivial request's p95.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: run the benchmark and record it in RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.conflicts_page", description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--no-write", action="store_true", help="print the figures without touching RESULTS.md")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    body = "\n\n".join(run(backend, args.claims, args.samples) for backend in backends)
    command = f"python -m bench.conflicts_page --claims {args.claims} --backend {args.backend} --samples {args.samples}"
    section = report.header(command) + "\n" + body + "\n"
    print(section)
    if not args.no_write:
        report.write_section("Conflicts page", section)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
