"""Errors the protocol package raises; each message is fit to show a clinician."""


class ProtocolError(ValueError):
    """Input that IPT's structure does not allow (a plain-language message)."""


class UnknownVariant(ProtocolError):
    """No IPT variant has this code."""
