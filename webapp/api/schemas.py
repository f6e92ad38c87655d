"""The API's request and response schemas (marshmallow): the OpenAPI document is generated from them."""
import marshmallow as ma
from flask import request
from marshmallow import fields, validate

from claimtrack.claim_filters import PAGE_SIZE, TEXT_LIMITS, ClaimFilter
from claimtrack.conflicts import DEPRECATION_REASONS
from claimtrack.review import DECISIONS
from claimtrack.second_review import BLIND_STATUS
from models import JOB_KINDS, JOB_STATES, KINDS, MAX_ROW_ID, REVIEWABLE_FIELDS, STATUSES

from ..claims.forms import NOTE_MAX
from ..conflicts.forms import STATUS_FILTERS
from ..conflicts.routes import MAX_PAGE as MAX_CONFLICT_PAGE

MAX_PAGE_SIZE = 200


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=False, validate=validate.Range(1, MAX_ROW_ID), **kwargs)


class Problem(ma.Schema):
    """An RFC 9457 problem detail."""

    type = fields.String(metadata={"description": "A URI naming the kind of problem (about:blank: see `title`)."})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(metadata={"description": "The same message the web pages show."})
    instance = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(),
                         metadata={"description": "Each unusable parameter and why."})


class DocumentSummary(ma.Schema):
    """A row of the documents list."""

    id = fields.Integer(required=True)
    title = fields.String(required=True)
    file_name = fields.String(required=True)
    author = fields.String(required=True)
    published = fields.Date(allow_none=True, required=True)
    claims = fields.Integer(required=True)
    pending = fields.Integer(required=True)
    verified = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    needs_info = fields.Integer(required=True)


class DocumentPage(ma.Schema):
    """A page of documents, newest publication first; `next_after` continues the list (null on the last page)."""

    documents = fields.List(fields.Nested(DocumentSummary), required=True)
    next_after = fields.Integer(allow_none=True, required=True)


class Document(ma.Schema):
    """A document as ingested, with its exact text."""

    id = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    file_name = fields.String(required=True)
    title = fields.String(required=True)
    author = fields.String(required=True)
    publisher = fields.String(required=True)
    source = fields.String(required=True)
    source_note = fields.String(required=True)
    media_type = fields.String(required=True)
    published = fields.Date(allow_none=True, required=True)
    char_count = fields.Integer(required=True)
    ingested_at = fields.AwareDateTime(required=True)
    text = fields.String(required=True)


class Claim(ma.Schema):
    """A claim: its source span, current values, what the extractor read, and its review state."""

    id = fields.Integer(required=True)
    document_id = fields.Integer(required=True)
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)
    quote = fields.String(required=True)
    prefix = fields.String(required=True)
    suffix = fields.String(required=True)
    value = fields.Float(required=True)
    value_max = fields.Float(allow_none=True, required=True)
    unit = fields.String(required=True)
    qualifier = fields.String(required=True)
    change = fields.String(allow_none=True, required=True)
    period_start = fields.Date(allow_none=True, required=True)
    period_end = fields.Date(allow_none=True, required=True)
    subject = fields.String(required=True)
    measure = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    confidence = fields.Float(required=True)
    status = fields.String(required=True, validate=validate.OneOf((*STATUSES, BLIND_STATUS)), metadata={
        "description": f"`{BLIND_STATUS}` while the claim awaits your blind second review: its fields are then "
                       "as extracted and its first decision, reviewer and history are hidden."})
    reviewed_by = fields.Function(lambda claim: claim.reviewed_by.username if claim.reviewed_by else None,
                                  allow_none=True, required=True, metadata={"type": "string"})
    reviewed_at = fields.AwareDateTime(allow_none=True, required=True)
    group_id = fields.Integer(allow_none=True, required=True)
    rank = fields.String(required=True)
    reference_standing = fields.String(required=True, metadata={
        "description": "`contradicts` or `matches` when a reference figure states the claim's fact, else empty."})
    version = fields.Integer(required=True, metadata={"description": "Send it back with a decision."})
    corrected = fields.Function(
        lambda claim: {name: {"extracted": extracted, "current": current}
                       for name, (extracted, current) in claim.corrected_fields.items()},
        required=True, metadata={"type": "object", "description": "Fields a reviewer changed: extracted and current."})


class ClaimPage(ma.Schema):
    """A page of claims in id order; `next_after` continues it (null on the last page)."""

    claims = fields.List(fields.Nested(Claim), required=True)
    next_after = fields.Integer(allow_none=True, required=True)


