"""Placing claims in conflict groups and judging each group, over new claims or everything.

Claims are compared within a block (subject, unit dimension, kind, change); within it, each
group stands for the measure of its first claims. A claim joins the oldest group whose measure
reviewers called the same as its own, else the best-scoring one from SAME_FACT_SCORE up, else
it starts a group of its own measure, and a score from POSSIBLY_SAME_SCORE up becomes a
suggestion for a lead.
"""
import functools
import gc
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Iterable, Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Claim, ConflictGroup, Document, MatchSuggestion, MeasureEquivalence, utcnow

from .. import audit
from ..database import bulk_insert, bulk_update, indexes_set_aside, reserve_ids, take_turn
from .compare import (
    POSSIBLY_SAME_SCORE, SAME_FACT_SCORE, GroupKey, Learned, Statement, claim_interval, claim_period, evaluate,
    group_key, match_score, next_status, variant_key,
)

# Above this many claims to re-place, write through a temporary table instead of row by row.
BULK_UPDATE_ROWS = 5000
# The advisory lock (`database.take_turn`) under which a new document's check and a rebuild take turns:
# two documents about one fact stored at once (two workers, two uploads) would otherwise each find no
# group for it, make one of their own, and their conflict would go unseen. One key, not one a block:
# a document's claims can touch thousands of blocks, and PostgreSQL's lock table is shared and small.
# A reviewer's decision takes no turn (it holds its claim's row, which a waiting check may need).
STORE_CHECK_LOCK = 0x436C61696D436B  # "ClaimCk"
# In an offline rebuild, from this share of the claims re-placed on, PostgreSQL's placement UPDATE
# runs with the claims' indexes set aside and built again after it (`indexes_set_aside`): a rebuild
# from scratch rewrites every claim. It locks the claims table until the commit (every page that
# reads claims waits), so it is kept for an operator's maintenance run that rewrites much of it; below the share, entering the rows in the indexes costs less than
# rebuilding them (figures in bench/RESULTS.md, "Conflict detection").
SET_INDEXES_ASIDE_SHARE = 0.25
# How long a rebuild waits for that lock before it writes with the indexes in place instead.
SET_INDEXES_ASIDE_LOCK_TIMEOUT_MS = 5000
# PostgreSQL's work memory for joining the placements to the claims (about 60MB of hash at a
# million claims; the server's own default is 4MB).
PLACEMENT_JOIN_MEMORY = "128MB"

# The claim columns the detector reads.
CLAIM_COLUMNS = (
    Claim.id, Claim.document_id, Claim.group_id, Claim.group_pinned, Claim.conflict_open,
    Claim.status, Claim.rank, Claim.subject, Claim.measure, Claim.unit, Claim.kind, Claim.change,
    Claim.value, Claim.value_max, Claim.extracted_value, Claim.extracted_value_max,
    Claim.qualifier, Claim.quote, Claim.period_start, Claim.period_end, Claim.subject_key, Claim.measure_variant,
    Claim.uncertainty,
)


def claim_key(claim: Claim) -> GroupKey | None:
    """Where a claim (an ORM object) is compared, as `statement` finds it for a row."""
    return group_key(claim.subject, claim.measure, claim.unit, claim.kind, claim.change, claim.subject_key)


def statement(row, key_of=group_key, interval_of=claim_interval) -> Statement:
    """A claim row (in `CLAIM_COLUMNS` order) as the detector sees it (`key_of` and `interval_of`:
    `group_key` and `claim_interval`, or caches of them)."""
    (id_, document_id, group_id, pinned, conflict_open, status, rank, subject, measure, unit, kind,
     change, value, value_max, extracted_value, extracted_value_max, qualifier, quote,
     period_start, period_end, subject_key, measure_variant, uncertainty) = row
    key = key_of(subject, measure, unit, kind, change, subject_key)
    corrected = value != extracted_value or value_max != extracted_value_max
    eligible = key is not None and status != "rejected"
    return Statement(
        id=id_, document_id=document_id, group_id=group_id, pinned=pinned,
        conflict_open=conflict_open, key=key, active=eligible and rank != "deprecated",
        eligible=eligible, period=claim_period(period_start, period_end),
        bounds=interval_of(value, value_max, qualifier, quote, unit, corrected, uncertainty),
        subject=subject, measure=measure, variant=variant_key(measure_variant),
    )


