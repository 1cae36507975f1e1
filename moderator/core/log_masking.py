"""Keeps guests' phone numbers out of log files.

The twilio SDK logs every request's query string (`To=%2B14155552671`) at INFO, and urllib3 logs
full URLs at DEBUG. Hosts turn on verbose logging to report bugs; those files must not carry the
numbers of the people they dialed. Secrets never reach these loggers at all (Basic auth travels in
a header the SDK does not log).
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus

from moderator.core.redaction import redact_numbers

__all__ = ["NumberMaskingFilter", "mask_numbers_in"]

#: Loggers that see request URLs: ours (the SDK logs through it) and urllib3's connection pool.
URL_LOGGERS = ("moderator.core.http", "urllib3.connectionpool")


class NumberMaskingFilter(logging.Filter):
    """Rewrites a record whose text spells out a phone number, masking it like the UI does."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        readable = unquote_plus(message)  # "%2B1415…" hides the number from the pattern
        masked = redact_numbers(readable)
        if masked != readable:
            record.msg, record.args = masked, ()
        return True


_FILTER = NumberMaskingFilter()


def mask_numbers_in(*logger_names: str) -> None:
    """Install the filter on these loggers (idempotent: logging keeps one copy of a filter)."""
    for name in logger_names or URL_LOGGERS:
        logging.getLogger(name).addFilter(_FILTER)
