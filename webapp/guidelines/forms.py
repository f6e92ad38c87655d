"""Forms of the guidelines editor and the team settings."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from claimtrack.guidelines import BODY_MAX, NOTE_MAX
from claimtrack.team import QUEUE_ORDERS


class GuidelinesForm(FlaskForm):
    """A new version of the guidelines, with the version the lead started from."""

    based_on = IntegerField(widget=HiddenInput(), validators=[Optional()])
    body = TextAreaField("Guidelines (Markdown)", validators=[InputRequired("Write the guidelines."),
                                                              Length(max=BODY_MAX)])
    note = StringField("What changed (optional)", validators=[Length(max=NOTE_MAX)])


class TeamForm(FlaskForm):
    """The team settings a lead chooses."""

    queue_order = SelectField("Queue order", choices=[SelectChoice(k, v) for k, v in QUEUE_ORDERS.items()])
    evidence_required = BooleanField("A verification must record its evidence (source, date consulted, method)")
