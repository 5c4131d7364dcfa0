"""The baseline for ``ingest.ratio``: a bare FastAPI POST endpoint that reads and parses the JSON body
and answers 201, with no validation, no auth and no storage."""

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

app = FastAPI()


@app.post("/v1/events")
async def post(request: Request) -> Response:
    doc = orjson.loads(await request.body())
    return Response(orjson.dumps({"id": doc.get("id"), "status": "accepted"}), status_code=201, media_type="application/json")
