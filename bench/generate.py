"""Fill a migrated database with a realistic synthetic corpus of claims, fast.

    from bench.generate import PASSWORD, generate
    stats = generate(url, claims=1_000_000, seed=1)   # -> GenerateStats

    python -m bench.generate --url URL --claims 1000000 [--seed 1]

`generate(url, claims=1_000_000, seed=1)` migrates `url` to head, refuses a database that
already holds documents, writes exactly `claims` claims and returns a `GenerateStats` (counts
per table and status, seconds taken). The same seed gives the same corpus (live leases are
stamped with the current time). What it writes:

* documents built from sentence templates over many subjects ("Norvik Province") and measures
  (population, GDP, unemployment, ...), 6 to 26 claims each; every claim's span is exact
  (`text[start:end] == quote`, with prefix, suffix and sentence offsets as ingest stores them);
* the status mix of a working team: about 60% pending, 28% verified, 7% rejected, 5%
  needs_info, each decided claim with its reviews (some verified claims corrected first);
* users `reviewer01`..`reviewer12` and `lead01`..`lead02`, all with password `PASSWORD`;
* one conflict group per subject and measure (30 measures, claims // 500 subjects): about 76%
  consistent; the rest are facts the documents disagree on (later mentions off by about 7%),
  open (their claims carry `conflict_open`), resolved (a `Resolution` preferring the first
  claim, disagreeing ones ranked deprecated) or left unresolved;
* a few live leases (held by reviewer09..reviewer12), expired leases, and skips.

Rows go in with bulk Core-level statements on the raw driver connection: `COPY` on PostgreSQL,
`executemany` on SQLite, in batches; ids are assigned here and PostgreSQL sequences moved past
them at the end. `documents(seed)` yields the same documents without touching a database
(the ingest benchmark writes them to files).
"""
import argparse
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone
from hashlib import sha256

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from claimtrack import schema
from claimtrack.database import make_engine
from claimtrack.extract import EXTRACTOR_VERSION
from claimtrack.extract.entities import subject_key
from claimtrack.ingest import CONTEXT_CHARS
from claimtrack.triage import worth

PASSWORD = "bench-password"
REVIEWERS = tuple(f"reviewer{i:02d}" for i in range(1, 13))
LEADS = ("lead01", "lead02")
BATCH_CLAIMS = 20_000
EPOCH = datetime(2025, 1, 6, 9, 0)

_PLACES = (
    "Nor", "Ost", "Vel", "Mar", "Kal", "Bren", "Tor", "Lis", "Dun", "Ash", "Cor", "Fen", "Hal",
    "Ivr", "Jor", "Lan", "Mor", "Pel", "Quin", "Rav", "Sel", "Tam", "Ul", "Var", "Wes", "Yor",
    "Zan", "Bel", "Car", "Del",
)
_ENDINGS = ("vik", "burg", "ford", "mouth", "field", "stad", "haven", "ton", "wick", "dale",
            "port", "more", "by", "holm", "gate")
_KINDS_OF_PLACE = ("", " Province", " City Council", " Port Authority", " County", " Metro")


@dataclass(frozen=True)
class Measure:
    """A quantity documents report: how it is named, its unit, and its plausible range."""

    name: str
    text: str
    unit: str
    unit_word: str
    scale_word: str
    scale: float
    low: float
    high: float
    decimals: int