class ClaimQuery(ma.Schema):
    """The claims list's filters, as on the web page; parsed by the same ClaimFilter, so with its messages."""

    class Meta:
        unknown = ma.EXCLUDE

    q = fields.String(validate=validate.Length(max=200),
                      metadata={"description": "Full-text search over quote, sentence, subject, measure and document title: "
                                               "words and \"quoted phrases\", as on the claims list."})
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)),
                         metadata={"description": "Any of these statuses (repeat the parameter)."})
    document = _id()
    subject = fields.String(validate=validate.Length(max=TEXT_LIMITS["subject"]))
    measure = fields.String(validate=validate.Length(max=TEXT_LIMITS["measure"]))
    reviewer = fields.String(validate=validate.Length(max=TEXT_LIMITS["reviewer"]))
    reviewed_from = fields.Date()
    reviewed_to = fields.Date()
    after = fields.Integer(validate=validate.Range(0, MAX_ROW_ID), metadata={"description": "The previous page's next_after."})
    limit = fields.Integer(load_default=PAGE_SIZE, validate=validate.Range(1, MAX_PAGE_SIZE))

    @ma.pre_load
    def _same_filter_as_the_web(self, data, **_kwargs):
        """Refuse with the web's FilterError messages (a 400) before marshmallow's own."""
        ClaimFilter.from_args(request.args)
        return data


class QueueQuery(ClaimQuery):
    """The queue's filters: the claims list's, without paging."""

    class Meta:
        unknown = ma.EXCLUDE
        exclude = ("after", "limit")


class DocumentQuery(ma.Schema):
    """Where the documents list continues."""

    class Meta:
        unknown = ma.EXCLUDE

    after = fields.Integer(validate=validate.Range(0, MAX_ROW_ID), metadata={"description": "The previous page's next_after."})


class Review(ma.Schema):
    """One decision, correction or note on a claim, newest first."""

    id = fields.Integer(required=True)
    decision = fields.String(required=True)
    user = fields.String(required=True)
    note = fields.String(required=True)
    changes = fields.Dict(required=True)
    status_before = fields.String(allow_none=True, required=True)
    status_after = fields.String(allow_none=True, required=True)
    batch_id = fields.String(allow_none=True, required=True)
    undoes_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.AwareDateTime(required=True)
    undone = fields.Boolean(required=True)


class ReviewList(ma.Schema):
    """A claim's reviews."""

    reviews = fields.List(fields.Nested(Review), required=True)


class AuditEvent(ma.Schema):
    """One change to a claim in the audit trail, oldest first."""

    id = fields.Integer(required=True)
    actor = fields.Function(lambda event: event.actor.username if event.actor else None,
                            allow_none=True, required=True, metadata={"type": "string"})
    verb = fields.String(required=True)
    before = fields.Dict(allow_none=True, required=True)
    after = fields.Dict(allow_none=True, required=True)
    batch_id = fields.String(allow_none=True, required=True)
    created_at = fields.AwareDateTime(required=True)


class AuditList(ma.Schema):
    """A claim's audit trail."""

    events = fields.List(fields.Nested(AuditEvent), required=True)


