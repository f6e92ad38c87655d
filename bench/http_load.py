"""HTTP under load: 8 reviewers leasing and verifying claims through gunicorn, and the claims list.

    python -m bench.http_load [--claims 1000000] [--backend postgresql|sqlite|both]
                              [--users 8] [--seconds 60] [--loops 300] [--workers 2] [--threads 4]
                              [--think 2]

For each backend: a database of `--claims` generated claims (bench.generate; reused when a
database of that size from an earlier run is there, migrated to head: a run verifies only a
few thousand claims),
`claimtrack serve` on 127.0.0.1, then three locust runs (headless, bounded by --seconds and
--loops per user) through that one server: the reference (anonymous GET /login), the reviewers
(log in through the form, then GET /queue/next -> claim page -> POST verify) flat out and then
paced by --think, and readers (paced the same) of the claims list with filters (first page and
a deep keyset page), the documents list and the queue's progress page. Section `## HTTP under load`.

Every failed request, and every 409 refusal, is logged, one JSON line each (the request, its
form fields, the status, the answer's first bytes and the alerts on it), to
`$TMPDIR/claimtrack_bench/locust-<class>-failures.jsonl`, and each run prints them counted by
kind, with the errors the server logged meanwhile
(`server-errors.log` beside it).
"""
import argparse
import csv
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from claimtrack import schema
from claimtrack.database import make_engine

from . import report
from .generate import PASSWORD, REVIEWERS, generate

BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
TARGET_LEASE_P95_MS = 25
TARGET_LIST_P95_MS = 100


def corpus(backend: str, claims: int) -> str:
    """The URL of a generated database with `claims` claims, generating it when missing."""
    name = f"claimtrack_bench_{claims}"
    if backend == "sqlite":
        url = f"sqlite:///{report.SCRATCH / name}.db"
    else:
        url = sa.make_url(report.PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url, **({"poolclass": sa.pool.NullPool} if backend == "postgresql" else {}))
        with engine.connect() as connection:
            documents = connection.scalar(sa.text("SELECT count(*) FROM documents"))
            stored = connection.scalar(sa.text("SELECT count(*) FROM claims"))
        engine.dispose()
        if documents and stored == claims:
            schema.upgrade(url)
            return url
    except sa.exc.DBAPIError:
        pass
    url = report.scratch_database(backend, name)
    print(generate(url, claims).summary(), file=sys.stderr)
    return url


