"""Decisions and corrections racing on the same claims, over HTTP, on SQLite and PostgreSQL.

Eight threads share three logins: one reviewer signed in twice (two sessions, as two browsers)
and a second reviewer. Each round opens a claim, waits a moment, and submits a correction or
a decision. Every submission must end as exactly one recorded review or one 409, and the
recorded reviews of each claim must form one unbroken chain: each was made against the
version the previous one left, and each field's "before" is what the previous change wrote.
"""
import random
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from claimtrack import accounts, conflicts
from claimtrack.database import make_engine, make_sessionmaker
from models import Claim, Document, Review
from webapp import create_app
from webapp.db import EXTENSION

from . import factories
from .conftest import PASSWORD, Auth, BufferedClient, form_fields
from .factories import ClaimFactory, DocumentFactory
from .threads import run_in_threads

THREADS = 8
ROUNDS = 200
CLAIMS = 5
# The first three threads are one login of rita, the next three a second login of rita, the rest otto's.
SESSION_OF_THREAD = ["rita-1"] * 3 + ["rita-2"] * 3 + ["otto"] * 2
FIELDS = ("value", "value_max", "unit", "qualifier", "change", "period_start", "period_end", "subject", "measure",
          "kind")


@dataclass(frozen=True)
class Submission:
    """One POST of the review form: what it was made against and how it ended."""

    token: str
    claim_id: int
    version_seen: int
    status: int


def _fill(url: str) -> list[int]:
    """One document with CLAIMS pending claims of distinct measures, and the two reviewers."""
    text = "The depot logged 11 buses, 22 trams, 33 ferries, 44 taxis and 55 bicycles in the spring."
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        document = Document(sha256="d" * 64, file_name="depot.txt", title="Depot", text=text, char_count=len(text))
        session.add(document)
        session.flush()
        claims = []
        for quote, measure in (("11", "buses"), ("22", "trams"), ("33", "ferries"), ("44", "taxis"),
                               ("55", "bicycles"))[:CLAIMS]:
            start = text.index(quote)
            claim = Claim(document=document, start=start, end=start + len(quote), quote=quote,
                          sentence_start=0, sentence_end=len(text), value=float(quote), extracted_value=float(quote),
                          subject="the depot", extracted_subject="the depot", measure=measure,
                          extracted_measure=measure, confidence=0.5)
            session.add(claim)
            claims.append(claim)
        accounts.create_user(session, "rita", PASSWORD, "reviewer")
        accounts.create_user(session, "otto", PASSWORD, "reviewer")
        session.commit()
        ids = [c.id for c in claims]
    engine.dispose()
    return ids


def _submission(rng: random.Random, token: str) -> dict:
    """A random decision or correction whose note makes it unlike any other submission."""
    roll = rng.random()
    if roll < 0.04:
        return {"decision": "verify", "note": token}
    if roll < 0.06:
        return {"decision": "reject", "note": token}
    if roll < 0.07:
        return {"decision": "needs_info", "note": token}
    fields = {"decision": "correct", "note": token, "value": str(rng.randint(1, 99))}
    if rng.random() < 0.5:
        year = rng.choice((2023, 2024, 2025))
        fields.update(period_start=f"{year}-01-01", period_end=f"{year}-12-31")
    if rng.random() < 0.3:
        fields["unit"] = rng.choice(("", "t", "km"))
    return fields


def _race(app, cookies: dict[str, str], claim_ids: list[int]) -> list[Submission]:
    done: list[Submission] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def work(thread: int):
        rng = random.Random(thread)
        client = app.test_client()
        client.set_cookie("session", cookies[SESSION_OF_THREAD[thread]], domain="localhost")
        barrier.wait()
        for round_ in range(thread, ROUNDS, THREADS):
            claim_id = rng.choice(claim_ids)
            page = client.get(f"/claims/{claim_id}")
            assert page.status_code == 200, page.status_code
            form = form_fields(page.get_data(as_text=True), "review-form")
            time.sleep(rng.random() / 100)
            token = f"submission {round_} by thread {thread}"
            response = client.post(f"/claims/{claim_id}", data={**form, **_submission(rng, token)})
            with lock:
                done.append(Submission(token, claim_id, int(form["version"]), response.status_code))

    run_in_threads(work, range(THREADS), timeout=300)
    return done


def _check_chain(session, claim: Claim, seen: dict[str, int]) -> None:
    """The claim's recorded reviews, oldest first, each made against the version the last one left."""
    reviews = session.scalars(sa.select(Review).where(Review.claim_id == claim.id).order_by(Review.id)).all()
    state = {name: getattr(claim, f"extracted_{name}") for name in FIELDS}
    state = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in state.items()}
    status = "pending"
    for expected_version, review in enumerate(reviews, start=1):
        assert seen[review.note] == expected_version, (claim.id, review.note)
        assert review.status_before == status
        for name, (before, after) in review.changes.items():
            assert state[name] == before, (claim.id, review.note, name)
            state[name] = after
        status = review.status_after
    now = {name: getattr(claim, name) for name in FIELDS}
    assert {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in now.items()} == state
    assert claim.status == status and claim.version == len(reviews) + 1