@dataclass
class _Group:
    """A conflict group as the detector tracks it during one run."""

    id: int | None
    key: str
    block: str
    measure_key: str
    dimension: str
    subject: str
    measure: str
    status: str = "consistent"
    is_series: bool = False
    merged_into_id: int | None = None
    members: list[Statement] = field(default_factory=list)


@dataclass(frozen=True)
class DetectionReport:
    """What one detection run did."""

    claims: int
    groups: int
    created: int
    in_conflict: int
    reopened: int
    suggested: int = 0


@dataclass
class _Block:
    """The measures a block's claims are placed under, as one run goes.

    `leaders` are the measures that keep a group of their own, oldest first; `placed` maps every
    measure seen to its leader (a group's measure too: one scoring as the same fact as an
    older group's joins that group).
    """

    leaders: list[str] = field(default_factory=list)
    by_canonical: dict[str, str] = field(default_factory=dict)
    placed: dict[str, str] = field(default_factory=dict)


class _Run:
    """One detection pass over a set of groups and every claim in or bound for them."""

    def __init__(self, session: so.Session, offline: bool = False):
        self.session = session
        # An operator's maintenance run: a large write may lock the claims table (see SET_INDEXES_ASIDE_SHARE).
        self.offline = offline
        self.groups: dict[int, _Group] = {}
        # None: judge every group (a rebuild); else the groups whose claims are all loaded.
        self.judged: set[int] | None = None
        self.oldest: dict[tuple[str, str], int] = {}
        self.block_groups: dict[str, dict[str, int]] = {}
        self.blocks: dict[str, _Block] = {}
        self.placed: dict[str, str] = {}
        self.learned = Learned()
        self.suggestions: set[tuple[str, str, str]] = set()
        self.new_suggestions: list[dict] = []
        self.statements: dict[int, Statement] = {}

    def add_group_rows(self, rows) -> None:
        """Remember groups given as rows of `_GROUP_COLUMNS`."""
        for id_, key, block, measure_key, dimension, subject, measure, status, is_series, merged_into_id in rows:
            if id_ in self.groups:
                continue
            self.groups[id_] = _Group(id_, key, block, measure_key, dimension, subject, measure, status,
                                      is_series, merged_into_id)
            # A measure's own group is its oldest: groups split off later hold pinned claims only.
            known = self.block_groups.setdefault(block, {})
            if measure_key not in known or id_ < known[measure_key]:
                known[measure_key] = id_
                self.oldest[block, measure_key] = id_

    def add_suggestion_rows(self, rows) -> None:
        """Remember the pairs already suggested (answered or not), so none is suggested twice."""
        self.suggestions.update((block, a, b) for block, a, b in rows)

    def _block(self, block: str, subject: str) -> _Block:
        found = self.blocks.get(block)
        if found is None:
            found = self.blocks[block] = _Block()
            for measure, _ in sorted(self.block_groups.get(block, {}).items(), key=itemgetter(1)):
                self._place_measure(found, block, subject, measure)
        return found

    def _place_measure(self, found: _Block, block: str, subject: str, measure: str) -> str:
        leader = found.placed.get(measure)
        if leader is not None:
            return leader
        canonical = self.learned.canonical(subject, measure)
        leader = found.by_canonical.get(canonical)
        if leader is None:
            best, best_score = None, 0.0
            for other in found.leaders:
                score = match_score(self.learned, subject, measure, other)
                if score > best_score:
                    best, best_score = other, score
            if best is not None and best_score >= SAME_FACT_SCORE:
                leader = best
            else:
                leader = measure
                found.leaders.append(measure)
                found.by_canonical[canonical] = measure
                if best is not None and best_score >= POSSIBLY_SAME_SCORE:
                    self._suggest(block, measure, best, best_score)
        found.placed[measure] = leader
        return leader

    def place(self, key: GroupKey) -> str:
        """The measure whose group a claim of this key joins: its own when no group's is close enough."""
        found = self.placed.get(key.key)
        if found is None:
            found = self.placed[key.key] = self._place_measure(
                self._block(key.block, key.subject), key.block, key.subject, key.measure)
        return found

    def _suggest(self, block: str, a: str, b: str, score: float) -> None:
        pair = (block, *sorted((a, b)))
        if pair not in self.suggestions:
            self.suggestions.add(pair)
            self.new_suggestions.append({"block": pair[0], "measure_a": pair[1], "measure_b": pair[2],
                                         "score": round(score, 4)})

    def place_in_order(self, statements: Iterable[Statement]) -> None:
        """Place each new key in the order of its first claim, so older claims lead their groups."""
        first: dict[str, tuple[int, GroupKey]] = {}
        for s in statements:
            if s.eligible and s.key.key not in self.placed:
                seen = first.get(s.key.key)
                if seen is None or s.id < seen[0]:
                    first[s.key.key] = (s.id, s.key)
        for _, key in sorted(first.values(), key=itemgetter(0)):
            self.place(key)

    def home(self, s: Statement) -> int | tuple[str, str] | None:
        """Where a claim belongs: its pinned group, its measure's group (through merges), a new
        group's (block, measure), or none."""
        if s.pinned and s.group_id in self.groups:
            return self._follow(s.group_id)
        if not s.eligible:
            return None
        measure = self.place(s.key)
        group_id = self.oldest.get((s.key.block, measure))
        return (s.key.block, measure) if group_id is None else self._follow(group_id)

    def _follow(self, group_id: int) -> int:
        if self.groups[group_id].merged_into_id is None:
            return group_id
        seen = set()
        while (target := self.groups[group_id].merged_into_id) is not None and group_id not in seen:
            seen.add(group_id)
            group_id = target
        return group_id

    def apply(self) -> DetectionReport:
        """Place every claim, judge every group, and write what changed."""
        new_groups: dict[tuple[str, str], _Group] = {}
        left: set[int] = set()
        judged = self.groups if self.judged is None else {i: self.groups[i] for i in self.judged}
        for s in self.statements.values():
            home = self.home(s)
            if home is None:
                group = None
            elif isinstance(home, tuple):
                group = new_groups.get(home)
                if group is None:
                    block, measure = home
                    group = new_groups[home] = _Group(None, s.key.key_for(measure), block, measure,
                                                      s.key.dimension, s.subject, s.measure)
            else:
                group = judged[home]
            if group is not None:
                group.members.append(s)
            if s.group_id is not None and (group is None or group.id != s.group_id):
                left.add(s.group_id)
        # New groups are judged before they are written, so they are inserted as they stand
        # (from scratch, that is every group: no second write of each).
        for group in new_groups.values():
            verdict = evaluate(group.members)
            group.status = next_status(group.status, verdict.conflict, any(s.active for s in group.members))
            group.is_series = verdict.is_series
        self._insert(new_groups.values())
        group_updates, claim_updates, reopened = [], [], []
        for group in judged.values():
            verdict = evaluate(group.members)
            joined = [s for s in group.members if s.group_id != group.id]
            status = next_status(group.status, verdict.conflict, any(s.active for s in joined))
            if status != group.status or verdict.is_series != group.is_series or joined or group.id in left:
                group_updates.append({"g_id": group.id, "g_status": status, "g_series": verdict.is_series})
            if status == "open" and group.status in ("resolved", "unresolved"):
                reopened.append((group.id, group.status))
            group.status, group.is_series = status, verdict.is_series
        placed = 0
        for group in [*judged.values(), *new_groups.values()]:
            group_id, members = group.id, group.members
            placed += len(members)
            if group.status == "open":
                for s in members:
                    if s.group_id != group_id or s.conflict_open != s.active:
                        claim_updates.append((s, group_id, s.active))
            else:
                for s in members:
                    if s.group_id != group_id or s.conflict_open:
                        claim_updates.append((s, group_id, False))
        if placed < len(self.statements):
            placed_ids = {s.id for g in [*judged.values(), *new_groups.values()] for s in g.members}
            claim_updates += [
                (s, None, False)
                for s in self.statements.values()
                if s.id not in placed_ids and (s.group_id is not None or s.conflict_open)
            ]
        self._write(group_updates, claim_updates)
        self._insert_suggestions()
        for group_id, before in reopened:
            audit.record(self.session, None, "reopen", "conflict_group", group_id,
                         before={"status": before}, after={"status": "open"})
        groups = [*judged.values(), *new_groups.values()]
        return DetectionReport(
            claims=len(self.statements), groups=len(groups), created=len(new_groups),
            in_conflict=sum(g.status == "open" for g in groups), reopened=len(reopened),
            suggested=len(self.new_suggestions),
        )

    def _insert_suggestions(self) -> None:
        if not self.new_suggestions:
            return
        table = MatchSuggestion.__table__
        connection = self.session.connection()
        now = utcnow()
        ids = reserve_ids(connection, table, len(self.new_suggestions))
        bulk_insert(connection, table, [
            {"id": id_, **row, "status": "pending", "created_at": now} for row, id_ in zip(self.new_suggestions, ids)
        ])

    def _write_through_temporary_table(self, claim_updates: list[tuple[Statement, int | None, bool]]) -> None:
        """One UPDATE ... FROM a temporary table: several times faster than a row-by-row executemany."""
        claims, placement = Claim.__table__, _placement_table()
        connection = self.session.connection()
        placement.create(connection)
        try:
            # In the claims' id order, which is mostly the order of their rows in the table: the
            # UPDATE then reads and rewrites each page of the table once, and enters the new row
            # versions in the id-ordered indexes next to each other, where in the groups' order
            # it went back and forth over the whole table (three times the pages read at 100k claims).
            rows = sorted((s.id, group_id, open_) for s, group_id, open_ in claim_updates)
            bulk_insert(connection, placement, rows, ["c_id", "c_group", "c_open"])
            update = (sa.update(claims)
                      .values(group_id=placement.c.c_group, conflict_open=placement.c.c_open)
                      .where(claims.c.id == placement.c.c_id))
            if connection.dialect.name != "postgresql":
                connection.execute(update)
                return
            # PostgreSQL joins the two tables by hashing one of them; in the server's default 4MB
            # of work memory a million rows' hash is cut into batches, each joined in turn, so the
            # rows come out batch after batch and the UPDATE sweeps the whole table once per batch
            # (8 at a million claims). With room for one batch they come out in the id order above.
            work_memory = connection.exec_driver_sql("SHOW work_mem").scalar()
            connection.exec_driver_sql(f"SET LOCAL work_mem = '{PLACEMENT_JOIN_MEMORY}'")
            if self.offline and len(claim_updates) >= SET_INDEXES_ASIDE_SHARE * (
                connection.scalar(sa.select(sa.func.count()).select_from(claims))
            ):
                with indexes_set_aside(connection, claims, SET_INDEXES_ASIDE_LOCK_TIMEOUT_MS, ("group_id",)):
                    connection.execute(update)
            else:
                connection.execute(update)
            connection.execute(sa.text("SELECT set_config('work_mem', :value, true)"), {"value": work_memory})
        finally:
            placement.drop(connection)

    def _insert(self, new_groups: Iterable[_Group]) -> None:
        new_groups = list(new_groups)
        if not new_groups:
            return
        table = ConflictGroup.__table__
        connection = self.session.connection()
        now = utcnow()
        ids = reserve_ids(connection, table, len(new_groups))
        bulk_insert(connection, table, [
            {"id": id_, "key": g.key, "block": g.block, "measure_key": g.measure_key,
             "subject": g.subject[:200], "measure": g.measure[:200],
             "dimension": g.dimension, "status": g.status, "is_series": g.is_series, "note": "", "version": 1,
             "created_at": now, "updated_at": now}
            for g, id_ in zip(new_groups, ids)
        ])
        for group, id_ in zip(new_groups, ids):
            group.id = id_

    def _write(self, group_updates: list[dict], claim_updates: list[tuple[Statement, int | None, bool]]) -> None:
        groups, claims = ConflictGroup.__table__, Claim.__table__
        connection = self.session.connection()
        if group_updates:
            # Bumping the version makes a reviewer's open resolution form stale: the group changed.
            bulk_update(connection, groups, "id", [
                {"id": u["g_id"], "status": u["g_status"], "is_series": u["g_series"]} for u in group_updates
            ], version=groups.c.version + 1)
        # Group placement is the detector's bookkeeping, not a reviewer's edit: the claim's
        # version stays, so a reviewer's open form is not invalidated by an ingest.
        if len(claim_updates) > BULK_UPDATE_ROWS:
            self._write_through_temporary_table(claim_updates)
        elif claim_updates:
            # Each claim's row is written with the columns that changed only: every index that holds
            # a set column is rewritten (SQLite does not compare the values), and `conflict_open` is
            # in three of the queue's indexes, `group_id` in one.
            by_columns: dict[tuple[str, ...], list[dict]] = {}
            for s, group_id, open_ in claim_updates:
                row = {"id": s.id}
                if s.group_id != group_id:
                    row["group_id"] = group_id
                if s.conflict_open != open_:
                    row["conflict_open"] = open_
                by_columns.setdefault(tuple(row), []).append(row)
            for rows in by_columns.values():
                bulk_update(connection, claims, "id", rows)
        touched_groups = {u["g_id"] for u in group_updates}
        if len(touched_groups) + len(claim_updates) > BULK_UPDATE_ROWS:
            self.session.expire_all()
            return
        touched_claims = {s.id for s, _, _ in claim_updates}
        for obj in list(self.session.identity_map.values()):
            if (isinstance(obj, ConflictGroup) and obj.id in touched_groups) or (
                isinstance(obj, Claim) and obj.id in touched_claims
            ):
                self.session.expire(obj)