MEASURES = (
    Measure("population", "the population", "", "people", "million", 1e6, 0.2, 30, 1),
    Measure("gdp", "GDP", "CNY", "yuan", "billion", 1e9, 20, 900, 1),
    Measure("unemployment rate", "the unemployment rate", "%", "%", "", 1, 2, 14, 1),
    Measure("inflation", "inflation", "%", "%", "", 1, 0.5, 9, 1),
    Measure("container throughput", "container throughput", "TEU", "TEU", "", 1, 10_000, 900_000, 0),
    Measure("road length", "the road network", "km", "kilometres", "", 1, 200, 9_000, 0),
    Measure("rail length", "the rail network", "km", "kilometres", "", 1, 50, 2_500, 0),
    Measure("forest cover", "forest cover", "%", "%", "", 1, 5, 70, 1),
    Measure("hospital beds", "hospital beds", "", "beds", "", 1, 300, 40_000, 0),
    Measure("school enrolment", "school enrolment", "", "pupils", "", 1, 5_000, 900_000, 0),
    Measure("tourist arrivals", "tourist arrivals", "", "visitors", "million", 1e6, 0.1, 40, 2),
    Measure("exports", "exports", "USD", "dollars", "billion", 1e9, 0.5, 300, 1),
    Measure("imports", "imports", "USD", "dollars", "billion", 1e9, 0.5, 300, 1),
    Measure("budget", "the budget", "EUR", "euros", "million", 1e6, 10, 9_000, 0),
    Measure("housing completions", "housing completions", "", "homes", "", 1, 200, 90_000, 0),
    Measure("electricity output", "electricity output", "GWh", "gigawatt hours", "", 1, 100, 90_000, 0),
    Measure("water use", "water use", "m3", "cubic metres", "million", 1e6, 5, 2_000, 0),
    Measure("carbon emissions", "carbon emissions", "t", "tonnes", "million", 1e6, 0.5, 400, 1),
    Measure("rainfall", "annual rainfall", "mm", "millimetres", "", 1, 150, 2_400, 0),
    Measure("average wage", "the average monthly wage", "EUR", "euros", "", 1, 600, 6_000, 0),
    Measure("retail sales", "retail sales", "EUR", "euros", "billion", 1e9, 0.2, 90, 1),
    Measure("passenger journeys", "passenger journeys", "", "journeys", "million", 1e6, 1, 900, 0),
    Measure("broadband coverage", "broadband coverage", "%", "%", "", 1, 40, 99, 1),
    Measure("crop yield", "the grain harvest", "t", "tonnes", "million", 1e6, 0.1, 70, 2),
    Measure("new businesses", "new business registrations", "", "companies", "", 1, 100, 60_000, 0),
    Measure("sister cities", "international sister city relationships", "", "pairs", "", 1, 3, 120, 0),
    Measure("doctors", "practising doctors", "", "doctors", "", 1, 100, 60_000, 0),
    Measure("recycling rate", "the recycling rate", "%", "%", "", 1, 10, 75, 1),
    Measure("bus fleet", "the bus fleet", "", "buses", "", 1, 40, 9_000, 0),
    Measure("public debt", "public debt", "EUR", "euros", "billion", 1e9, 0.1, 200, 1),
)

# Sentence templates: (text with {S} subject, {M} measure text, {Q} quote, {Y} year;
# qualifier; kind; period: "year", "q1" or "target" (two years on); change).
_TEMPLATES = (
    ("{S} reported {M} of {Q} in {Y}.", "=", "fact", "year", None),
    ("In {Y}, {M} in {S} reached {Q}.", "=", "fact", "year", None),
    ("{Mc} in {S} stood at about {Q} in {Y}, officials said.", "~", "fact", "year", None),
    ("{Mc} in {S} exceeded {Q} in {Y}.", ">", "fact", "year", None),
    ("Figures for {S} put {M} at {Q} in {Y}.", "=", "fact", "year", None),
    ("{S} aims to bring {M} to {Q} by {Y}.", "=", "target", "target", None),
    ("{Mc} in {S} rose to {Q} in the first quarter of {Y}.", "=", "fact", "q1", "up"),
    ("{Mc} in {S} fell to {Q} in the first quarter of {Y}.", "=", "fact", "q1", "down"),
)
_FILLER = (
    "The figures were released by the regional statistics office.",
    "Analysts said the trend was broadly in line with expectations.",
    "Local officials declined to comment further.",
    "The report was presented to the council on Monday.",
    "Opposition members questioned how the numbers were compiled.",
    "A fuller breakdown is expected later in the year.",
)
_STATUS_WEIGHTS = (("pending", 60), ("verified", 28), ("rejected", 7), ("needs_info", 5))
CONTESTED = 0.24
_CONTESTED_GROUP_WEIGHTS = (("open", 12), ("resolved", 9), ("unresolved", 3))
_DECISION = {"verified": "verify", "rejected": "reject", "needs_info": "needs_info"}
_NOTES = {"verify": "", "reject": "Not what the source says.", "needs_info": "Which year is this?"}


@dataclass(frozen=True)
class SyntheticClaim:
    """One claim of a synthetic document, as the extractor would report it."""

    start: int
    end: int
    quote: str
    sentence_start: int
    sentence_end: int
    value: float
    unit: str
    qualifier: str
    change: str | None
    period_start: date
    period_end: date
    subject: str
    measure: str
    measure_text: str
    kind: str
    confidence: float
    key: int
    contested: bool
    disagrees: bool


