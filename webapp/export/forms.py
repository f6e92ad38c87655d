"""The export page's filter inputs: the field names are the query parameters of /export.csv."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, HiddenField, IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField,
)
from wtforms.validators import Length

from claimtrack.claim_filters import CONFLICT_CHOICES
from models import KINDS, STATUSES

CONFLICT_LABELS = {
    "settled": "Settled values (no deprecated values, no open or unresolved conflicts)",
    "all": "Everything, deprecated values and open conflicts included",
    "preferred": "Only the values a resolution preferred",
}


class ExportFilterForm(FlaskForm):
    """The filters of an export, rendered on /export; /export.csv reads them through ClaimFilter."""

    class Meta:
        # A GET download changes nothing, and links to it must work without a token.
        csrf = False

    status = SelectMultipleField("Status", choices=[SelectChoice(s, s.replace("_", " ")) for s in STATUSES],
                                 default=["verified"])
    q = StringField("Search (quote, sentence, subject, measure, title)")
    document = IntegerField("Document number")
    subject = StringField("Subject (starts with, any case)")
    measure = StringField("Measure (starts with, any case)")
    reviewer = StringField("Reviewer (username)")
    kind = SelectField("Kind", choices=[SelectChoice("", "any")] + [SelectChoice(k) for k in KINDS], default="")
    period_from = DateField("Period from")
    period_to = DateField("Period to")
    reviewed_from = DateField("Reviewed from")
    reviewed_to = DateField("Reviewed to")
    conflicts = SelectField("Conflicts", choices=[SelectChoice(c, CONFLICT_LABELS[c]) for c in CONFLICT_CHOICES],
                            default="settled")
    settled_only = BooleanField("Only claims that met their review policy (second review and adjudication done)")
    bom = BooleanField("Byte order mark for Excel")


class ExportJobForm(FlaskForm):
    """An export prepared as a background job: the filters as the download's query string."""

    query = HiddenField(validators=[Length(max=4096)])