def list_urls(url: str) -> list[tuple[str, str]]:
    """Claims list pages to read: by status, by status and subject, first and deep keyset pages."""
    engine = make_engine(url)
    with engine.connect() as connection:
        subject = connection.scalar(sa.text(
            "SELECT subject FROM claims WHERE id = (SELECT max(id) / 2 FROM claims)"))
        deep = connection.scalar(sa.text(
            "SELECT id FROM claims WHERE status = 'pending' ORDER BY id LIMIT 1 OFFSET "
            "(SELECT count(*) * 9 / 10 FROM claims WHERE status = 'pending')"))
        deep_subject = connection.scalar(sa.text(
            "SELECT id FROM claims WHERE status = 'verified' AND subject = :s ORDER BY id LIMIT 1 OFFSET "
            "(SELECT count(*) * 9 / 10 FROM claims WHERE status = 'verified' AND subject = :s)"), {"s": subject})
    engine.dispose()
    quoted = urllib.request.quote(subject)
    return [
        ("GET /claims?status=pending", "/claims?status=pending"),
        ("GET /claims?status=pending&after=(deep)", f"/claims?status=pending&after={deep}"),
        ("GET /claims?status=verified&subject=...", f"/claims?status=verified&subject={quoted}"),
        ("GET /claims?status=verified&subject=...&after=(deep)",
         f"/claims?status=verified&subject={quoted}&after={deep_subject}"),
        ("GET /documents", "/documents"),
        ("GET /queue (progress)", "/queue"),
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`claimtrack serve` on 127.0.0.1 in a subprocess, for the length of a `with` block."""

    def __init__(self, url: str, workers: int, threads: int):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = [str(BIN / "claimtrack"), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                        "--workers", str(workers), "--threads", str(threads)]
        self.env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key",
                    "CLAIMTRACK_INSTANCE_PATH": str(report.SCRATCH / "instance")}

    def __enter__(self) -> "Server":
        # The access log goes nowhere; errors are kept for reading after a run.
        report.SCRATCH.mkdir(parents=True, exist_ok=True)
        self.log = open(report.SCRATCH / "server-errors.log", "a")
        self.process = subprocess.Popen(self.command, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/login", timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}")
                time.sleep(0.3)
        self.process.terminate()
        raise RuntimeError("server did not answer within 60 s")

    def report_errors(self, user_class: str, since: int) -> None:
        """Print the errors the server logged since offset `since` of its error log, counted by kind."""
        self.log.flush()
        with open(self.log.name) as handle:
            handle.seek(since)
            text = handle.read()
        kinds: dict[str, int] = {}
        for line in text.splitlines():
            if "ERROR" in line:
                kind = re.sub(r"/\d+", "/[id]", line.split("ERROR", 1)[1].strip())
                kinds[kind] = kinds.get(kind, 0) + 1
        kinds["Traceback"] = text.count("Traceback (most recent call last)")
        for kind, count in kinds.items():
            if count:
                print(f"{user_class}: the server logged {count} x {kind} ({self.log.name})", file=sys.stderr)

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def locust(server: Server, user_class: str, users: int, seconds: int, loops: int,
           env: dict[str, str]) -> list[dict[str, str]]:
    """Run one headless locust run of `user_class`; return its per-request rows of statistics."""
    prefix = report.SCRATCH / f"locust-{user_class}"
    failures = Path(f"{prefix}-failures.jsonl")
    failures.unlink(missing_ok=True)
    command = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--only-summary",
               "-u", str(users), "-r", str(users), "--run-time", f"{seconds}s", "--stop-timeout", "10",
               "--host", server.base, "--csv", str(prefix), "--exit-code-on-error", "0", user_class]
    subprocess.run(command, env={**os.environ, **env, "BENCH_LOOPS": str(loops), "BENCH_FAILURE_LOG": str(failures)},
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 120)
    summarise_failures(user_class, failures)
    with open(f"{prefix}_exceptions.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            print(f"{user_class}: {row['Count']} x {row['Message']}", file=sys.stderr)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]


def summarise_failures(user_class: str, path: Path) -> None:
    """Print how many failures and refusals of each kind (request, status, first alert) the run logged to `path`."""
    if not path.exists():
        return
    kinds: dict[str, int] = {}
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        request = re.sub(r"/\d+", "/[id]", entry["request"].split(" (", 1)[0])
        what = "refusal" if entry.get("why") == "refusal" else "failure"
        kind = f"{what}: {request} -> {entry.get('status', '?')}: {(entry.get('messages') or [entry['why']])[0][:160]}"
        kinds[kind] = kinds.get(kind, 0) + 1
    for kind, count in sorted(kinds.items(), key=lambda item: -item[1]):
        print(f"{user_class} {count} x {kind}", file=sys.stderr)
    print(f"{user_class}: every failure and refusal is in {path}", file=sys.stderr)


# The reviewers' own reference request, named as bench/locustfile.py names it.
TRIVIAL = "GET /jobs/status (trivial, authenticated)"
PHASES = {"reference": ("Visitor", False), "flat": ("Reviewer", False), "paced": ("Reviewer", True),
          "lists": ("Lister", True)}


def measure(backend: str, claims: int, users: int, seconds: int, loops: int, workers: int,
            threads: int, think: float, phase_names: list[str]) -> list[str]:
    """The table rows for one backend: reference, reviewers flat out and paced, paced list readers."""
    phases = [(PHASES[n][0], think if PHASES[n][1] else 0) for n in phase_names]
    url = corpus(backend, claims)
    env = {"BENCH_PASSWORD": PASSWORD, "BENCH_USERS": ",".join(REVIEWERS[:users]),
           "BENCH_LIST_URLS": "\n".join(f"{label}\t{path}" for label, path in list_urls(url))}
    rows = []
    with Server(url, workers, threads) as server:
        for user_class, pause in phases:
            started_load = report.load()
            errors_before = os.path.getsize(server.log.name)
            stats = locust(server, user_class, users, seconds, loops, {**env, "BENCH_THINK": str(pause)})
            server.report_errors(user_class, errors_before)
            trivial = next((float(stat["95%"]) for stat in stats if stat["Name"] == TRIVIAL), None)
            for stat in stats:
                if stat["Name"] in ("login form", "POST /login"):
                    continue
                ratio = f" ({float(stat['95%']) / trivial:.1f}× trivial)" if trivial and stat["Name"] != TRIVIAL else ""
                rows.append(
                    f"| {backend} | {stat['Name']} | {pause:g} | {int(stat['Request Count']):,} | "
                    f"{stat['Failure Count']} | {stat['50%']} | {stat['95%']}{ratio} | {stat['99%']} | "
                    f"{float(stat['Requests/s']):.1f} | {started_load} |")
            print(f"{backend} {user_class} think {pause} done", file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> None:
    """Command line: run the HTTP load benchmark and record it in RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.http_load", description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--users", type=int, default=8, choices=range(1, len(REVIEWERS) + 1),
                        metavar="1..12")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--loops", type=int, default=300, help="iterations per simulated user, at most")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean seconds a paced reviewer waits before each request (a second run)")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"comma-separated runs to make, from {', '.join(PHASES)}")
    parser.add_argument("--no-write", action="store_true", help="print the figures without touching RESULTS.md")
    args = parser.parse_args(argv)
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    lines = ["| backend | request | think s | count | failures | p50 ms | p95 ms | p99 ms | req/s | load at start |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for backend in backends:
        lines += measure(backend, args.claims, args.users, args.seconds, args.loops, args.workers, args.threads,
                         args.think, args.phases.split(","))
    command = (f"python -m bench.http_load --claims {args.claims} --backend {args.backend} --users {args.users} "
               f"--seconds {args.seconds} --loops {args.loops} --workers {args.workers} --threads {args.threads} "
               f"--think {args.think:g} --phases {args.phases}")
    body = (report.header(command) + f"\n{args.users} concurrent users, each run at most {args.seconds} s "
            f"and {args.loops} iterations per user; `claimtrack serve --workers {args.workers} --threads "
            f"{args.threads}`, the database and the load generator (locust) share the same cores. "
            "Think 0: every user sends its next request as soon as the last one is answered (a stress "
            f"test); think {args.think:g}: a reviewer (or list reader) pauses about that long before each request, "
            "still far quicker than a person reads a claim. Targets: lease p95 ≤ "
            f"{TARGET_LEASE_P95_MS} ms, claims list p95 ≤ {TARGET_LIST_P95_MS} ms.\n\n" + "\n".join(lines) + "\n")
    print(body)
    if not args.no_write:
        report.write_section("HTTP under load", body)


if __name__ == "__main__":
    main()