@dataclass(frozen=True)
class SyntheticDocument:
    """A synthetic document: its text, metadata and the claims stated in it."""

    file_name: str
    title: str
    published: date
    text: str
    claims: tuple[SyntheticClaim, ...]


@dataclass
class GenerateStats:
    """What `generate` wrote."""

    documents: int = 0
    claims: int = 0
    statuses: Counter = field(default_factory=Counter)
    groups: Counter = field(default_factory=Counter)
    reviews: int = 0
    resolutions: int = 0
    leases: int = 0
    skips: int = 0
    users: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line per table, for the command line and RESULTS.md."""
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(self.statuses.items()))
        groups = ", ".join(f"{k} {v:,}" for k, v in sorted(self.groups.items()))
        return (
            f"{self.documents:,} documents, {self.claims:,} claims ({statuses}), "
            f"{sum(self.groups.values()):,} conflict groups ({groups}), {self.reviews:,} reviews, "
            f"{self.resolutions:,} resolutions, {self.leases:,} leases, {self.skips:,} skips, "
            f"{self.users} users in {self.seconds:.1f} s"
        )


def _subjects(rng: random.Random, count: int) -> list[str]:
    names = [p + e + k for k in _KINDS_OF_PLACE for p in _PLACES for e in _ENDINGS]
    rng.shuffle(names)
    return names[:count]


def _number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _period(kind: str, year: int) -> tuple[date, date]:
    if kind == "q1":
        return date(year, 1, 1), date(year, 3, 31)
    return date(year, 1, 1), date(year, 12, 31)


def documents(seed: int = 1, claims: int | None = None, subjects: int | None = None) -> Iterator[SyntheticDocument]:
    """Synthetic documents with their claims; exactly `claims` claims in all (endless if None)."""
    rng = random.Random(seed)
    subject_count = subjects or max(20, min(len(_PLACES) * len(_ENDINGS) * len(_KINDS_OF_PLACE),
                                            (claims or 1_000_000) // 500))
    names = _subjects(rng, subject_count)
    base: dict[int, float] = {}
    # Facts the sources disagree on: after the first mention, some documents state another value.
    contested: dict[int, bool] = {}
    made = 0
    number = 0
    while claims is None or made < claims:
        number += 1
        subject_index = rng.randrange(subject_count)
        subject = names[subject_index]
        published = date(2019, 1, 1) + timedelta(days=rng.randrange(6 * 365))
        want = rng.randint(6, 26)
        if claims is not None:
            want = min(want, claims - made)
        measures = rng.sample(range(len(MEASURES)), min(want, len(MEASURES)))
        title = f"{subject}: {MEASURES[measures[0]].text} and other figures, {published.year}"
        parts = [title, "\n", f"Published: {published.isoformat()}", "\n\n"]
        offset = sum(map(len, parts))
        found = []
        for position, measure_index in enumerate(measures):
            if position and position % 4 == 0:
                parts.append("\n\n")
                offset += 2
            elif position:
                parts.append(" ")
                offset += 1
            if rng.random() < 0.3:
                filler = rng.choice(_FILLER) + " "
                parts.append(filler)
                offset += len(filler)
            measure = MEASURES[measure_index]
            template, qualifier, kind, period_kind, change = rng.choice(_TEMPLATES)
            year = published.year - (0 if period_kind == "q1" else 1)
            if period_kind == "target":
                year = published.year + 2
            key = subject_index * len(MEASURES) + measure_index
            first = key not in base
            if first:
                base[key] = rng.uniform(measure.low, measure.high)
                contested[key] = rng.random() < CONTESTED
            amount = round(base[key] * (1 + 0.02 * (year - 2018)), measure.decimals)
            disagrees = contested[key] and not first and rng.random() < 0.3
            if disagrees:
                amount = round(amount * 1.07 + 10 ** -measure.decimals, measure.decimals)
            quote = _number(amount, measure.decimals)
            if measure.scale_word:
                quote += " " + measure.scale_word
            quote += measure.unit_word if measure.unit_word == "%" else " " + measure.unit_word
            before, after = template.split("{Q}")
            fill = {"S": subject, "M": measure.text, "Mc": measure.text[0].upper() + measure.text[1:],
                    "Y": year}
            before, after = before.format(**fill), after.format(**fill)
            sentence = before + quote + after
            start = offset + len(before)
            period_start, period_end = _period(period_kind, year)
            found.append(SyntheticClaim(
                start=start, end=start + len(quote), quote=quote,
                sentence_start=offset, sentence_end=offset + len(sentence),
                value=round(amount * measure.scale, 6), unit=measure.unit, qualifier=qualifier, change=change,
                period_start=period_start, period_end=period_end, subject=subject,
                measure=measure.name, measure_text=measure.text, kind=kind,
                confidence=round(rng.uniform(0.35, 0.98), 2), key=key, contested=contested[key],
                disagrees=disagrees,
            ))
            parts.append(sentence)
            offset += len(sentence)
        parts.append("\n")
        made += len(found)
        yield SyntheticDocument(f"synthetic-{seed}-{number:07d}.txt", title, published, "".join(parts),
                                tuple(found))


class Writer:
    """Bulk row writer on the raw driver connection: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, engine: sa.Engine):
        self.postgresql = engine.dialect.name == "postgresql"
        self.connection = engine.raw_connection()
        if not self.postgresql:
            self.connection.driver_connection.execute("PRAGMA synchronous=OFF")

    def timestamp(self, value: datetime):
        """A naive UTC timestamp as the backend stores it (SQLAlchemy's SQLite text format)."""
        return value if self.postgresql else value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Insert rows (tuples in `columns` order) into `table`."""
        if not rows:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        cursor = self.connection.cursor()
        if self.postgresql:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
        cursor.close()

    def commit(self) -> None:
        """Commit what was written so far."""
        if self.postgresql:
            self.connection.commit()
        else:
            self.connection.driver_connection.execute("COMMIT")

    def begin(self) -> None:
        """Start a transaction (SQLite connections here run in autocommit mode otherwise)."""
        if not self.postgresql:
            self.connection.driver_connection.execute("BEGIN")

    def close(self) -> None:
        """Return the connection."""
        self.connection.close()


DOCUMENT_COLUMNS = ("id", "sha256", "file_name", "title", "author", "publisher", "source", "source_note",
                     "media_type", "published", "text", "char_count", "extractor_version", "ingested_at")
_CURRENT = ("value", "value_max", "unit", "qualifier", "change", "period_start", "period_end",
            "subject", "measure", "kind")
CLAIM_COLUMNS = (
    "id", "document_id", "start", "end", "quote", "prefix", "suffix", "sentence_start", "sentence_end",
    *_CURRENT, *(f"extracted_{c}" for c in _CURRENT), "measure_text", "confidence", "extractor_version",
    "status", "reviewed_by_id", "reviewed_at", "group_id", "group_pinned", "rank", "rank_reason",
    "conflict_open", "version", "created_at", "updated_at", "subject_key", "worth",
)
_GROUP_COLUMNS = ("id", "key", "block", "measure_key", "subject", "measure", "dimension", "status", "is_series",
                  "note", "version", "created_at", "updated_at")
_REVIEW_COLUMNS = ("id", "claim_id", "user_id", "decision", "note", "changes", "status_before",
                   "status_after", "batch_id", "undoes_id", "created_at")
_RESOLUTION_COLUMNS = ("id", "group_id", "user_id", "decision", "preferred_claim_id", "note", "details",
                       "created_at", "undone_at", "undone_by_id")
_USER_COLUMNS = ("id", "username", "password_hash", "role", "active", "session_token", "created_at")


@lru_cache(maxsize=None)
def _subject_key(subject: str) -> str:
    """The entity key ingest stores beside a subject (a few thousand subjects: each resolved once)."""
    return subject_key(subject)


def _weighted(rng: random.Random, weights) -> str:
    return rng.choices([k for k, _ in weights], [w for _, w in weights])[0]


class _Corpus:
    """Turns synthetic documents into rows, keeping the per-group state the claims need."""

    def __init__(self, writer: Writer, rng: random.Random, stats: GenerateStats):
        self.writer, self.rng, self.stats = writer, rng, stats
        self.groups: dict[int, tuple[int, str, int]] = {}  # key -> (group id, status, preferred claim id)
        self.claim_id = self.review_id = 0
        self.rows: dict[str, list[tuple]] = {t: [] for t in ("documents", "conflict_groups", "claims",
                                                             "reviews", "resolutions")}

    def add(self, number: int, document: SyntheticDocument) -> None:
        """Queue the rows of one document, its claims, their groups, reviews and resolutions."""
        ts = self.writer.timestamp
        ingested = EPOCH + timedelta(minutes=3 * number)
        self.rows["documents"].append((
            number, sha256(document.text.encode("utf-8")).hexdigest(), document.file_name, document.title,
            "Synthetic Desk", "Bench Press", "", "", "text/plain", document.published, document.text,
            len(document.text), EXTRACTOR_VERSION, ts(ingested),
        ))
        self.stats.documents += 1
        for claim in document.claims:
            self.claim_id += 1
            self._claim(number, document.text, claim, ingested)

    def _group(self, claim: SyntheticClaim, when: datetime) -> tuple[int, str, int, bool]:
        """The claim's group (made on first sight) and whether this claim opened it."""
        if claim.key in self.groups:
            return (*self.groups[claim.key], False)
        status = _weighted(self.rng, _CONTESTED_GROUP_WEIGHTS) if claim.contested else "consistent"
        group_id = len(self.groups) + 1
        self.groups[claim.key] = (group_id, status, self.claim_id)
        ts = self.writer.timestamp
        self.rows["conflict_groups"].append((
            group_id, f"{claim.subject.lower()}|{claim.measure}|{claim.unit}", f"{claim.subject.lower()}|{claim.unit}",
            claim.measure, claim.subject, claim.measure, claim.unit, status, False, "", 1, ts(when), ts(when),
        ))
        self.stats.groups[status] += 1
        return group_id, status, self.claim_id, True

    def _claim(self, document_id: int, text: str, claim: SyntheticClaim, ingested: datetime) -> None:
        rng, ts = self.rng, self.writer.timestamp
        group_id, group_status, preferred_id, first = self._group(claim, ingested)
        value = claim.value
        rank, rank_reason = "normal", ""
        if group_status == "open":
            status = "pending" if rng.random() < 0.85 else _weighted(rng, _STATUS_WEIGHTS)
        elif group_status == "resolved":
            status = "verified"
            if first:
                rank, rank_reason = "preferred", "Matches the statistics office's release."
            elif claim.disagrees:
                rank, rank_reason = "deprecated", f"Superseded by claim {preferred_id}."
        else:
            status = _weighted(rng, _STATUS_WEIGHTS)
        current = [value, None, claim.unit, claim.qualifier, claim.change, claim.period_start,
                   claim.period_end, claim.subject, claim.measure, claim.kind]
        extracted = list(current)
        reviewer = reviewed_at = None
        if status != "pending":
            reviewer = rng.randint(1, len(REVIEWERS))
            reviewed_at = ingested + timedelta(hours=rng.randint(1, 400), seconds=rng.randint(0, 3599))
            if status == "verified" and rng.random() < 0.04:
                current[0] = value * 10
                self._review(claim, reviewer, "correct", {"value": [value, value * 10]}, "pending", "pending",
                             reviewed_at - timedelta(seconds=30))
            decision = _DECISION[status]
            self._review(claim, reviewer, decision, {"status": ["pending", status]}, "pending", status,
                         reviewed_at)
        self.stats.statuses[status] += 1
        self.stats.claims += 1
        self.rows["claims"].append((
            self.claim_id, document_id, claim.start, claim.end, claim.quote,
            text[max(0, claim.start - CONTEXT_CHARS):claim.start], text[claim.end:claim.end + CONTEXT_CHARS],
            claim.sentence_start, claim.sentence_end, *current, *extracted, claim.measure_text,
            claim.confidence, EXTRACTOR_VERSION, status, reviewer, reviewed_at and ts(reviewed_at), group_id,
            False, rank, rank_reason, group_status == "open", 1, ts(ingested), ts(reviewed_at or ingested),
            _subject_key(claim.subject), worth(claim.quote, value, claim.unit, claim.subject, claim.measure),
        ))
        if group_status == "resolved" and first:
            self.rows["resolutions"].append((
                group_id, group_id, len(REVIEWERS) + 1, "prefer", self.claim_id,
                "Preferred the official release.", "{}", ts(ingested + timedelta(days=2)), None, None,
            ))
            self.stats.resolutions += 1

    def _review(self, claim, reviewer, decision, changes, before, after, when) -> None:
        self.review_id += 1
        self.rows["reviews"].append((
            self.review_id, self.claim_id, reviewer, decision, _NOTES.get(decision, ""),
            json.dumps(changes), before, after, None, None, self.writer.timestamp(when),
        ))
        self.stats.reviews += 1

    def flush(self) -> None:
        """Write the queued rows, parents first, and commit them."""
        columns = {"documents": DOCUMENT_COLUMNS, "conflict_groups": _GROUP_COLUMNS, "claims": CLAIM_COLUMNS,
                   "reviews": _REVIEW_COLUMNS, "resolutions": _RESOLUTION_COLUMNS}
        self.writer.begin()
        for table, rows in self.rows.items():
            self.writer.write(table, columns[table], rows)
            rows.clear()
        self.writer.commit()


