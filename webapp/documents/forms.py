"""The upload form."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField
from wtforms.validators import Optional


class UploadForm(FlaskForm):
    """A document file, with its publication date when the text does not give one."""

    file = FileField("Document (.txt, .md, .html, .pdf)", validators=[FileRequired()])
    published = DateField("Published", validators=[Optional()])
