"""Forms of the review page and the claims list."""
import math
import re
from datetime import datetime, timezone
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation, ValidationError
from wtforms.widgets import HiddenInput, TextInput

from claimtrack.review import EVIDENCE_METHOD_LABELS, EVIDENCE_QUOTE_MAX, EVIDENCE_URL_MAX, Evidence
from models import CHANGES, KINDS, MAX_ROW_ID, QUALIFIERS, REVIEWABLE_FIELDS

NOTE_MAX = 5000


_UNIT = re.compile(r"[\w%$€£¥₹°µ²³/*^.' -]*")


def _unit_code(_form, field):
    if field.data and not _UNIT.fullmatch(field.data.strip()):
        raise ValidationError("Use a unit code such as km, km2, t, %, pp, CNY or USD.")


def _none_if_blank(value):
    return value or None


# A number as reviewers type it: digits grouped by commas or spaces in threes ("1,190,000,000,000",
# "1 190 000"), an optional sign, decimal point and exponent.
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:([, \u00a0\u202f])\d{3})?(?:\1\d{3})*|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?")
MAX_NUMBER_CHARS = 64
_SEPARATORS = str.maketrans("", "", ", \u00a0\u202f")


def parse_number(text: str) -> float:
    """The float a reviewer's number stands for, exactly; ValueError saying why when it is not one.

    Values are stored as 64-bit floats: a number a float cannot hold exactly (more than about
    15 significant digits) is refused rather than silently rounded.
    """
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS or not _NUMBER.fullmatch(text):
        raise ValueError("Enter a number such as 1,190,000,000,000 or 6.47 (commas only between groups of three digits).")
    exact = Decimal(text.translate(_SEPARATORS))
    value = float(exact)
    if not math.isfinite(value):
        raise ValueError("Enter a finite number.")
    if Decimal(repr(value)) != exact:
        raise ValueError(f"{text} has more significant digits than a value can keep exactly (15); round it.")
    return value


def format_number(value: float) -> str:
    """A stored value as reviewers read and type it: 1,190,000,000,000 and 6.47, never 1.19e+12 or 16.0."""
    exact = Decimal(repr(value))
    if exact == exact.to_integral_value():
        exact = exact.quantize(Decimal(1))
    return f"{exact:,f}"


class NumberField(FloatField):
    """A number shown with separators ("1,190,000,000,000") and read back exactly, separators and all."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_number(self.data)

    def process_formdata(self, valuelist):
        """Read the typed number; a blank one is None (InputRequired or Optional decide if that is allowed)."""
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_number(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValueError(str(exc)) from exc


def _number_given(_form, field):
    """A required number must be there after reading: InputRequired alone lets a field of spaces through."""
    if field.data is None and not field.errors:
        raise StopValidation("Enter a number.")


class ReviewForm(FlaskForm):
    """The claim's fields as the reviewer corrects them, the version they saw, and a note."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1)])
    status_seen = HiddenField()
    value = NumberField("Value", validators=[InputRequired("Enter a number."), _number_given])
    value_max = NumberField("Upper value", validators=[Optional()])
    uncertainty = NumberField("Uncertainty (±)", validators=[
        Optional(), NumberRange(min=0, message="The uncertainty cannot be negative.")])
    unit = StringField("Unit", validators=[Length(max=32), _unit_code])
    qualifier = SelectField("Qualifier", choices=[SelectChoice(q) for q in QUALIFIERS])
    change = SelectField("Change", choices=[SelectChoice("", "none"), *(SelectChoice(c) for c in CHANGES)], coerce=_none_if_blank)
    period_start = DateField("Period start", validators=[Optional()])
    period_end = DateField("Period end", validators=[Optional()])
    subject = StringField("Subject", validators=[Length(max=200)])
    measure = StringField("Measure", validators=[Length(max=200)])
    kind = SelectField("Kind", choices=[SelectChoice(k) for k in KINDS])
    note = TextAreaField("Note or reason", validators=[Length(max=NOTE_MAX)])
    evidence_url = StringField("Source URL (http or https)", validators=[Length(max=EVIDENCE_URL_MAX)])
    evidence_document = IntegerField("or stored document number", validators=[Optional(), NumberRange(1, MAX_ROW_ID)])
    evidence_quote = TextAreaField("Passage quoted from the source", validators=[Length(max=EVIDENCE_QUOTE_MAX)])
    evidence_checked_on = DateField("Date consulted", validators=[Optional()])
    evidence_method = SelectField("How the figure was determined", coerce=_none_if_blank, choices=[
        SelectChoice("", "not said"), *(SelectChoice(k, v) for k, v in EVIDENCE_METHOD_LABELS.items())])

    def validate_evidence_checked_on(self, field):
        """A source cannot have been consulted in the future."""
        if field.data and field.data > datetime.now(timezone.utc).date():
            raise ValidationError("The date consulted cannot be in the future.")

    def evidence(self) -> Evidence:
        """The evidence fields as submitted."""
        return Evidence((self.evidence_url.data or "").strip(), self.evidence_document.data,
                        (self.evidence_quote.data or "").strip(), self.evidence_checked_on.data,
                        self.evidence_method.data)

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


class DismissForm(FlaskForm):
    """A lead's reason for rejecting every pending claim a search or filter matches."""

    reason = StringField("Reason", validators=[InputRequired("Give a reason for dismissing these claims."),
                                               Length(max=NOTE_MAX)])