def _users(writer: Writer) -> list[tuple]:
    password_hash = generate_password_hash(PASSWORD)
    names = [(n, "reviewer") for n in REVIEWERS] + [(n, "lead") for n in LEADS]
    return [(i, name, password_hash, role, True, sha256(name.encode()).hexdigest()[:32],
             writer.timestamp(EPOCH - timedelta(days=30)))
            for i, (name, role) in enumerate(names, start=1)]


def _queue_state(engine: sa.Engine, writer: Writer, rng: random.Random, stats: GenerateStats) -> None:
    """Live and expired leases and skips on pending claims."""
    with engine.connect() as connection:
        pending = connection.scalars(sa.text(
            "SELECT id FROM claims WHERE status = 'pending' ORDER BY id LIMIT 5000")).all()
    if not pending:
        return
    chosen = rng.sample(pending, min(len(pending), 220))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    leases, skips = [], []
    for index, claim_id in enumerate(chosen[:20]):
        live = index < 4
        user = 9 + index if live else rng.randint(1, len(REVIEWERS))
        leased = now - timedelta(minutes=5) if live else now - timedelta(days=rng.randint(1, 20))
        leases.append((claim_id, user, writer.timestamp(leased), writer.timestamp(leased + timedelta(minutes=15))))
    for claim_id in chosen[20:]:
        skips.append((rng.randint(1, len(REVIEWERS)), claim_id,
                      writer.timestamp(now - timedelta(hours=rng.randint(1, 200)))))
    writer.begin()
    writer.write("leases", ("claim_id", "user_id", "leased_at", "expires_at"), leases)
    writer.write("skips", ("user_id", "claim_id", "skipped_at"), skips)
    writer.commit()
    stats.leases, stats.skips = len(leases), len(skips)


