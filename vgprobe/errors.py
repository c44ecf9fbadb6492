"""Exception classes. Each message says what was wrong and what was expected."""


class VgprobeError(Exception):
    """Base class: the CLI prints these as one-line errors (exit code 2)."""


class InputError(VgprobeError, ValueError):
    """Bad input data (a file, a line, a tensor): the message names it and what was expected."""


class ConfigError(VgprobeError, ValueError):
    """A bad setting or configuration value."""


class CheckpointError(VgprobeError, ValueError):
    """A checkpoint that cannot be loaded safely or does not match the model."""
