"""Forms of the adjudication and review-policy pages (the blind second review uses the review form)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from models import KINDS

from ..claims.forms import NOTE_MAX

DECISION_CHOICES = [SelectChoice("verify", "Verify"), SelectChoice("reject", "Reject"),
                    SelectChoice("needs_info", "Needs info")]


class AdjudicationForm(FlaskForm):
    """A lead's final decision on two disagreeing reviews; the field choices come as `choice-<field>` radios."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1)])
    decision = SelectField("Final decision", choices=DECISION_CHOICES)
    note = TextAreaField("Note (required)", validators=[InputRequired("A note explaining the decision is required."),
                                                        Length(max=NOTE_MAX)])


class PolicyForm(FlaskForm):
    """The share of claims in a scope that need a second review, and the claims that always do."""

    share = IntegerField("Share needing a second review (%)",
                         validators=[InputRequired("Enter a whole percent."), NumberRange(min=0, max=100)])
    document = IntegerField("Document id", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    subject = StringField("Subject", validators=[Length(max=200)])
    measure = StringField("Measure", validators=[Length(max=200)])
    kind = SelectField("Kind", choices=[SelectChoice("", "any"), *(SelectChoice(k) for k in KINDS)])
    conflicts_need_two = BooleanField("Claims in open conflicts always need two")
    reviewer_added_need_two = BooleanField("Claims a reviewer added by hand always need two")


class DeleteForm(FlaskForm):
    """Only the CSRF token: removing a policy."""
