"""Forms of the conflicts area: the list filter, resolutions, undo, merge, split, suggestions and lessons."""
from flask_wtf import FlaskForm
from wtforms import (
    DateField, FieldList, Form, FormField, HiddenField, IntegerField, RadioField, SelectField,
    StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from claimtrack.conflicts import CONFLICT_STATUSES, DEPRECATION_REASONS, SCOPES
from models import MAX_ROW_ID, row_id

STATUS_FILTERS = [SelectChoice("", "all conflicts"), *(SelectChoice(s) for s in CONFLICT_STATUSES), SelectChoice("consistent")]


def _whole_number(_form, field):
    """Hidden numbers come back from the browser as text; anything but an id-sized number is refused."""
    if row_id(str(field.data or "")) is None:
        raise ValidationError("The form was damaged; reload the page and try again.")


ID_RANGE = NumberRange(min=1, max=MAX_ROW_ID, message="No such number.")


class FilterForm(FlaskForm):
    """Which groups the list shows (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField("Status", choices=STATUS_FILTERS, default="", validators=[Optional()])
    page = IntegerField("Page", default=1, validators=[Optional()])


class ScopeForm(Form):
    """One claim's period and scope, for an "all are right" resolution."""

    claim_id = HiddenField(validators=[InputRequired(), _whole_number])
    # The claim's version when the page was loaded: a claim changed since makes the form stale.
    version = HiddenField(validators=[InputRequired(), _whole_number])
    period_start = DateField("From", validators=[Optional()])
    period_end = DateField("To", validators=[Optional()])
    subject = StringField("Subject", validators=[DataRequired(), Length(max=200)])
    measure = StringField("Measure", validators=[DataRequired(), Length(max=200)])


class ResolveForm(FlaskForm):
    """A reviewer's resolution of a conflict, carrying the group version it was made against."""

    version = HiddenField(validators=[InputRequired(), _whole_number])
    decision = RadioField("Decision", choices=[
        SelectChoice("prefer", "One value is right"),
        SelectChoice("all_right", "All are right: they differ in period or scope"),
        SelectChoice("unresolved", "Unresolved: keep it open"),
    ], validators=[InputRequired(message="Choose a decision.")])
    preferred = RadioField("The right value", coerce=int, validate_choice=False, validators=[Optional()])
    # Checked by the service, which needs it only when one value is preferred.
    reason = SelectField("Why the others are wrong", choices=[SelectChoice(k, v) for k, v in DEPRECATION_REASONS.items()],
                         validate_choice=False)
    note = TextAreaField("Note", validators=[DataRequired(message="A resolution needs a note."), Length(max=5000)])
    claims = FieldList(FormField(ScopeForm))


class UndoForm(FlaskForm):
    """Undo a resolution (leads only)."""


# What a lead's merge or split teaches the detector; reviewers' teach nothing.
LEARN_CHOICES = [SelectChoice("", "don't remember it"),
                 *(SelectChoice(k, f"remember it {v}") for k, v in SCOPES.items())]


class MergeForm(FlaskForm):
    """Merge another group into this one."""

    other = IntegerField("Group number", validators=[InputRequired(), ID_RANGE])
    note = StringField("Note", validators=[Optional(), Length(max=500)])
    learn = SelectField("Learn", choices=LEARN_CHOICES, default="", validators=[Optional()])


class SplitForm(FlaskForm):
    """Take one claim out of this group."""

    claim_id = IntegerField(validators=[InputRequired(), ID_RANGE])
    note = StringField("Note", validators=[Optional(), Length(max=500)])
    learn = SelectField("Learn", choices=LEARN_CHOICES, default="", validators=[Optional()])


class AnswerForm(FlaskForm):
    """A lead's answer to "same fact?"."""

    answer = RadioField("Same fact?", choices=[SelectChoice("same", "Yes, the same fact"),
                                               SelectChoice("different", "No, different facts")],
                        validators=[InputRequired(message="Answer yes or no.")])
    scope = SelectField("Remember it", choices=[SelectChoice(k, v) for k, v in SCOPES.items()], default="subject")
    note = StringField("Note", validators=[Optional(), Length(max=500)])


class UndoLessonForm(FlaskForm):
    """Withdraw a learned equivalence or separation."""


class ReferenceResolveForm(FlaskForm):
    """A lead's one-step resolution in favour of the reference figures, carrying the group version."""

    version = HiddenField(validators=[InputRequired(), _whole_number])
    note = StringField("Note", validators=[Optional(), Length(max=5000)])
    # Where to go back to: the claim page the button was on, else the group.
    claim_id = HiddenField(validators=[Optional()])
