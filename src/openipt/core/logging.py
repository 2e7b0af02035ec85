"""Logging helpers: every line carries the request id, never personal data."""

from __future__ import annotations

import logging

from openipt.core.request_context import current_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True