class FormValue(fields.Field):
    """A corrected field as the review form reads it: text (or a JSON number, read as its text).

    The review form's own validators judge it, so the API refuses what the form refuses, with
    the form's messages; null clears an optional field as an empty box does.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.make_error("invalid")
        return value if isinstance(value, str) else repr(value)

    default_error_messages = {"invalid": "Send text or a number."}


def _form_value(example: str | None = None) -> FormValue:
    description = "As typed in the review form" + (f" ({example})." if example else ".")
    return FormValue(metadata={"type": ["string", "number", "null"], "description": description})


class Decision(ma.Schema):
    """A decision or correction on a pending claim, with the `version` it was read at (a 409 if the claim moved on).

    `correct` saves the fields sent and leaves the claim pending; verify, reject and needs_info
    may carry corrections too; `skip` sends the claim to the back of your queue. Fields not sent
    keep their current values.
    """

    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    version = fields.Integer(required=True, validate=validate.Range(1, MAX_ROW_ID))
    note = fields.String(load_default="", validate=validate.Length(max=NOTE_MAX),
                         metadata={"description": "Required to reject (the reason) and for needs_info."})

    value = _form_value()
    value_max = _form_value()
    uncertainty = _form_value()
    unit = _form_value()
    qualifier = _form_value()
    change = _form_value()
    period_start = _form_value("YYYY-MM-DD")
    period_end = _form_value("YYYY-MM-DD")
    subject = _form_value()
    measure = _form_value()
    kind = _form_value()



class ConflictMember(ma.Schema):
    """A claim in a conflict group: its values, its document and its span there."""

    id = fields.Integer(required=True)
    document_id = fields.Integer(required=True)
    doc = fields.String(required=True, metadata={"description": "The document's file name."})
    title = fields.String(required=True)
    published = fields.Date(allow_none=True, required=True)
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)
    quote = fields.String(required=True)
    value = fields.Float(required=True)
    value_max = fields.Float(allow_none=True, required=True)
    unit = fields.String(required=True)
    qualifier = fields.String(required=True)
    period_start = fields.Date(allow_none=True, required=True)
    period_end = fields.Date(allow_none=True, required=True)
    subject = fields.String(required=True)
    measure = fields.String(required=True)
    status = fields.String(required=True)
    rank = fields.String(required=True)
    version = fields.Integer(required=True)


class Resolution(ma.Schema):
    """A resolution recorded on a group (undone ones keep their undo time)."""

    id = fields.Integer(required=True)
    decision = fields.String(required=True)
    preferred_claim_id = fields.Integer(allow_none=True, required=True)
    note = fields.String(required=True)
    user = fields.Function(lambda resolution: resolution.user.username, required=True, metadata={"type": "string"})
    created_at = fields.AwareDateTime(required=True)
    undone_at = fields.AwareDateTime(allow_none=True, required=True)


class ConflictGroup(ma.Schema):
    """Claims stating the same fact with values that disagree."""

    id = fields.Integer(required=True)
    status = fields.String(required=True)
    subject = fields.String(required=True)
    measure = fields.String(required=True)
    note = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Send it back with a resolution."})
    members = fields.List(fields.Nested(ConflictMember), required=True)


class ConflictGroupDetail(ConflictGroup):
    """A group with its members and its resolutions."""

    resolutions = fields.List(fields.Nested(Resolution), required=True)


class ConflictPage(ma.Schema):
    """A page of groups, open ones first; `next_page` continues the list (null on the last page)."""

    groups = fields.List(fields.Nested(ConflictGroup), required=True)
    next_page = fields.Integer(allow_none=True, required=True)


class ConflictQuery(ma.Schema):
    """The conflicts list's filter and page, as on the web page."""

    class Meta:
        unknown = ma.EXCLUDE

    status = fields.String(validate=validate.OneOf([choice.value for choice in STATUS_FILTERS if choice.value]))
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_CONFLICT_PAGE))


class MemberScope(ma.Schema):
    """A member as the reviewer saw it (its version), and its period and scope for `all_right`."""

    claim_id = _id(required=True)
    version = _id(required=True)
    period_start = _form_value("YYYY-MM-DD")
    period_end = _form_value("YYYY-MM-DD")
    subject = _form_value()
    measure = _form_value()


class ConflictResolution(ma.Schema):
    """A resolution, checked by the conflict page's form and rules, with the group `version` it was made against.

    Members not listed in `claims` count as seen at their current version with their current scope.
    """

    version = _id(required=True)
    decision = fields.String(required=True, metadata={
        "description": "prefer (one value is right), all_right (they differ in period or scope) or unresolved."})
    note = fields.String(required=True)
    preferred_claim_id = _id(metadata={"description": "The right value's claim, for `prefer`."})
    reason = fields.String(metadata={
        "description": "Why the others are wrong, for `prefer`: " + ", ".join(DEPRECATION_REASONS) + "."})
    claims = fields.List(fields.Nested(MemberScope), load_default=list)


class ExportQuery(ma.Schema):
    """The export's filters, as on /export.csv (verified, settled claims by default); checked by the same code, with its messages."""

    class Meta:
        unknown = ma.INCLUDE

    q = fields.String()
    status = fields.List(fields.String(), metadata={"description": "Any of these statuses (repeat the parameter)."})
    document = fields.String()
    subject = fields.String()
    measure = fields.String()
    kind = fields.String()
    reviewer = fields.String()
    period_from = fields.String(metadata={"description": "YYYY-MM-DD"})
    period_to = fields.String(metadata={"description": "YYYY-MM-DD"})
    reviewed_from = fields.String(metadata={"description": "YYYY-MM-DD"})
    reviewed_to = fields.String(metadata={"description": "YYYY-MM-DD"})
    conflicts = fields.String(metadata={"description": "settled (default), all or preferred."})
    settled_only = fields.String()
    bom = fields.String(metadata={"description": "Start with a UTF-8 byte order mark (for Excel)."})


