"""OpenTelemetry traces (issue 14): a span for each request, SQL statement, Redis command, event sent and event
handled, so one check-in gives one trace from the kiosk's POST to the guardian's notification.

The trace crosses Kafka in the CloudEvents envelope's `traceparent` (W3C): `UnitOfWork.publish` writes the current
span's, the outbox relay's send span and the consumer's handling span continue it. Spans go over OTLP/HTTP to
`<P>OTLP_ENDPOINT` (a collector); without one a service makes no spans at all. Statements are recorded without
their parameters: a guardian's phone number never leaves in a span.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_PROPAGATOR = TraceContextTextMapPropagator()
_STATEMENT_CHARS = 300


class Tracing:
    """One service's tracer (its own provider: the all-in-one runs five services in one process)."""

    def __init__(self, service: str, exporter: SpanExporter, *, batch: bool = True) -> None:
        self.provider = TracerProvider(resource=Resource.create({"service.name": f"afterschool-{service}"}))
        self.provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
        self.tracer: Tracer = self.provider.get_tracer("afterschool.chassis")

    @classmethod
    def to_collector(cls, service: str, endpoint: str) -> Tracing:
        """Spans batched to an OpenTelemetry collector's OTLP/HTTP endpoint (`http://collector:4318`)."""
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return cls(service, OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces"))

    def shutdown(self) -> None:
        """Flush what is queued and stop."""
        self.provider.shutdown()


def parent_of(traceparent: str | None) -> Context | None:
    """The context a W3C traceparent names (None when there is none or it is malformed)."""
    if not traceparent:
        return None
    context = _PROPAGATOR.extract({"traceparent": traceparent})
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def current_traceparent_of_span() -> str | None:
    """The W3C traceparent of the span in progress, if any."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


@contextlib.contextmanager
def span(
    tracer: Tracer | None,
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: Context | None = None,
    attributes: dict[str, Any] | None = None,
    links: Sequence[Link] = (),
) -> Iterator[Span | None]:
    """A current span when tracing is on (an error ends it as failed); nothing at all when it is off."""
    if tracer is None:
        yield None
        return
    with tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes, links=links) as current:
        yield current


def trace_engine(engine: AsyncEngine, tracer: Tracer, system: str) -> None:
    """A client span per SQL statement, child of whatever span is current (statement text, never parameters)."""

    def before(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, executemany: bool) -> None:
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        attributes: dict[str, str | bool] = {
            "db.system.name": system,
            "db.operation.name": operation,
            "db.query.text": statement[:_STATEMENT_CHARS],
            "db.operation.batch": executemany,
        }
        context._afterschool_span = tracer.start_span(
            f"{operation} {system}", kind=SpanKind.CLIENT, attributes=attributes
        )

    def after(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _executemany: bool) -> None:
        current = getattr(context, "_afterschool_span", None)
        if current is not None:
            current.end()

    def failed(exception_context: Any) -> None:
        current = getattr(exception_context.execution_context, "_afterschool_span", None)
        if current is not None:
            current.set_status(Status(StatusCode.ERROR, type(exception_context.original_exception).__name__))
            current.end()

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    event.listen(engine.sync_engine, "handle_error", failed)


class TracedRedis(Redis):
    """Redis whose every command, and every pipeline sent, is a client span (a subscription's traffic is not)."""

    tracer: Tracer | None = None

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """The command, inside a span named by it (keys and values are not recorded)."""
        name = str(args[0]) if args else "redis"
        with span(self.tracer, name, kind=SpanKind.CLIENT, attributes={"db.system.name": "redis"}):
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        """A pipeline whose `execute` (one round trip for all its commands) is a client span."""
        pipe = super().pipeline(transaction, shard_hint)
        tracer, execute = self.tracer, pipe.execute
        if tracer is None:
            return pipe

        async def traced(raise_on_error: bool = True) -> list[Any]:
            attributes = {"db.system.name": "redis", "db.operation.batch.size": len(pipe.command_stack)}
            with span(tracer, "PIPELINE", kind=SpanKind.CLIENT, attributes=attributes):
                return await execute(raise_on_error)

        pipe.execute = traced  # type: ignore[method-assign]
        return pipe
