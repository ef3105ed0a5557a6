"""The yardstick: a bare FastAPI app that echoes a JSON body, served the same way as a service."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI()


@app.post("/echo", status_code=201)
async def echo(body: dict[str, Any]) -> dict[str, Any]:
    """Return the body."""
    return body
