"""The upload form, and the form adding a claim the extractor missed."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from claimtrack.missed import MAX_SPAN
from models import MAX_ROW_ID

from ..claims.forms import ReviewForm


class UploadForm(FlaskForm):
    """A document file, with its publication date when the text does not give one."""

    file = FileField("Document (.txt, .md, .html, .pdf)", validators=[FileRequired()])
    published = DateField("Published", validators=[Optional()])


class AddClaimForm(ReviewForm):
    """A claim the extractor missed: the selected span (checked against the stored text) and its fields."""

    version = None
    status_seen = None
    evidence_url = evidence_document = evidence_quote = evidence_checked_on = evidence_method = None
    start = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0, max=MAX_ROW_ID)])
    end = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=MAX_ROW_ID)])
    quote = HiddenField(validators=[InputRequired("Select the claim's text."), Length(max=MAX_SPAN)])
