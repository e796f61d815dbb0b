"""The journalist app's forms; each field bounded, every one required unless said otherwise."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from sealdrop.domain.passphrases import MAX_CHARS as MAX_PASSPHRASE_CHARS


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=64)])
    passphrase = PasswordField(
        "Passphrase", validators=[InputRequired(), Length(max=MAX_PASSPHRASE_CHARS)]
    )
    code = StringField("Two-factor code", validators=[InputRequired(), Length(max=12)])


class PassphraseForm(FlaskForm):
    current = PasswordField(
        "Current passphrase", validators=[InputRequired(), Length(max=MAX_PASSPHRASE_CHARS)]
    )
    new = PasswordField(
        "New passphrase", validators=[InputRequired(), Length(max=MAX_PASSPHRASE_CHARS)]
    )