class JsonlExportQuery(ExportQuery):
    """The export's filters, as on /export.csv; JSON Lines has no byte order mark."""

    class Meta:
        unknown = ma.INCLUDE
        exclude = ("bom",)


class ImportQuery(ma.Schema):
    """How an import treats bad rows."""

    class Meta:
        unknown = ma.RAISE

    skip_bad = fields.Boolean(load_default=False, metadata={
        "description": "Write the good rows even when some are bad (those are listed in `errors`)."})


class RowError(ma.Schema):
    """A row that could not be imported: its line in the body and why."""

    line = fields.Integer(required=True)
    reason = fields.String(required=True)


class ImportReport(ma.Schema):
    """What an import did."""

    rows = fields.Integer(required=True, metadata={"description": "Rows read."})
    created = fields.Integer(required=True, metadata={"description": "Claims added."})
    unchanged = fields.Integer(required=True, metadata={"description": "Rows whose claim was there already."})
    written = fields.Boolean(required=True)
    errors = fields.List(fields.Nested(RowError), required=True, metadata={"description": "The rows skipped."})


class ImportProblem(Problem):
    """An import refused for its bad rows: the problem detail, with each bad row."""

    rows = fields.List(fields.Nested(RowError), required=True)


class ReferenceImportQuery(ma.Schema):
    """The reference source a file is imported as."""

    class Meta:
        unknown = ma.RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "The source's name; importing under it again makes its figures those of the body."})
    url = fields.String(load_default="", validate=validate.Length(max=1000), metadata={
        "description": "The source's page (an http(s) address)."})


class ReferenceImportReport(ma.Schema):
    """What a reference import did to the source's figures and to the claims they meet."""

    source_id = fields.Integer(required=True)
    rows = fields.Integer(required=True, metadata={"description": "Figures read."})
    created = fields.Integer(required=True, metadata={"description": "Figures added."})
    updated = fields.Integer(required=True, metadata={"description": "Figures whose value, page or note changed."})
    unchanged = fields.Integer(required=True, metadata={"description": "Figures already there as the body has them."})
    removed = fields.Integer(required=True, metadata={"description": "Figures of the source the body no longer has."})
    matches = fields.Integer(required=True, metadata={"description": "Claims matching one of the source's figures."})
    contradicts = fields.Integer(required=True, metadata={"description": "Claims one of its figures contradicts."})
    written = fields.Boolean(required=True)
    errors = fields.List(fields.Nested(RowError), required=True)


class CsvwColumn(ma.Schema):
    name = fields.String(required=True)
    titles = fields.String(required=True)
    datatype = fields.String(required=True)


class CsvwTableSchema(ma.Schema):
    columns = fields.List(fields.Nested(CsvwColumn), required=True)
    primaryKey = fields.String()  # noqa: N815 - CSVW's own property name


class CsvwMetadata(ma.Schema):
    """W3C CSVW table metadata (http://www.w3.org/ns/csvw) of the export CSV."""

    class Meta:
        unknown = ma.INCLUDE

    context = fields.String(data_key="@context", required=True)
    url = fields.String(required=True)
    dialect = fields.Dict(required=True)
    notes = fields.List(fields.Dict())
    tableSchema = fields.Nested(CsvwTableSchema, required=True)  # noqa: N815 - CSVW's own property name


class Job(ma.Schema):
    """A background job (an upload's ingest, a conflict rebuild) and where it stands."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(JOB_KINDS))
    state = fields.String(required=True, validate=validate.OneOf(JOB_STATES),
                          metadata={"description": "queued, reading, extracting, checking (conflicts), then done, "
                                                   "refused or failed"})
    state_label = fields.String(required=True)
    file_name = fields.String(required=True)
    outcome = fields.String(required=True, metadata={"description": "One line: what was stored, or why not."})
    message = fields.String(required=True)
    finished = fields.Boolean(required=True)
    document_id = fields.Integer(allow_none=True, required=True)
    attempts = fields.Integer(required=True)
    worker = fields.String(required=True)
    created_by_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.String(required=True)
    started_at = fields.String(allow_none=True, required=True)
    finished_at = fields.String(allow_none=True, required=True)


class JobPage(ma.Schema):
    """A page of jobs, newest first; `next_after` continues the list (null on the last page)."""

    jobs = fields.List(fields.Nested(Job), required=True)
    next_after = fields.Integer(allow_none=True, required=True)


class JobQuery(ma.Schema):
    """Where the jobs list continues."""

    class Meta:
        unknown = ma.EXCLUDE

    after = fields.Integer(validate=validate.Range(1, MAX_ROW_ID), metadata={"description": "The previous page's next_after."})
