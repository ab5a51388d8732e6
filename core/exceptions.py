"""Errors a person can act on: each message is one sentence, shown without a traceback."""


class ForgeError(Exception):
    """Base of every error the CLI reports as one clear sentence and a non-zero exit."""


class SettingsError(ForgeError):
    """An environment variable holds a value its setting cannot take."""


class WarehouseUnavailableError(ForgeError):
    """The warehouse cannot be reached or refuses the login."""


class IngestError(ForgeError):
    """A load cannot proceed (bad landing directory, unreadable file, busy entity)."""


class LandingError(IngestError):
    """The landing directory does not follow the landing contract."""


class SourceAuthError(IngestError):
    """A source refused our credentials."""


class SchemaDriftError(IngestError):
    """A source changed shape in a way the contract cannot absorb."""
