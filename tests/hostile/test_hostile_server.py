"""Hostile requests against a real `claimtrack serve` (gunicorn) on 127.0.0.1: over-long URLs,
too many or too long headers. Up to twice the app's limits the app answers with its own page and
every security header; only requests far past them meet gunicorn's bare page, with the same status."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from webapp import config

CLAIMTRACK = Path(sys.executable).with_name("claimtrack")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`claimtrack serve` with one worker on a free port; stopped after the module."""
    folder = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'claimtrack.db'}", "SECRET_KEY": "test-secret",
           "CLAIMTRACK_INSTANCE_PATH": str(folder)}
    process = subprocess.Popen([str(CLAIMTRACK), "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--workers", "1", "--threads", "2"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "claimtrack serve exited"
            try:
                status, _, _ = _request(port, "/login")
                if status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "claimtrack serve did not answer within 60 s"
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _request(port: int, target: str, headers: list[tuple[str, str]] = ()) -> tuple[int, dict[str, str], str]:
    """Send one GET over a raw socket and read the whole answer (10 s at most)."""
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             *(f"{name}: {value}" for name, value in headers)]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    answer_headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        answer_headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), answer_headers, body.decode("utf-8", "replace")


def _app_page(headers: dict[str, str]) -> bool:
    return ("script-src 'self'" in headers.get("content-security-policy", "")
            and headers.get("x-content-type-options") == "nosniff"
            and headers.get("x-frame-options") == "DENY" and headers.get("cache-control") == "no-store")


def _many(n: int) -> list[tuple[str, str]]:
    return [(f"X-Padding-{i}", "x") for i in range(n)]


@pytest.mark.parametrize("target, headers, status, message", [
    ("/login?q=" + "a" * (config.MAX_URL_BYTES + 10), [], 414, "The address is longer than 4,096 bytes."),
    ("/documents?q=" + "%41" * 2000, [], 414, "The address is longer than 4,096 bytes."),
    ("/login", _many(config.MAX_HEADER_FIELDS + 5), 431, "The request has more than 100 headers."),
    ("/login", [("Cookie", "c=" + "z" * 12_000)], 431, "A request header is longer than 8,190 bytes"),
    ("/login", [("X-Long", "z" * (config.MAX_HEADER_FIELD_BYTES + 1))], 431, "A request header is longer"),
])
def test_hostile_oversized_request_gets_the_apps_error_page(server, target, headers, status, message):
    code, answer_headers, body = _request(server, target, headers)
    assert code == status
    assert _app_page(answer_headers), answer_headers
    assert message in body and "Back to Claimtrack" in body
    assert "aaaa" not in body and "zzzz" not in body


@pytest.mark.parametrize("target, headers, status", [
    ("/login?q=" + "a" * 9000, [], 414),
    ("/login", _many(2 * config.MAX_HEADER_FIELDS + 5), 431),
    ("/login", [("X-Long", "z" * (2 * config.MAX_HEADER_FIELD_BYTES + 10))], 431),
])
def test_hostile_request_far_past_the_limits_refused_by_the_server_with_the_same_status(server, target, headers,
                                                                                       status):
    code, _, body = _request(server, target, headers)
    assert code == status
    assert "zzzz" not in body


def test_hostile_requests_just_inside_the_limits_are_answered(server):
    url = "/login?q=" + "a" * (config.MAX_URL_BYTES - len("/login?q="))
    headers = _many(config.MAX_HEADER_FIELDS - 3) + [("X-Long", "z" * (config.MAX_HEADER_FIELD_BYTES - 10))]
    code, answer_headers, body = _request(server, url, headers)
    assert code == 200 and 'name="password"' in body
    assert _app_page(answer_headers)
