"""JSON logs that carry the trace id of the request or event being handled."""

from __future__ import annotations

import contextvars
import logging
import os
import sys
from datetime import UTC, datetime

import orjson

from chassis.tracing import current_traceparent_of_span

trace_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace_id", default=None)


def new_traceparent() -> str:
    """A fresh W3C traceparent (version 00, sampled)."""
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"


def trace_id_of(traceparent: str | None) -> str | None:
    """The 32-hex trace id inside a W3C traceparent, or None if it is malformed."""
    if not traceparent:
        return None
    parts = traceparent.split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


def current_traceparent() -> str:
    """A traceparent continuing the current trace, or starting one."""
    in_span = current_traceparent_of_span()
    if in_span is not None:
        return in_span
    trace_id = trace_id_var.get()
    if trace_id is None:
        return new_traceparent()
    return f"00-{trace_id}-{os.urandom(8).hex()}-01"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, trace id and any `extra` fields."""

    # uvicorn adds `color_message`, the message again with ANSI colour codes, for its own console formatter.
    _STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "color_message"}

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a JSON line."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        trace_id = trace_id_var.get()
        if trace_id:
            entry["trace_id"] = trace_id
        entry.update({k: v for k, v in record.__dict__.items() if k not in self._STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str = "INFO") -> None:
    """Send JSON lines to stderr; called once by the process entry point, never at import."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
