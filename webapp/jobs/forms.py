"""Forms of the jobs area."""
from flask_wtf import FlaskForm


class JobActionForm(FlaskForm):
    """A lead's button (rebuild conflicts, run a failed job again): only its CSRF token."""
