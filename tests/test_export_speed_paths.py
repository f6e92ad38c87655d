"""The CSV the database formats (COPY on PostgreSQL, the driver's rows on SQLite) is byte for byte
the CSV every cell formatted in Python (`CsvExport(..., reference=True)`), for any filter."""
import csv
import io
import itertools
import random
from datetime import date, datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimtrack import export, review, second_review
from claimtrack.export import COLUMNS, CsvExport, export_filter
from models import STATUSES, ConflictGroup, Review

from .factories import ClaimFactory, DocumentFactory, UserFactory

UTC = timezone.utc
EXAMPLES = itertools.count()
NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)

# Text that starts like a formula (after whitespace too), needs quoting, or is not ASCII.
AWKWARD = [
    "=1+1", "+cmd", "-3", "@x", "\tTAB", "\rCR", " -3", "  =SUM(A1)", "\u00a0@nbsp", "\u3000+ideo", "\n=lf",
    "a,b", 'say "hi"', "two\nlines", "cr\r\nlf", "東京都", "km²", "Ünïcödé — dash", "", " ", "'quoted",
    "plain", "x=1", "9 lives", "\u2028=sep", "\x1c-fs", "\x85=nel",
]
NUMBERS = [
    1e-7, 1.5e20, 0.1 + 0.2, 1190000000000.0, -3.5, 66.0, -0.0, 0.0, 1 / 3, 2.5e22, 1e300, -1e300, 123456789.12345679,
    5e-324, 1e15, 1e15 + 1, 2.0**53, 2.0**53 + 2, -(2.0**60), 0.0001, 0.00009999999999999999, 99999999999999.98,
    -1.5e-10, 4.35, 1e16, 12345678901234567890.0,
]


def _both(session, **filters) -> tuple[str, str]:
    """The export of `filters` as the database formats it and as Python formats it."""
    chosen = export_filter(**filters)
    return "".join(CsvExport(session, chosen)), "".join(CsvExport(session, chosen, reference=True))


def _claim(document, rng, quote, **fields):
    text = rng.choice(AWKWARD)
    return ClaimFactory(document=document, quote_text=quote, subject=rng.choice(AWKWARD), measure=text,
                        unit=rng.choice(AWKWARD)[:32], rank_reason=rng.choice(AWKWARD), **fields)


@pytest.fixture
def corpus(db_session, reviewer, lead):
    """Claims of every status with awkward text and numbers, corrections, notes, evidence, conflicts, second reviews."""
    rng = random.Random(5)
    otto = UserFactory(username="=otto")
    documents = []
    for n, title in enumerate(AWKWARD[:12]):
        body = f"{rng.choice(AWKWARD)} figure 1 and 2 here.\r\nThen\t3, \"4\" and 5 — 東京 {n}.\n=6 closes."
        documents.append(DocumentFactory(text=body, title=title, source=rng.choice(AWKWARD),
                                         published=date(2024, 1 + n % 12, 1 + n) if n % 3 else None))
    claims = []
    for n, value in enumerate(NUMBERS * 2):
        document = documents[n % len(documents)]
        quote = str(1 + n % 6)
        corrected = n % 3 == 0
        claims.append(_claim(
            document, rng, quote, value=value, extracted_value=value * 2 if corrected else value,
            value_max=None if n % 2 else abs(value) * 3, uncertainty=None if n % 4 else abs(value) / 7,
            status=STATUSES[n % len(STATUSES)], change=(None, "up", "down")[n % 3],
            qualifier=("=", "~", ">=", "<")[n % 4], kind=("fact", "target", "projection")[n % 3],
            sentence_start=n % 5, sentence_end=len(document.text) - n % 7,
            period_start=date(2020, 1, 1) if n % 2 else None, period_end=date(2020, 12, 31) if n % 2 else None,
        ))
    group = ConflictGroup(key="k|speed", subject="=x", measure="m", status="resolved")
    db_session.add(group)
    db_session.flush()
    claims[1].group_id = claims[2].group_id = group.id
    claims[1].rank, claims[2].rank = "preferred", "deprecated"
    for n, claim in enumerate(claims[:20]):
        db_session.add(Review(claim=claim, user=reviewer, decision=("verify", "reject", "needs_info", "correct")[n % 4],
                              note=AWKWARD[n % len(AWKWARD)], created_at=datetime(2024, 5, 2, 9, n, 15, 999999, tzinfo=UTC)))
        claim.reviewed_by = reviewer
        claim.reviewed_at = datetime(2024, 5, 2, 9, n, 15, 999999, tzinfo=UTC)
    db_session.flush()
    pending = [c for c in claims[20:] if c.status == "pending"][:4]
    review.decide(db_session, pending[0], reviewer, "verify", version=pending[0].version, now=NOW, check_lease=False,
                  note="-evidence", evidence=review.Evidence(url="https://example.org/=t", quote="@passage",
                                                             checked_on=date(2024, 2, 1), method="stated"))
    second_review.set_policy(db_session, lead, now=NOW, share=100)
    # Agreed, disputed, and awaiting its second review.
    for claim, second_unit in zip(pending[1:4], ("same", "t", None), strict=True):
        review.decide(db_session, claim, reviewer, "verify", version=claim.version, now=NOW, check_lease=False)
        if second_unit is not None:
            values = second_review.extracted_values(claim)
            if second_unit != "same":
                values["unit"] = second_unit
            second_review.decide_second(db_session, claim, otto, "verify", values=values, version=claim.version,
                                        now=NOW)
    db_session.commit()
    return claims


