"""Forms of the guidelines editor and the team settings."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
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
    # The settings as the form was loaded: only what the lead changes is written.
    seen_queue_order = HiddenField()
    seen_evidence_required = HiddenField()

    def seen(self) -> dict | None:
        """The settings the form was loaded with, or None from a form without them."""
        if not self.seen_queue_order.data:
            return None
        return {"queue_order": self.seen_queue_order.data, "evidence_required": self.seen_evidence_required.data == "y"}

    def show_seen(self, queue_order: str, evidence_required: bool) -> None:
        """Record the settings as they are now as the ones this form was loaded with."""
        self.seen_queue_order.raw_data, self.seen_queue_order.data = None, queue_order
        self.seen_evidence_required.raw_data = None
        self.seen_evidence_required.data = "y" if evidence_required else ""
