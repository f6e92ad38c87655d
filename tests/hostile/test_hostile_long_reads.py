"""Long reads meet writers: an export being downloaded holds no lock that a reviewer's decision
would wait for (on SQLite a write lock would stop everyone)."""
import threading

import sqlalchemy as sa

from claimtrack import export
from claimtrack.database import make_engine
from claimtrack.ingest import prepare, store
from claimtrack.sources import decode_document
from models import Claim, Review

from ..conftest import form_fields
from .conftest import client_of, in_thread

WAIT = 60
TEXT = "\n".join(
    f"In {1950 + n}, the port of Example handled {100 + n} ships and {2000 + n} containers."
    for n in range(60)
)


def _store_document(database_url: str) -> list[int]:
    engine = make_engine(database_url)
    with sa.orm.Session(engine) as session:
        store(session, prepare(decode_document(TEXT.encode(), "ports.txt")))
        session.commit()
        ids = list(session.scalars(sa.select(Claim.id).order_by(Claim.id)))
    engine.dispose()
    return ids


def _verify(client, claim_id: int):
    fields = form_fields(client.get(f"/claims/{claim_id}").get_data(as_text=True), "review-form")
    return client.post(f"/claims/{claim_id}", data={**fields, "decision": "verify"})


def test_hostile_export_being_downloaded_keeps_reviewers_writing(live_app, fresh_database, monkeypatch):
    claim_ids = _store_document(fresh_database)
    assert len(claim_ids) > 60
    reading, release = threading.Event(), threading.Event()

    def paused(pages):
        def after_first_page(*args, **kwargs):
            for number, page in enumerate(pages(*args, **kwargs)):
                if number == 0:
                    # The export has read a page of claims, inside its transaction, and waits to send it.
                    reading.set()
                    assert release.wait(WAIT)
                yield page
        return after_first_page

    for name in ("_copy_pages", "_sqlite_pages"):  # PostgreSQL's COPY, SQLite's keyset pages
        monkeypatch.setattr(export, name, paused(getattr(export, name)))
    downloader, reviewer = client_of(live_app, "rita"), client_of(live_app, "otto")
    downloading, downloaded = in_thread(lambda: downloader.get("/export.csv?status=").get_data())
    try:
        assert reading.wait(WAIT)
        deciding, answer = in_thread(lambda: _verify(reviewer, claim_ids[-1]))
        deciding.join(WAIT / 4)
        assert answer, "the reviewer's decision waited on the export being downloaded"
        assert not isinstance(answer[0], BaseException), answer[0]
        assert answer[0].status_code == 303, answer[0].get_data(as_text=True)[:2000]
    finally:
        release.set()
        downloading.join(WAIT)
    assert not isinstance(downloaded[0], BaseException), downloaded[0]
    assert downloaded[0].decode("utf-8").count("\n") == len(claim_ids) + 1
    engine = make_engine(fresh_database)
    with engine.connect() as connection:
        assert connection.scalar(sa.select(Review.decision).where(Review.claim_id == claim_ids[-1])) == "verify"
    engine.dispose()
