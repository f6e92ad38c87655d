"""Simulated users for bench.http_load, run by locust headless; settings come from BENCH_* variables.

Reviewer: logs in through the real form (CSRF token read from the page), then loops: GET
/queue/next (the lease, timed alone), GET the claim page it redirects to, POST a verify decision
with every field as a browser sends it and the CSRF token read from that page's review form (a
409 refusal, the claim changed or held by another since the page was read, is counted apart
from the verifies, as "refused", not as a failure). Lister: logs in, then
reads the claims list URLs given in BENCH_LIST_URLS (lines of label, tab, URL). Visitor: GET /login,
the trivial reference page. Each user stops after BENCH_LOOPS iterations; BENCH_THINK seconds
(on average) pass between a reviewer's actions, none by default. Each failure is appended to
BENCH_FAILURE_LOG (when set) as one JSON line: the request, the fields sent, the answer's status,
first bytes and alerts.
"""
import itertools
import json
import os
import re
import threading
import time
from html.parser import HTMLParser

from locust import HttpUser, between, constant, task
from locust.exception import StopUser

PASSWORD = os.environ.get("BENCH_PASSWORD", "")
USERNAMES = os.environ.get("BENCH_USERS", "").split(",")
LOOPS = int(os.environ.get("BENCH_LOOPS", "300"))
# Seconds a reviewer spends between requests (reading the claim); 0 hammers the server.
THINK = float(os.environ.get("BENCH_THINK", "0"))
LIST_URLS = [line.split("\t", 1) for line in os.environ.get("BENCH_LIST_URLS", "").splitlines() if line]
# Every failed request is appended here, one JSON object a line (nothing is written when unset).
FAILURE_LOG = os.environ.get("BENCH_FAILURE_LOG", "")
_accounts = itertools.count()
_log_lock = threading.Lock()
_ALERT = re.compile(r'<[^>]+(?:role="alert"|class="flash[^"]*")[^>]*>(.*?)</(?:p|li|span|div)>', re.S)
_TAG = re.compile(r"<[^>]+>")


def messages(html: str) -> list[str]:
    """The alerts and flashed messages on a page, as text (what a reviewer is told)."""
    return [" ".join(_TAG.sub(" ", m).split()) for m in _ALERT.findall(html)]


def log_failure(user: str, request: str, response=None, fields: dict | None = None, why: str = "") -> None:
    """Append one failure to FAILURE_LOG: the request, the status, the answer's first bytes and its alerts."""
    if not FAILURE_LOG:
        return
    entry = {"at": time.strftime("%H:%M:%S"), "user": user, "request": request, "why": why}
    if fields is not None:
        entry["fields"] = {k: v for k, v in fields.items() if k != "csrf_token"}
    if response is not None:
        text = response.text or ""
        entry.update(status=response.status_code, location=response.headers.get("Location", ""),
                     first_bytes=text[:300], messages=messages(text)[:5])
    with _log_lock, open(FAILURE_LOG, "a") as handle:
        handle.write(json.dumps(entry) + "\n")


class FormReader(HTMLParser):
    """The fields of every form on a page, as a browser would submit them (buttons excluded)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[dict[str, str], dict[str, str]]] = []
        self._select: str | None = None
        self._options = 0
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((attrs, {}))
        elif not self.forms:
            return
        fields = self.forms[-1][1]
        if tag == "input" and attrs.get("type") not in ("submit", "button", "checkbox", "radio"):
            fields[attrs.get("name", "")] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs.get("name", "")
            self._options = 0
        elif tag == "option" and self._select is not None:
            # The selected option, else the first one (even when its value is empty, as "none" is).
            if "selected" in attrs or not self._options:
                fields[self._select] = attrs.get("value", "")
            self._options += 1
        elif tag == "textarea":
            self._textarea = attrs.get("name", "")
            fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None and self.forms:
            self.forms[-1][1][self._textarea] += data


def find_form(html: str, form_id: str = "", field: str = "") -> tuple[str, dict[str, str]]:
    """The action ("" for the page itself) and fields of the form with this id or this field."""
    reader = FormReader()
    reader.feed(html)
    for attrs, fields in reader.forms:
        if (form_id and attrs.get("id") == form_id) or (field and field in fields):
            fields.pop("", None)
            return attrs.get("action", ""), fields
    raise LookupError(f"no form {form_id or field} on the page")


TRIVIAL = "GET /jobs/status (trivial, authenticated)"
REFUSED = "POST /claims/[id] verify refused (409)"


class LoggedIn(HttpUser):
    """A user who logs in through the login form first, with the next benchmark account."""

    abstract = True
    wait_time = between(THINK / 2, THINK * 1.5) if THINK else constant(0)

    def on_start(self):
        self.loops = 0
        self.username = username = USERNAMES[next(_accounts) % len(USERNAMES)]
        page = self.client.get("/login", name="login form")
        _, fields = find_form(page.text, field="password")
        fields.update(username=username, password=PASSWORD)
        with self.client.post("/login", data=fields, name="POST /login", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"login as {username} answered {response.status_code}")
                log_failure(username, "POST /login", response)
                raise StopUser()

    def count_loop(self):
        """Stop this user once it has done its share of iterations."""
        self.loops += 1
        if self.loops > LOOPS:
            raise StopUser()


class Reviewer(LoggedIn):
    """Leases the next claim, opens it, and verifies it, over and over."""

    @task
    def review(self):
        self.count_loop()
        # The reference the lease is read against: an authenticated request that does nothing else
        # (login check, session, a two-key JSON answer), sent by the same users under the same load.
        self.client.get("/jobs/status", name=TRIVIAL)
        with self.client.get("/queue/next", name="GET /queue/next (lease)", allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"no claim leased ({response.status_code})")
                log_failure(self.username, "GET /queue/next", response)
                return
            location = response.headers["Location"]
        page = self.client.get(location, name="GET /claims/[id]")
        if page.status_code >= 400:
            log_failure(self.username, f"GET {location}", page)
        if THINK:
            self.wait()
        try:
            action, fields = find_form(page.text, form_id="review-form")
        except LookupError:
            log_failure(self.username, f"GET {location} (no review form)", page)
            raise
        fields["decision"] = "verify"
        with self.client.post(action, data=fields, name="POST /claims/[id] verify", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code == 409:
                # A correct refusal (the claim changed or is held by another reviewer since the page
                # was read): nothing was lost, so it is counted on a row of its own, not as a failure.
                response.request_meta["name"] = REFUSED
                log_failure(self.username, f"POST {action} verify (claim page {location})", response, fields,
                            why="refusal")
            elif response.status_code not in (302, 303):
                response.failure(f"verify answered {response.status_code}")
                log_failure(self.username, f"POST {action} verify (claim page {location})", response, fields)


class Lister(LoggedIn):
    """Reads the claims list pages given in BENCH_LIST_URLS, in turn."""

    @task
    def read_lists(self):
        self.count_loop()
        for number, (label, url) in enumerate(LIST_URLS):
            if THINK and number:
                self.wait()
            self.client.get(url, name=label)


class Visitor(HttpUser):
    """Fetches the login page: the trivial page every other figure is compared with."""

    wait_time = constant(0)

    def on_start(self):
        self.loops = 0

    @task
    def login_page(self):
        self.loops += 1
        if self.loops > LOOPS:
            raise StopUser()
        self.client.get("/login", name="GET /login (reference)")
