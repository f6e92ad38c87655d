"""Forms of the references area: a lead's upload of a reference file."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional, URL


class UploadForm(FlaskForm):
    """A reference CSV and the name (and page) of the source it comes from."""

    file = FileField("Reference file (.csv)", validators=[FileRequired("Choose a CSV file to import.")])
    name = StringField("Source name", validators=[DataRequired("Name the source."), Length(max=200)])
    url = StringField("Source page", validators=[Optional(), URL(message="Give the source's http(s) address."),
                                                 Length(max=1000)])