def _without_cycle_collection(function):
    """Run `function` with Python's cycle collector paused: a detection's statements, groups and
    rows form no reference cycles, and with a hundred thousand of them alive the collector's
    passes over them cost a fifth of a rebuild."""

    @functools.wraps(function)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused


_GROUP_COLUMNS = (
    ConflictGroup.id, ConflictGroup.key, ConflictGroup.block, ConflictGroup.measure_key, ConflictGroup.dimension,
    ConflictGroup.subject, ConflictGroup.measure, ConflictGroup.status, ConflictGroup.is_series,
    ConflictGroup.merged_into_id,
)
_LEARNED_COLUMNS = (
    MeasureEquivalence.subject_key, MeasureEquivalence.measure_a, MeasureEquivalence.measure_b, MeasureEquivalence.same,
)
_SUGGESTION_COLUMNS = (MatchSuggestion.block, MatchSuggestion.measure_a, MatchSuggestion.measure_b)


@_without_cycle_collection
def rebuild(session: so.Session, offline: bool = False) -> DetectionReport:
    """Detect conflicts over every claim (reviewers' merges, splits and equivalences are kept); the caller commits.

    A rebuild takes its turn with new documents' checks (`STORE_CHECK_LOCK`): stores wait for it.

    `offline`: nobody is reviewing, so on PostgreSQL a rebuild that re-places much of the corpus may
    lock the claims table and set its indexes aside while it writes (`claimtrack conflicts
    --rebuild --offline`, an operator's choice; a lead's rebuild never does).
    """
    session.flush()
    take_turn(session.connection(), STORE_CHECK_LOCK)
    run = _Run(session, offline)
    # Core rows through the session's connection: the ORM's per-row result handling cost as
    # much as building the statements.
    connection = session.connection()
    run.add_group_rows(connection.execute(sa.select(*_GROUP_COLUMNS)))
    run.learned.add(connection.execute(sa.select(*_LEARNED_COLUMNS).where(MeasureEquivalence.undone_at.is_(None))))
    run.add_suggestion_rows(connection.execute(sa.select(*_SUGGESTION_COLUMNS)))
    rows = connection.execute(sa.select(*CLAIM_COLUMNS), execution_options={"yield_per": 20_000})
    # Every distinct key and interval worked out once, in caches that live as long as the run: a
    # million claims have some 217,000 distinct keys and 278,000 distinct intervals, more than
    # `group_key`'s and `claim_interval`'s own caches keep, so with those, in the claims' order,
    # most would be worked out again for each claim.
    key_of, interval_of = functools.cache(group_key.__wrapped__), functools.cache(claim_interval.__wrapped__)
    run.statements = {s.id: s for s in (statement(row, key_of, interval_of) for row in rows)}
    run.place_in_order(run.statements.values())
    return run.apply()


