"""Forms of the review page and the claims list."""
import math
import re

from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from models import CHANGES, KINDS, QUALIFIERS, REVIEWABLE_FIELDS

NOTE_MAX = 5000


def _finite(_form, field):
    if field.data is not None and not math.isfinite(field.data):
        raise ValidationError("Enter a finite number.")


_UNIT = re.compile(r"[\w%$€£¥₹°µ²³/*^.' -]*")


def _unit_code(_form, field):
    if field.data and not _UNIT.fullmatch(field.data.strip()):
        raise ValidationError("Use a unit code such as km, km2, t, %, pp, CNY or USD.")


def _none_if_blank(value):
    return value or None


class NumberField(FloatField):
    """A float field that shows 16 and 1190000000000 rather than 16.0 and 1.19e+12."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return str(int(self.data)) if self.data.is_integer() and abs(self.data) < 1e18 else repr(self.data)


class ReviewForm(FlaskForm):
    """The claim's fields as the reviewer corrects them, the version they saw, and a note."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1)])
    status_seen = HiddenField()
    value = NumberField("Value", validators=[InputRequired("Enter a number."), _finite])
    value_max = NumberField("Upper value", validators=[Optional(), _finite])
    uncertainty = NumberField("Uncertainty (±)", validators=[
        Optional(), _finite, NumberRange(min=0, message="The uncertainty cannot be negative.")])
    unit = StringField("Unit", validators=[Length(max=32), _unit_code])
    qualifier = SelectField("Qualifier", choices=[SelectChoice(q) for q in QUALIFIERS])
    change = SelectField("Change", choices=[SelectChoice("", "none"), *(SelectChoice(c) for c in CHANGES)], coerce=_none_if_blank)
    period_start = DateField("Period start", validators=[Optional()])
    period_end = DateField("Period end", validators=[Optional()])
    subject = StringField("Subject", validators=[Length(max=200)])
    measure = StringField("Measure", validators=[Length(max=200)])
    kind = SelectField("Kind", choices=[SelectChoice(k) for k in KINDS])
    note = TextAreaField("Note or reason", validators=[Length(max=NOTE_MAX)])

    def validate_value_max(self, field):
        """An upper value is not below the value."""
        if field.data is not None and self.value.data is not None and field.data < self.value.data:
            raise ValidationError("The upper value must not be below the value.")

    def validate_period_end(self, field):
        """A period does not end before it starts."""
        if field.data and self.period_start.data and field.data < self.period_start.data:
            raise ValidationError("The period cannot end before it starts.")

    def values(self) -> dict:
        """The reviewable fields as submitted."""
        out = {name: getattr(self, name).data for name in REVIEWABLE_FIELDS}
        for name in ("unit", "subject", "measure"):
            out[name] = (out[name] or "").strip()
        return out


class NoteForm(FlaskForm):
    """A note for undo or reopen, with the version the lead saw."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    note = TextAreaField("Note", validators=[Length(max=NOTE_MAX)])


class BulkForm(FlaskForm):
    """A lead's decision on the selected claims, with one note."""

    decision = SelectField("Decision", choices=[SelectChoice("verify", "Verify"), SelectChoice("reject", "Reject")])
    note = TextAreaField("Note (required to reject)", validators=[Length(max=NOTE_MAX)])
