"""The project's own exceptions.

Each message tells the user what to do. The web layer maps them to HTTP
status codes; nothing here knows about HTTP.
"""


class StreamOCRError(Exception):
    """Base class of every error this package raises on purpose."""


class BadInputError(StreamOCRError, ValueError):
    """The caller gave us an image, video or value we cannot use."""


class InputTooLargeError(BadInputError):
    """The input is over a configured byte or pixel limit."""


class WeightsError(StreamOCRError):
    """Model weights are missing, corrupt or of the wrong kind."""


class EngineUnavailableError(StreamOCRError):
    """An engine cannot be built here (missing package, unknown name)."""


class SourceUnavailableError(StreamOCRError):
    """A camera, stream or file cannot be opened."""


class EngineBusyError(StreamOCRError):
    """The shared engine has no turn free for this request in time: come back later."""

    def __init__(self, message: str, retry_after_s: int = 2) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class JobsFullError(StreamOCRError):
    """Too many video jobs are waiting already: come back when one has finished."""
