"""The baseline for ``ingest.ratio``: a bare, idiomatic FastAPI POST endpoint.

It takes the JSON body as a ``dict`` (FastAPI's own parsing) and answers 201 with a small JSON object:
no schema validation, no auth, no storage. The ratio therefore says what validation, authentication,
deduplication and a durable commit cost on top of the framework's floor for the same request.
"""

from typing import Any

from fastapi import FastAPI

app = FastAPI()


@app.post("/v1/events", status_code=201)
async def post(event: dict[str, Any]) -> dict[str, Any]:
    return {"id": event.get("id"), "status": "accepted"}