@_without_cycle_collection
def detect_claims(session: so.Session, claim_ids: Iterable[int]) -> DetectionReport:
    """Detect conflicts in the groups these claims are in or belong in; the caller commits."""
    session.flush()
    run = _Run(session)
    run.judged = set()
    blocks: set[str] = set()
    subjects: set[str] = set()
    ids = set(claim_ids)
    todo = _load_claims(session, Claim.id.in_(ids)) if ids else []
    # Close over blocks and groups: a group's other claims may belong elsewhere now (a reviewer
    # corrected their measure), and the groups they belong in must be judged too. Only the
    # groups claims are in or go to are read whole; the rest of a block is read as measures.
    while todo:
        run.statements.update((s.id, s) for s in todo)
        new_blocks = {s.key.block for s in todo if s.key} - blocks
        blocks |= new_blocks
        new_subjects = {s.key.subject for s in todo if s.key} - subjects
        if new_subjects or not subjects:
            run.learned.add(_rows(session, _LEARNED_COLUMNS, MeasureEquivalence.undone_at.is_(None)
                                  & MeasureEquivalence.subject_key.in_(new_subjects | ({""} - subjects))))
            subjects |= new_subjects | {""}
        if new_blocks:
            run.add_suggestion_rows(_rows(session, _SUGGESTION_COLUMNS, MatchSuggestion.block.in_(new_blocks)))
        unknown_groups = {s.group_id for s in todo if s.group_id} - set(run.groups)
        if new_blocks or unknown_groups:
            _load_groups(session, run, sa.or_(
                ConflictGroup.block.in_(new_blocks), ConflictGroup.id.in_(unknown_groups),
            ))
        run.place_in_order(todo)
        homes = {run.home(s) for s in todo}
        wanted = ({h for h in homes if isinstance(h, int)} | {s.group_id for s in todo if s.group_id}) - run.judged
        run.judged |= wanted
        todo = [
            s for s in _load_claims(session, Claim.group_id.in_(wanted)) if s.id not in run.statements
        ] if wanted else []
    return run.apply()