def _finish(engine: sa.Engine) -> None:
    """Move PostgreSQL's id sequences past the ids written here, vacuum it, and refresh planner statistics."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for table in ("documents", "claims", "conflict_groups", "reviews", "resolutions", "users"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
    # On both databases: without statistics SQLite's planner leaves the queue index for the
    # status index and a sort (lease_next 45 ms instead of a few at a million claims).
    # PostgreSQL also needs VACUUM: the /queue status counts are index-only scans only once the
    # visibility map is set. VACUUM cannot run inside a transaction, hence AUTOCOMMIT.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def generate(url: str, claims: int = 1_000_000, seed: int = 1) -> GenerateStats:
    """Migrate `url` and fill it with a synthetic corpus of exactly `claims` claims; return what was written."""
    started = time.perf_counter()
    schema.upgrade(url)
    engine = make_engine(url)
    stats = GenerateStats()
    rng = random.Random(seed + 1)
    try:
        with engine.connect() as connection:
            if connection.scalar(sa.text("SELECT count(*) FROM documents")):
                raise ValueError(f"{engine.url.render_as_string()} already holds documents; generate needs an empty database")
        writer = Writer(engine)
        try:
            users = _users(writer)
            writer.begin()
            writer.write("users", _USER_COLUMNS, users)
            writer.commit()
            stats.users = len(users)
            corpus = _Corpus(writer, rng, stats)
            for number, document in enumerate(documents(seed, claims), start=1):
                corpus.add(number, document)
                if len(corpus.rows["claims"]) >= BATCH_CLAIMS:
                    corpus.flush()
            corpus.flush()
            _queue_state(engine, writer, rng, stats)
        finally:
            writer.close()
        _finish(engine)
    finally:
        engine.dispose()
    stats.seconds = time.perf_counter() - started
    return stats


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m bench.generate --url URL --claims N [--seed S]."""
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of an empty (or new) database")
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(generate(args.url, args.claims, args.seed).summary())


if __name__ == "__main__":
    main()
