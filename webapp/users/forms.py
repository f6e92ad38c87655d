"""Forms for managing users."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from claimtrack.accounts import MAX_PASSWORD, MIN_PASSWORD
from claimtrack.tokens import MAX_NAME as MAX_TOKEN_NAME
from models import ROLES


class NewUserForm(FlaskForm):
    """A new account."""

    username = StringField("Username", validators=[DataRequired(), Length(min=2, max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=MIN_PASSWORD, max=MAX_PASSWORD)])
    role = SelectField("Role", choices=[SelectChoice(r) for r in ROLES])


class RoleForm(FlaskForm):
    """A user's new role."""

    role = SelectField("Role", choices=[SelectChoice(r) for r in ROLES])


class ConfirmForm(FlaskForm):
    """A button with a CSRF token."""


class TokenForm(FlaskForm):
    """A new personal API token."""

    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_TOKEN_NAME)])
