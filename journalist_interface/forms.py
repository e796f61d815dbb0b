"""The journalist app's forms; each field bounded, every one required unless said otherwise."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from sealdrop.domain.passphrases import MAX_CHARS as MAX_PASSPHRASE_CHARS
from sealdrop.services.devices import MAX_NAME_CHARS as MAX_DEVICE_NAME_CHARS
from sealdrop.services.journalists import MAX_NAME_CHARS
from sealdrop.services.settings import MAX_ORGANIZATION_CHARS

# A reply is read by a source over Tor: a long letter, not a document.
MAX_REPLY_CHARS = 100_000
MAX_BULK = 1000
# What the sources list's bulk buttons do.
BULK_ACTIONS = frozenset({"star", "unstar", "download", "seen", "unseen", "delete"})
# What the buttons under a conversation do with the checked items.
ITEM_ACTIONS = frozenset({"download", "seen", "delete"})


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


class ActionForm(FlaskForm):
    """A form that is only a button: delete, reset, star."""


class CodeForm(FlaskForm):
    code = StringField("Code from the new device", validators=[InputRequired(), Length(max=12)])


class ProfileForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=64)])
    first_name = StringField("First name (optional)", validators=[Length(max=MAX_NAME_CHARS)])
    last_name = StringField("Last name (optional)", validators=[Length(max=MAX_NAME_CHARS)])
    is_admin = BooleanField("Administrator")


class NewJournalistForm(ProfileForm):
    # The suggestion shown on the page rides along; the service still checks its strength.
    passphrase = HiddenField(validators=[InputRequired(), Length(max=MAX_PASSPHRASE_CHARS)])
    hotp_secret = StringField(
        "HOTP secret of a hardware token (optional; leave empty for an authenticator app)",
        validators=[Length(max=80)],
    )


class TwoFactorForm(FlaskForm):
    hotp_secret = StringField(
        "HOTP secret of a hardware token (optional; leave empty for an authenticator app)",
        validators=[Length(max=80)],
    )


class SettingsForm(FlaskForm):
    organization_name = StringField(
        "Organisation name", validators=[Length(max=MAX_ORGANIZATION_CHARS)]
    )
    allow_document_uploads = BooleanField("Sources may send files")
    min_message_length = IntegerField(
        "Minimum message length, in characters (0 for none)", validators=[InputRequired()]
    )
    max_upload_mb = IntegerField("Upload limit, in MB (empty: the configured one)", [Optional()])
    min_free_mb = IntegerField("Free-space floor, in MB (empty: the configured one)", [Optional()])


class LogoForm(FlaskForm):
    logo = FileField("Logo (PNG)", validators=[FileRequired()])


class ReplyForm(FlaskForm):
    text = TextAreaField("Reply", validators=[InputRequired(), Length(max=MAX_REPLY_CHARS)])


class StarForm(FlaskForm):
    starred = HiddenField(validators=[AnyOf(["0", "1"])])


class BulkForm(FlaskForm):
    """The sources list's checkboxes and the button pressed.

    A delete comes back from its confirmation page with `confirm` set; only then does it act.
    """

    # Checked against the database by the service, not against a list built for the form.
    source = SelectMultipleField(validate_choice=False)
    action = StringField(validators=[AnyOf(sorted(BULK_ACTIONS))])
    confirm = HiddenField(validators=[Optional(), AnyOf(["yes"])])


class ItemsForm(FlaskForm):
    """A conversation's checkboxes (messages, files, replies) and the button pressed."""

    item = SelectMultipleField(validate_choice=False)
    action = StringField(validators=[AnyOf(sorted(ITEM_ACTIONS))])
    confirm = HiddenField(validators=[Optional(), AnyOf(["yes"])])


class ConfirmForm(FlaskForm):
    """A button that asks first: without `confirm` it shows the confirmation page."""

    confirm = HiddenField(validators=[Optional(), AnyOf(["yes"])])


class DeviceForm(FlaskForm):
    """A new device key: whose device, and what it is called (the service checks both)."""

    journalist = SelectField("Journalist", validate_choice=False)
    name = StringField(
        "Device name (for example: laptop, work phone)",
        validators=[InputRequired(), Length(max=MAX_DEVICE_NAME_CHARS)],
    )