@pytest.mark.parametrize("filters", [
    {},
    {"status": STATUSES},
    {"status": STATUSES, "conflicts": "all"},
    {"status": ("pending",), "conflicts": "preferred"},
    {"status": ("verified",), "settled_only": True},
    {"status": STATUSES, "subject": "="},
    {"status": STATUSES, "measure": "two"},
    {"status": STATUSES, "q": "figure"},
    {"status": STATUSES, "reviewer": "rita"},
    {"status": STATUSES, "kind": "target", "period_from": date(2019, 1, 1), "period_to": date(2021, 1, 1)},
    {"status": STATUSES, "reviewed_from": date(2024, 5, 2), "reviewed_to": date(2024, 5, 2)},
])
def test_export_speed_path_same_bytes_as_python_cells(db_session, corpus, filters):
    fast, reference = _both(db_session, **filters)
    assert fast == reference
    assert fast.count("\r\n") >= 1


def test_export_speed_path_covers_the_awkward_cells(db_session, corpus):
    fast, reference = _both(db_session, status=STATUSES, conflicts="all")
    assert fast == reference
    # The corpus holds what the comparison is for: guarded cells, quoted cells, plain big numbers.
    assert "'=1+1" in fast and "' -3" in fast and "'\tTAB" in fast and '"two\nlines"' in fast
    assert "0.0000001" in fast and "150000000000000000000" in fast and str(int(2.5e22)) in fast
    assert ",'=otto," in fast and ",agreed," in fast
    assert len(fast.split("\r\n")) > len(NUMBERS) * 2


def test_export_speed_path_same_bytes_at_every_page_size(db_session, corpus):
    reference = "".join(CsvExport(db_session, export_filter(status=STATUSES), reference=True))
    for page_size in (1, 7, 5000):
        assert "".join(CsvExport(db_session, export_filter(status=STATUSES), page_size=page_size)) == reference


def test_export_speed_path_bom_and_empty(db_session):
    chosen = export_filter(status=STATUSES)
    assert "".join(CsvExport(db_session, chosen, bom=True)) == "".join(CsvExport(db_session, chosen, bom=True,
                                                                                 reference=True))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=8),
       texts=st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                              max_size=12), min_size=1, max_size=8))
def test_export_speed_path_any_double_and_text(db_session, values, texts):
    document = DocumentFactory(text=f"a number 1 here, example {next(EXAMPLES)}")
    for n, value in enumerate(values):
        ClaimFactory(document=document, quote_text="1", value=value, extracted_value=value, status="verified",
                     subject=texts[n % len(texts)], measure=texts[-1 - n % len(texts)][:200])
    db_session.commit()
    # Each example its own document: the claims of earlier examples stay out of this one's export.
    fast, reference = _both(db_session, document=document.id)
    assert fast == reference


def test_export_speed_path_failure_midway_ends_with_error_row(db_session, monkeypatch, caplog):
    for _ in range(5):
        ClaimFactory(status="verified", document=DocumentFactory())
    db_session.commit()
    # The database's pages, broken after two: as a connection lost part-way would.
    real_copy, real_sqlite = export._copy_pages, export._sqlite_pages

    def failing(real):
        def pages(*args):
            for n, page in enumerate(real(*args)):
                if n == 2:
                    raise RuntimeError("connection lost\nsecond line")
                yield page
        return pages

    monkeypatch.setattr(export, "_copy_pages", failing(real_copy))
    monkeypatch.setattr(export, "_sqlite_pages", failing(real_sqlite))
    run = CsvExport(db_session, export_filter(), page_size=2)
    lines = "".join(run).split("\r\n")
    assert lines[-2] == "# export failed after 4 rows: connection lost"
    assert len(lines) == 1 + 4 + 1 + 1
    assert (run.rows, run.failure) == (4, "connection lost")
    assert "CSV export failed after 4 rows" in caplog.text


def test_export_speed_path_numbers_are_plain_decimals(db_session):
    document = DocumentFactory(text="a number 1 here")
    for value in NUMBERS:
        ClaimFactory(document=document, quote_text="1", value=value, extracted_value=value, status="verified")
    db_session.commit()
    fast, reference = _both(db_session)
    assert fast == reference
    cells = [line.split(",")[3] for line in fast.split("\r\n")[1:-1]]
    assert cells == [export.plain_decimal(value) for value in NUMBERS]
    assert [float(cell) for cell in cells] == NUMBERS


@pytest.mark.parametrize("text", ["plain", "", "a,b", 'say "hi"', '"', "two\nlines", "cr\rhere", "cr\r\nlf",
                                  "東京都, km²", "\x00nul", " lead", "tail ", "'quoted", "=1+1", "\u2028sep"])
