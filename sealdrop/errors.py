"""The typed tree of everything that can go wrong, each with what the user can do about it."""


class SealdropError(Exception):
    """Base of every error Sealdrop raises on purpose; its message is safe to show a user."""

    http_status = 400


class ConfigError(SealdropError):
    """A configuration value is missing or malformed; the message names the variable to fix."""

    http_status = 500


class KeyImportError(SealdropError):
    """The key offered as a reader key cannot be used; the message says why."""


class ReaderKeyRefused(SealdropError):
    """A change to the reader keys was refused (a duplicate, an unknown fingerprint, the last
    usable key); the message says what to do instead."""

    http_status = 409


class CodenameMalformed(SealdropError):
    """What was typed is not seven words from the codename list; check it and try again."""


class CodenameUnknown(SealdropError):
    """No source has that codename; check each word, or start over with a new codename."""

    http_status = 403


class LoginThrottled(SealdropError):
    """Too many wrong codenames were tried recently; wait a minute and try again."""

    http_status = 429


class CodenameTaken(SealdropError):
    """A new codename collides with an existing source (about 1 in 2^90); get a new one."""


class SubmissionsClosed(SealdropError):
    """The instance cannot take submissions right now (no usable reader key, or a full disk).

    The message is for sources and stays generic; `reason`, if any, is for the admin.
    """

    http_status = 503

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class EmptySubmission(SealdropError):
    """Neither a message nor a file was sent; write a message or choose a file."""


class UploadTooLarge(SealdropError):
    """The upload is larger than this instance accepts; send smaller files, or fewer at once."""

    http_status = 413


class UploadInterrupted(SealdropError):
    """An upload ended before its last byte (the connection dropped); nothing was stored."""


class StoreOutOfStep(SealdropError):
    """The store holds files the database does not know at the next numbers; `sealdrop check`."""

    http_status = 500


class KeyGenerationFailed(SealdropError):
    """gpg could not make a key pair; nothing was stored and the source can try again."""

    http_status = 500


class EncryptionFailed(SealdropError):
    """gpg could not encrypt the data; nothing was stored and the source can try again."""

    http_status = 500


class DecryptionFailed(SealdropError):
    """A reply could not be decrypted; the cause is never told apart, by design."""

    http_status = 500


class NotFound(SealdropError):
    """The thing asked for does not exist, or does not belong to whoever asked."""

    http_status = 404


class StorePathError(SealdropError):
    """A path asked of the store would leave it, or a name does not follow the store's format."""


class DesignationExhausted(SealdropError):
    """No free journalist designation was found after many draws; the word lists are too small."""

    http_status = 500


class LoginFailed(SealdropError):
    """The username, passphrase or two-factor code is wrong; which one is never said."""

    http_status = 403


class PassphraseTooWeak(SealdropError):
    """A new journalist passphrase does not meet the minimum; the message says what to change."""


class AccountInvalid(SealdropError):
    """A journalist account change cannot be made as asked; the message says why."""


class TwoFactorInvalid(SealdropError):
    """A two-factor code or secret offered while enrolling is wrong; scan again and retry."""


class BundleInvalid(SealdropError):
    """A bundle is damaged, incomplete or not a Sealdrop bundle; nothing of it should be trusted.

    Download it again from the journalist interface; if it still fails, tell your administrator.
    """


class SettingsInvalid(SealdropError):
    """An instance setting was given a value it cannot take; the message says which are allowed."""


class MessageTooShort(SealdropError):
    """A message is shorter than the minimum this instance asks for; write a little more."""

    def __init__(self, message: str, *, minimum: int) -> None:
        super().__init__(message)
        self.minimum = minimum


class Conflict(SealdropError):
    """The request clashes with what the server holds (a uuid already used, or a record changed
    since the client last saw it); fetch the current state and decide again."""

    http_status = 409


class ReplyNotEncrypted(SealdropError):
    """A reply sent through the API is not an ASCII-armored OpenPGP message; encrypt it first."""


class RequestInvalid(SealdropError):
    """A request's content is missing or malformed; the message says which part to fix."""


class BackupFailed(SealdropError):
    """A backup could not be made (a refused recipient key, a missing tool, a full disk); no
    archive was left behind, and the message says what to fix."""

    http_status = 500


class ArchiveInvalid(SealdropError):
    """A backup archive is damaged, truncated, tampered with or not a Sealdrop backup; nothing
    was replaced. Take another copy of the archive, or an older one."""


class RestoreRefused(SealdropError):
    """A restore was not started because it would replace data or lacks something it needs
    (a non-empty target without --force, no database for a PostgreSQL dump); nothing changed."""


class DeviceInvalid(SealdropError):
    """A journalist device key cannot be made or revoked as asked (a bad or taken name, an
    unknown device, no journalist onion configured); the message says what to fix."""


class DeviceSpoolUnwritable(SealdropError):
    """The directory of authorized device keys that Tor's sync reads cannot be written; nothing
    was changed. An admin checks its owner and mode (`SEALDROP_ONION_CLIENTS_DIR`)."""

    http_status = 503


class KeyPassphraseWrong(SealdropError):
    """The passphrase given for the reader's Submission private key is wrong; type it again."""


class NoSubmissionKey(SealdropError):
    """The reader holds no Submission private key yet; make one (keygen) or import one."""


class ReaderRefused(SealdropError):
    """The reader refused an item or a request (unsafe name, size limit, unknown source or item);
    the message says which and why. Nothing in the vault was changed by it."""
