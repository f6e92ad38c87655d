"""The export filters, read from the query string."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField,
)
from wtforms.validators import NumberRange, Optional

from claimtrack.export import CONFLICT_CHOICES, ExportFilters
from models import KINDS, STATUSES

CONFLICT_LABELS = {
    "settled": "Settled values (no deprecated values, no open or unresolved conflicts)",
    "all": "Everything, deprecated values and open conflicts included",
    "preferred": "Only the values a resolution preferred",
}


def _blank_to_none(value):
    return value.strip() or None if isinstance(value, str) else value


class ExportFilterForm(FlaskForm):
    """Which claims to export; the field names are the query parameters of /export.csv."""

    class Meta:
        # A GET download changes nothing, and links to it must work without a token.
        csrf = False

    # Absent means verified; present but empty (the claims list's "any") means every status.
    status = SelectMultipleField("Status", choices=[SelectChoice("", "any")]
                                 + [SelectChoice(s, s.replace("_", " ")) for s in STATUSES],
                                 default=["verified"])
    document = IntegerField("Document id", validators=[Optional(), NumberRange(min=1)])
    subject = StringField("Subject (exact)", filters=[_blank_to_none])
    measure = StringField("Measure (exact)", filters=[_blank_to_none])
    reviewer = StringField("Reviewer (username)", filters=[_blank_to_none])
    kind = SelectField("Kind", choices=[SelectChoice("", "any")] + [SelectChoice(k) for k in KINDS], default="")
    period_from = DateField("Period from", validators=[Optional()])
    period_to = DateField("Period to", validators=[Optional()])
    reviewed_from = DateField("Reviewed from", validators=[Optional()])
    reviewed_to = DateField("Reviewed to", validators=[Optional()])
    conflicts = SelectField("Conflicts", choices=[SelectChoice(c, CONFLICT_LABELS[c]) for c in CONFLICT_CHOICES],
                            default="settled")
    bom = BooleanField("Byte order mark for Excel", false_values=("", "0", "false", "no", "off"))

    def to_filters(self) -> ExportFilters:
        """The validated fields as export filters (raises ExportFilterError on an inverted range)."""
        return ExportFilters(
            status=tuple(v for v in self.status.data if v) or (STATUSES if self.status.data else ()),
            document=self.document.data,
            subject=self.subject.data,
            measure=self.measure.data,
            kind=self.kind.data or None,
            reviewer=self.reviewer.data,
            period_from=self.period_from.data,
            period_to=self.period_to.data,
            reviewed_from=self.reviewed_from.data,
            reviewed_to=self.reviewed_to.data,
            conflicts=self.conflicts.data or "settled",
        )
