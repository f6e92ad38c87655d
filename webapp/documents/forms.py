"""The upload form, and the form adding a claim the extractor missed."""
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from claimtrack.missed import MAX_SPAN
from models import MAX_ROW_ID

from ..claims.forms import ReviewForm


def _web_address(_form, field):
    """A source URL is an absolute http(s) address without spaces or control characters."""
    text = (field.data or "").strip()
    if not text:
        return
    try:
        parts = urlsplit(text)
        usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        usable = False
    if not usable or any(c.isspace() or ord(c) < 32 for c in text):
        raise ValidationError("Enter the full web address, starting with http:// or https://.")
    # Stored with its scheme in lower case, so pages can tell a web address from a file path.
    field.data = parts._replace(scheme=parts.scheme.lower()).geturl()


class UploadForm(FlaskForm):
    """A document file with what the text may not say: title, author, publisher, source URL, publication date."""

    file = FileField("Document (.txt, .md, .html, .pdf)", validators=[FileRequired("Choose a file to add.")])
    title = StringField("Title", validators=[Length(max=500)], description="(default: the first line of the text)")
    author = StringField("Author", validators=[Length(max=255)])
    publisher = StringField("Publisher", validators=[Length(max=255)])
    source_url = StringField("Source URL", validators=[Optional(), Length(max=1000), _web_address])
    published = DateField("Published", validators=[Optional()])


class AddClaimForm(ReviewForm):
    """A claim the extractor missed: the selected span (checked against the stored text) and its fields."""

    version = None
    status_seen = None
    evidence_url = evidence_document = evidence_quote = evidence_checked_on = evidence_method = None
    start = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0, max=MAX_ROW_ID)])
    end = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=MAX_ROW_ID)])
    quote = HiddenField(validators=[InputRequired("Select the claim's text."), Length(max=MAX_SPAN)])