def test_export_one_csv_cell_is_what_csv_writer_writes(text):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(["x", text, "y"])
    assert f"x,{export._csv_cell(text)},y\r\n" == buffer.getvalue()


# Each text cell of a row that may hold what csv quotes, in turn: the title, quote and sentence
# quoted cell by cell, any other cell sending its whole row to csv.writer.
QUOTED_CELLS = ["subject", "measure", "unit", "rank_reason", "source", "title", "quote", "sentence", "reviewer",
                "note"]


@pytest.mark.parametrize("where", QUOTED_CELLS)
@pytest.mark.parametrize("text", ["a,b", 'say "hi"', "two\nlines", "cr\r\nlf", "=1,+2", "\u00a0@x, \"y\""])
def test_export_speed_path_quotes_each_cell_as_python_cells(db_session, reviewer, where, text):
    body = f"Before. {text if where in ('sentence', 'quote') else 'Plain'} has 66 sister cities.\nAfter."
    document = DocumentFactory(text=body, title=text if where == "title" else "Title",
                               source=text if where == "source" else None)
    sentence = (body.index(". ") + 2, body.index("\nAfter"))
    user = UserFactory(username=text) if where == "reviewer" else reviewer
    claim = ClaimFactory(
        document=document, status="verified", quote_text=text if where == "quote" else "66",
        sentence_start=sentence[0], sentence_end=sentence[1],
        subject=text if where == "subject" else "Gansu", measure=text if where == "measure" else "cities",
        unit=text if where == "unit" else "pairs", rank_reason=text if where == "rank_reason" else "",
        reviewed_by=user, reviewed_at=datetime(2024, 5, 2, 9, 30, tzinfo=UTC),
    )
    db_session.add(Review(claim=claim, user=user, decision="verify", note=text if where == "note" else None,
                          created_at=datetime(2024, 5, 2, 9, 30, tzinfo=UTC)))
    db_session.commit()
    fast, reference = _both(db_session, document=document.id)
    assert fast == reference
    row = next(csv.reader(io.StringIO(fast.split("\r\n", 1)[1], newline="")))
    column = {"title": "document_title", "source": "document_source", "reviewer": "reviewed_by",
              "note": "review_note"}.get(where, where)
    expected = body[sentence[0]:sentence[1]] if where == "sentence" else text
    assert row[COLUMNS.index(column)] == export.inert_text(expected)


def test_export_speed_path_nulls_formulas_and_unicode_as_python_cells(db_session):
    document = DocumentFactory(text="-7 km² à Zürich, 66 “quoted” ones.", title="=Zürich, „Bericht“",
                               source="@src", published=None)
    for n, (subject, unit) in enumerate([("+Gansu", "km²"), ("\u3000=东京", "-"), ("Ünïcödé", "\t")]):
        ClaimFactory(document=document, quote_text="66", status="verified", subject=subject, unit=unit,
                     value_max=None, uncertainty=None if n else 0.25, period_start=None, period_end=None,
                     change=None, rank_reason="-down" if n == 1 else "", sentence_end=len(document.text) - n)
    db_session.commit()
    fast, reference = _both(db_session, document=document.id)
    assert fast == reference
    assert "'+Gansu" in fast and "'\u3000=东京" in fast and ",'=Zürich, „Bericht“," not in fast
    assert '"\'=Zürich, „Bericht“"' in fast and ",'@src," in fast and ",'-down," in fast


def test_export_speed_path_cells_starting_with_a_digit_or_none_as_python_cells(db_session, reviewer):
    document = DocumentFactory(text="2024: 66 pairs, 1=1 and 9 lives.", title="2024, a report", source="10.1000/x=1")
    claims = [ClaimFactory(document=document, quote_text="66", status=status, subject=subject, measure="1=1",
                           unit="9", rank_reason="0-1" if n else "", change=None)
              for n, (status, subject) in enumerate([("verified", "9 lives"), ("pending", "0"), ("rejected", "-0")])]
    db_session.add(Review(claim=claims[0], user=reviewer, decision="verify", note="3 sources, one \"=x\"",
                          created_at=datetime(2024, 5, 2, 9, 30, tzinfo=UTC)))
    claims[0].reviewed_by, claims[0].reviewed_at = reviewer, datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
    db_session.commit()
    fast, reference = _both(db_session, status=STATUSES, document=document.id)
    assert fast == reference
    rows = list(csv.reader(io.StringIO(fast, newline="")))[1:]
    assert [row[COLUMNS.index("subject")] for row in rows] == ["9 lives", "0", "'-0"]
    assert {row[COLUMNS.index("measure")] for row in rows} == {"1=1"}
    assert rows[0][COLUMNS.index("review_note")] == '3 sources, one "=x"'
    assert rows[1][COLUMNS.index("review_note")] == rows[1][COLUMNS.index("reviewed_by")] == ""
    assert rows[0][COLUMNS.index("document_title")] == "2024, a report"