def _load_groups(session: so.Session, run: _Run, where) -> None:
    """Add the groups matching `where` to the run, and the groups they were merged into."""
    rows = _rows(session, _GROUP_COLUMNS, where)
    while rows:
        run.add_group_rows(rows)
        targets = {row[-1] for row in rows if row[-1] is not None} - set(run.groups)
        rows = _rows(session, _GROUP_COLUMNS, ConflictGroup.id.in_(targets)) if targets else []


def _rows(session: so.Session, columns, where) -> list:
    return list(session.connection().execute(sa.select(*columns).where(where)))


def _placement_table() -> sa.Table:
    return sa.Table(
        "claim_placement", sa.MetaData(),
        sa.Column("c_id", sa.Integer, primary_key=True), sa.Column("c_group", sa.Integer),
        sa.Column("c_open", sa.Boolean), prefixes=["TEMPORARY"],
    )


def _load_claims(session: so.Session, where) -> list[Statement]:
    return [statement(row) for row in session.connection().execute(sa.select(*CLAIM_COLUMNS).where(where))]


def detect_document(session: so.Session, document: Document) -> DetectionReport:
    """`detect_documents` for one newly stored document."""
    return detect_documents(session, [document])


def detect_documents(session: so.Session, documents: Sequence[Document]) -> DetectionReport:
    """Detect conflicts in the groups newly stored documents touch (an `AFTER_STORE` hook), in one run
    over all their claims, in turn with other new documents' checks and rebuilds (`STORE_CHECK_LOCK`)."""
    take_turn(session.connection(), STORE_CHECK_LOCK)
    ids = session.scalars(sa.select(Claim.id).where(Claim.document_id.in_([d.id for d in documents]))).all()
    return detect_claims(session, ids)