def test_review_concurrency_every_submission_recorded_once_or_refused(fresh_database, backend, tmp_path):
    """On each backend; with TEST_DATABASE_URL set, an unreachable PostgreSQL errors here, never skips."""
    claim_ids = _fill(fresh_database)
    app = create_app({
        "SECRET_KEY": "concurrency-secret", "DATABASE_URL": fresh_database, "INSTANCE_PATH": str(tmp_path),
        # Leases that lapse at once: otherwise the other reviewer's submissions would all be
        # "held by" refusals, and only the claim versions are under test here.
        "LEASE_TTL": timedelta(0),
    })
    app.test_client_class = BufferedClient
    cookies = {}
    for name in ("rita-1", "rita-2", "otto"):
        client = app.test_client()
        assert Auth(client).login(name.split("-")[0]).status_code == 302
        client.get("/queue")  # the session's own CSRF token, so the two logins of rita differ
        cookies[name] = client.get_cookie("session").value
    assert cookies["rita-1"] != cookies["rita-2"]

    try:
        done = _race(app, cookies, claim_ids)
    finally:
        app.extensions[EXTENSION].kw["bind"].dispose()

    assert len(done) == ROUNDS
    assert {s.status for s in done} <= {303, 409}, sorted({s.status for s in done})
    engine = make_engine(fresh_database)
    with make_sessionmaker(engine)() as session:
        recorded = dict(session.execute(sa.select(Review.note, sa.func.count()).group_by(Review.note)).all())
        for submission in done:
            assert recorded.get(submission.token, 0) == (1 if submission.status == 303 else 0), submission
        assert set(recorded) <= {s.token for s in done}
        seen = {s.token: s.version_seen for s in done}
        for claim in session.scalars(sa.select(Claim).where(Claim.id.in_(claim_ids))):
            _check_chain(session, claim, seen)
    engine.dispose()
    statuses = [s.status for s in done]
    # The race really happened: some submissions were recorded, some were refused as stale.
    assert statuses.count(303) > CLAIMS and statuses.count(409) > 0


def _conflict_group(url: str) -> list[int]:
    """The two pending claims of one open conflict group (66 and 69 sister cities), and two reviewers."""
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        factories.bind(session)
        claims = [ClaimFactory(document=DocumentFactory(text=f"Gansu has {n} sister cities."), quote_text=str(n),
                               value=float(n)) for n in (66, 69)]
        conflicts.detect_claims(session, [c.id for c in claims])
        accounts.create_user(session, "rita", PASSWORD, "reviewer")
        accounts.create_user(session, "otto", PASSWORD, "reviewer")
        session.commit()
        assert all(c.conflict_open for c in claims)
        ids = [c.id for c in claims]
    engine.dispose()
    return ids


def test_two_reviewers_deciding_claims_of_one_conflict_group_at_once_are_both_recorded(
        fresh_database, backend, tmp_path, monkeypatch):
    """Each verifies a claim of the same open group, correcting its change to "up" (which takes it
    out of the group), while the other does: each detection then writes the group and the other's
    claim (left alone in it, no longer in conflict), which the other holds. On PostgreSQL both
    transactions are made to hold their own claim before either detects, so one is chosen as a
    deadlock victim: its decision must be recorded all the same, not answered "database
    unavailable" and lost."""
    claim_ids = _conflict_group(fresh_database)
    app = create_app({"SECRET_KEY": "concurrency-secret", "DATABASE_URL": fresh_database,
                      "INSTANCE_PATH": str(tmp_path)})
    app.test_client_class = BufferedClient
    forms = {}
    clients = {}
    for name, claim_id in (("rita", claim_ids[0]), ("otto", claim_ids[1])):
        client = clients[name] = app.test_client()
        assert Auth(client).login(name).status_code == 302
        page = client.get(f"/claims/{claim_id}")
        assert page.status_code == 200
        forms[name] = {**form_fields(page.get_data(as_text=True), "review-form"), "decision": "verify",
                       "change": "up"}

    detect = conflicts.detect_claims
    both_hold_their_claim = threading.Barrier(2, timeout=10)
    waited = threading.local()

    def detect_once_both_hold_their_claim(session, ids):
        # SQLite's writers begin IMMEDIATE, one at a time: there the second simply waits its turn.
        if backend == "postgresql" and not getattr(waited, "done", False):
            waited.done = True
            both_hold_their_claim.wait()
        return detect(session, ids)

    monkeypatch.setattr(conflicts, "detect_claims", detect_once_both_hold_their_claim)
    answers = {}

    def work(job):
        name, claim_id = job
        answers[name] = clients[name].post(f"/claims/{claim_id}", data=forms[name]).status_code

    try:
        run_in_threads(work, [("rita", claim_ids[0]), ("otto", claim_ids[1])], timeout=60)
    finally:
        app.extensions[EXTENSION].kw["bind"].dispose()

    assert answers == {"rita": 303, "otto": 303}
    engine = make_engine(fresh_database)
    with make_sessionmaker(engine)() as session:
        decided = session.execute(sa.select(Claim.id, Claim.status, Claim.change).where(
            Claim.id.in_(claim_ids[:2])).order_by(Claim.id)).all()
        assert [tuple(row) for row in decided] == [(claim_ids[0], "verified", "up"), (claim_ids[1], "verified", "up")]
        reviews = session.execute(sa.select(Review.claim_id, Review.decision).order_by(Review.claim_id)).all()
        assert [tuple(row) for row in reviews] == [(claim_ids[0], "verify"), (claim_ids[1], "verify")]
    engine.dispose()
