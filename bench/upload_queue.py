"""Another reviewer's queue while a 5 MiB document is uploaded, through `claimtrack serve`.

    python -m bench.upload_queue [--backend sqlite|postgresql|both] [--uploads 3] [--send-seconds 2]

For each backend: a fresh database with the seeds and two reviewers, `claimtrack serve`
(gunicorn, 2 workers x 4 threads) on 127.0.0.1; then, `--uploads` times, one reviewer uploads a
new document of just under 5 MiB (seed text repeated: about 8,000 claims), sending it over
`--send-seconds` as a slow link would, while the other asks for GET /queue every 50 ms until
the upload's answer arrives. Section `## Queue during a 5 MiB upload`.
"""
import argparse
import http.client
import http.cookiejar
import re
import statistics
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import sqlalchemy as sa

from claimtrack import accounts, ingest, schema, sources
from claimtrack.database import make_engine

from . import report
from .http_load import Server

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
PASSWORD = "bench password 5 MiB"
TIMEOUT = 120


class Browser:
    """One user's cookies and CSRF token against a running server, over plain HTTP."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": self.token("/login")})
        with self.opener.open(f"{base}/login", form.encode(), timeout=TIMEOUT) as response:
            if "/login" in response.url:
                raise RuntimeError(f"{username} could not log in")

    def token(self, path: str) -> str:
        """The CSRF token of the form on `path`."""
        with self.opener.open(f"{self.base}{path}", timeout=TIMEOUT) as response:
            return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.read().decode()).group(1)

    def get(self, path: str) -> tuple[int, str]:
        """GET `path`: (status, body)."""
        with self.opener.open(f"{self.base}{path}", timeout=TIMEOUT) as response:
            return response.status, response.read().decode()

    def upload_slowly(self, name: str, data: bytes, seconds: float) -> tuple[int, str]:
        """POST the upload form, sending the file over about `seconds` as a slow link would: (status, Location)."""
        boundary = uuid.uuid4().hex
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
                f"{self.token('/documents')}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        parts = urllib.parse.urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
        connection.putrequest("POST", "/documents")
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(len(head) + len(data) + len(tail)))
        connection.putheader("Cookie", "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar))
        connection.endheaders()
        connection.send(head)
        chunks = 20
        step = len(data) // chunks + 1
        for start in range(0, len(data), step):
            connection.send(data[start:start + step])
            time.sleep(seconds / chunks)
        connection.send(tail)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, response.getheader("Location", "")


def five_mib_report() -> bytes:
    """Just under 5 MiB of report text built from the seeds: thousands of claims, a new SHA-256 every time."""
    seeds = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    parts, size, number = [f"Report {uuid.uuid4()}\n"], 0, 0
    while size < 5 * 2**20 - 40_000:
        part = f"{seeds[number % len(seeds)]}\n\nAnnex {number}: the province opened {number + 10} new routes in 2023.\n"
        parts.append(part)
        size += len(part.encode())
        number += 1
    return "".join(parts).encode()


def seed(url: str, usernames: tuple[str, ...], password: str) -> None:
    """Store the seeds and create reviewer accounts in the database at `url`."""
    engine = make_engine(url)
    with sa.orm.Session(engine) as session:
        for path in sorted(SEEDS.glob("*.txt")):
            ingest.ingest(session, sources.read_document(path))
        for name in usernames:
            accounts.create_user(session, name, password, "reviewer")
        session.commit()
    engine.dispose()


def queue_during_upload(uploader: Browser, reviewer: Browser, send_seconds: float) -> dict:
    """Upload one new 5 MiB document while `reviewer` polls /queue; the upload's answer and the queue's timings."""
    data = five_mib_report()
    answer: list = []
    started = time.monotonic()
    uploading = threading.Thread(
        target=lambda: answer.append(uploader.upload_slowly(f"annual-{uuid.uuid4().hex[:6]}.txt", data, send_seconds)),
        daemon=True)
    uploading.start()
    timings, statuses = [], []
    while uploading.is_alive():
        asked = time.monotonic()
        status, body = reviewer.get("/queue")
        timings.append(time.monotonic() - asked)
        statuses.append(status if "Moderation queue" in body else -status)
        time.sleep(0.05)
    uploading.join()
    return {"bytes": len(data), "upload_seconds": time.monotonic() - started, "answer": answer[0] if answer else None,
            "timings": timings, "statuses": statuses}


def run(backend: str, uploads: int, send_seconds: float) -> list[str]:
    """Measure on one backend; return the table rows."""
    url = report.scratch_database(backend, "claimtrack_bench_upload_queue")
    schema.upgrade(url)
    seed(url, ("uploader", "reviewer"), PASSWORD)
    rows = []
    with Server(url, workers=2, threads=4) as server:
        uploader, reviewer = Browser(server.base, "uploader", PASSWORD), Browser(server.base, "reviewer", PASSWORD)
        for _ in range(uploads):
            result = queue_during_upload(uploader, reviewer, send_seconds)
            timings = sorted(result["timings"])
            p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
            answered = set(result["statuses"]) == {200}
            rows.append(
                f"| {backend} | {result['bytes'] / 2**20:.2f} MiB | {result['answer'][0] if result['answer'] else 'none'} | "
                f"{result['upload_seconds']:.1f} | {len(timings)} | {statistics.median(timings) * 1000:.0f} | "
                f"{p95 * 1000:.0f} | {timings[-1] * 1000:.0f} | {'yes' if answered else 'NO'} | {report.load()} |")
    report.drop_database(url)
    return rows


def main() -> None:
    """Run the benchmark and write its section of RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--uploads", type=int, default=3)
    parser.add_argument("--send-seconds", type=float, default=2.0)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    lines = ["| backend | upload | its answer | upload s (send + read + extract + store) | /queue asked | "
             "median ms | p95 ms | max ms | all 200 | load |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for backend in backends:
        lines += run(backend, args.uploads, args.send_seconds)
    command = (f"python -m bench.upload_queue --backend {args.backend} --uploads {args.uploads} "
               f"--send-seconds {args.send_seconds:g}")
    body = report.header(command) + "\n" + "\n".join(lines) + (
        "\n\nTarget: every /queue within 1 s while the upload runs (also asserted, on a werkzeug server, by "
        "`tests/hostile/test_hostile_concurrent_uploads.py::test_hostile_queue_answers_within_a_second_while_5_mib_upload_runs`).\n")
    report.write_section("Queue during a 5 MiB upload", body)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
