"""Full-text search pages at 1M claims: /claims?q= and /queue/next?q= against plain indexed lookups.

    python -m bench.search [--claims 1000000] [--backend sqlite|postgresql|both] [--samples 40]
                           [--sqlite PATH] [--postgres URL]

For each backend: a database of `--claims` claims from bench.generate (made on first use,
reused after), the app in this process, one reviewer logged in through the form, and requests
through Flask's test client (the whole view: filter parsing, queries, template; no network).
Each search (a rare subject word, a word in most documents' titles, a measure's words, two words
ANDed, a phrase, and a search narrowed by status) is asked `--samples` times on /claims (first
page, the total, counted up to 10,000) and on /queue/next (the lease of the next matching claim;
the lease is dropped between samples, untimed). The references, in the same run: /claims?document=N
(an index range) and the review page of one claim (a primary-key lookup). On PostgreSQL the
tables are vacuumed first (as autovacuum would). Section `## Search`.
"""
import argparse
import re
import statistics
import time
from urllib.parse import urlencode

import sqlalchemy as sa

from claimtrack.database import make_engine
from models import Claim, Document, Lease, User
from webapp import create_app

from . import report
from .corpus import ensure_corpus
from .generate import PASSWORD, REVIEWERS

TARGET_P95_MS = 200


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _prepare(url: str, claims: int) -> None:
    ensure_corpus(url, claims)
    if url.startswith("postgresql"):
        # The state autovacuum leaves a table in: without it every index-only scan of a freshly
        # generated table visits the heap (the visibility map is empty).
        engine = make_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) claims, claims_fts")
        engine.dispose()


def _searches(url: str) -> tuple[list[tuple[str, str]], int, int]:
    """The searches asked (label, q and other filters as a query string), a document and a claim for the references."""
    engine = make_engine(url)
    with engine.connect() as connection:
        subject = connection.scalar(sa.select(Claim.subject).where(Claim.id == 1000))
        title = connection.scalar(sa.select(Document.title).where(Document.id == 1000))
        measure = connection.scalar(sa.select(Claim.measure).where(Claim.measure.contains(" ")).limit(1))
        claim_id = connection.scalar(sa.select(sa.func.max(Claim.id))) // 2
        document_id = connection.scalar(sa.select(Claim.document_id).where(Claim.id == claim_id))
    engine.dispose()
    rare = subject.split()[0]
    common = title.split(":")[-1].split()[2]  # "... and other figures, 2021": a word of every title
    searches = [
        ("one subject's word", urlencode({"q": rare})),
        ("word in nearly every title", urlencode({"q": common})),
        ("a measure's words", urlencode({"q": measure})),
        ("two words (subject and measure)", urlencode({"q": f"{rare} {measure.split()[0]}"})),
        ("quoted phrase", urlencode({"q": f'"{measure}"'})),
        ("common word, status=verified", urlencode({"q": common, "status": "verified"})),
    ]
    return searches, document_id, claim_id


def _client(url: str):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-search"})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": REVIEWERS[0], "password": PASSWORD, "csrf_token": token})
    assert response.status_code in (302, 303), "login failed"
    return app, client


def _time(client, path: str, samples: int, expect: tuple[int, ...], between=None) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(path)
        response.get_data()
        times.append(time.perf_counter() - started)
        assert response.status_code in expect, (path, response.status_code)
        if between:
            between()
    return times


def run_backend(url: str, claims: int, samples: int) -> list[tuple[str, str, list[float]]]:
    """Every timed request's (page, label, samples) on the database at `url`."""
    _prepare(url, claims)
    searches, document_id, claim_id = _searches(url)
    app, client = _client(url)
    engine = make_engine(url)

    def drop_my_leases():
        with engine.begin() as connection:
            me = connection.scalar(sa.select(User.id).where(User.username == REVIEWERS[0]))
            connection.execute(sa.delete(Lease).where(Lease.user_id == me))

    rows = []
    # Warm the caches once so no row pays for the first read of a page of the file.
    for _, query in searches:
        client.get(f"/claims?{query}").get_data()
    rows.append(("/claims", f"reference: document={document_id}",
                 _time(client, f"/claims?document={document_id}", samples, (200,))))
    rows.append((f"/claims/{claim_id}", "reference: the review page (primary key)",
                 _time(client, f"/claims/{claim_id}", samples, (200,), drop_my_leases)))
    for label, query in searches:
        rows.append(("/claims", label, _time(client, f"/claims?{query}", samples, (200,))))
    for label, query in searches:
        rows.append(("/queue/next", label,
                     _time(client, f"/queue/next?{query}", samples, (302, 200), drop_my_leases)))
    rows.append(("queries", "; ".join(f"{label}: `{query}`" for label, query in searches), []))
    engine.dispose()
    return rows


def _table(backend: str, rows) -> str:
    lines = [f"### {backend}", "", "| page | search | p50 ms | p95 ms | p95 / reference p95 |",
             "| --- | --- | ---: | ---: | ---: |"]
    reference = max(_percentile(rows[0][2], 0.95), 0.001)
    queries = ""
    for page, label, samples in rows:
        if not samples:
            queries = label
            continue
        p95 = _percentile(samples, 0.95)
        lines.append(f"| `{page}` | {label} | {statistics.median(samples) * 1000:.1f} | {p95:.1f} | "
                     f"{p95 / reference:.1f} |")
    worst = max(_percentile(s, 0.95) for page, _, s in rows if s and page in ("/claims", "/queue/next")
                and not _.startswith("reference"))
    lines += ["", f"Searches: {queries}.", "",
              f"Slowest search p95: **{worst:.0f} ms** (target {TARGET_P95_MS} ms: "
              f"{'met' if worst <= TARGET_P95_MS else 'missed'}).", ""]
    return "\n".join(lines)


def _postgres_database(name: str) -> str:
    """The URL of database `name` on the benchmark server, created empty when missing."""
    admin = make_engine(report.PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(report.PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--sqlite", help="SQLite file (default: one per size in the scratch folder; filled when empty)")
    parser.add_argument("--postgres", help="PostgreSQL database URL (default: one per size on BENCH_PG_URL's server)")
    args = parser.parse_args(argv)
    args.sqlite = args.sqlite or str(report.SCRATCH / f"search_{args.claims}.db")
    if not args.postgres:
        args.postgres = _postgres_database(f"claimtrack_bench_search_{args.claims}")
    command = "python -m bench.search " + " ".join(argv if argv is not None else __import__("sys").argv[1:])
    body = [report.header(command.strip()), f"Load at the start: {report.load()}.", ""]
    for backend in (("sqlite", "postgresql") if args.backend == "both" else (args.backend,)):
        url = f"sqlite:///{args.sqlite}" if backend == "sqlite" else args.postgres
        print(f"== {backend}: {url}", flush=True)
        rows = run_backend(url, args.claims, args.samples)
        table = _table(backend, rows)
        print(table, flush=True)
        body += [table, f"Load at the end of {backend}: {report.load()}.", ""]
    report.write_section("Search", "\n".join(body))


if __name__ == "__main__":
    main()
