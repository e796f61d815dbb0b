"""The source interface's forms; every one carries a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, MultipleFileField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length


class CreateForm(FlaskForm):
    page = HiddenField()  # which codename page this is: the codename itself stays server-side
    saved = BooleanField(
        _l("I have written down or memorised my codename."),
        validators=[DataRequired(_l("Please confirm that you saved your codename."))],
    )


class LoginForm(FlaskForm):
    codename = PasswordField(
        _l("Your codename"), validators=[InputRequired(_l("Enter your codename.")), Length(max=200)]
    )


class SubmitForm(FlaskForm):
    message = TextAreaField(_l("Message"))
    files = MultipleFileField(_l("Files"))


class ActionForm(FlaskForm):
    """A form that is only a button: logout, delete."""
