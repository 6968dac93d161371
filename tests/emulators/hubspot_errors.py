"""HubSpot's error bodies and timestamps, shared by the emulator's modules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]


def iso(moment: datetime) -> str:
    """HubSpot's timestamp format: UTC, millisecond precision, trailing Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(datetime.now(UTC))


class HubSpotError(Exception):
    """A refusal, answered with HubSpot's error body."""

    def __init__(self, status: int, category: str, message: str, *,
                 context: dict[str, list[str]] | None = None, sub_category: str | None = None) -> None:
        super().__init__(message)
        self.status, self.category, self.message = status, category, message
        self.context, self.sub_category = context, sub_category

    def body(self) -> JSON:
        body: JSON = {"status": "error", "message": self.message,
                      "correlationId": str(uuid.uuid4()), "category": self.category}
        if self.sub_category:
            body["subCategory"] = self.sub_category
        if self.context:
            body["context"] = self.context
        return body


def not_found(message: str) -> HubSpotError:
    return HubSpotError(404, "OBJECT_NOT_FOUND", message)


def invalid(message: str, **context: str) -> HubSpotError:
    return HubSpotError(400, "VALIDATION_ERROR", message,
                        context={k: [v] for k, v in context.items()} or None)


def item_error(category: str, message: str, **context: str) -> JSON:
    """One entry of a batch response's `errors` (the client's StandardError needs every key)."""
    return {"status": "error", "category": category, "message": message,
            "context": {k: [v] for k, v in context.items()}, "links": {}, "errors": []}


def transient_item_error(**context: str) -> JSON:
    """The per-item failure the `partial` fault injects: retrying that item later succeeds."""
    return item_error("INTERNAL_ERROR", "An internal error occurred while processing this input. "
                      "Please retry it.", **context)


def batch_reply(results: list[JSON], errors: list[JSON], started: str, ok_status: int) -> tuple[int, JSON]:
    """HubSpot's batch envelope: `ok_status` when clean, 207 with `numErrors`/`errors` otherwise."""
    body: JSON = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": now_iso()}
    if not errors:
        return ok_status, body
    body.update(numErrors=len(errors), errors=errors)
    return 207, body
