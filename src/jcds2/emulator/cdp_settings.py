"""Creating, changing and deleting the cloud distribution point, and its object history.

``POST /api/v1/cloud-distribution-point`` configures a CDP while there is none (``cdnType``
``NONE``), ``PATCH`` merges fields into the configuration, ``DELETE`` goes back to ``NONE``
(and forgets the inventory's file ids, as the schema says the inventory details are
deleted). Each adds a note to the CDP's history, naming the fields changed but never their
values; ``GET``/``POST .../history`` page the notes and add a user's, as a package's history
routes do (``history.py``). The ``GET`` of the settings is ``cdp_routes.py``'s.
"""

from __future__ import annotations

from typing import Any

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator.cdp import (
    DistributionPoint,
    DistributionPointExistsError,
    NoDistributionPointError,
    missing,
)
from jcds2.emulator.cdp_routes import InventoryFileIds, settings_answer
from jcds2.emulator.history import ObjectHistory, add_note, history_page
from jcds2.emulator.jsonbody import BodyError, BodyReader
from jcds2.emulator.web import Call, Route, api_error, body_error, json_response, no_content

BASE = "/v1/cloud-distribution-point"
HISTORY = BASE + "/history"
# The CDP is one object: its notes are kept under one key, across configurations.
CDP_HISTORY_KEY = 0
DEFAULT_SORT = ("id:asc",)  # the schema's default for the CDP's history


@attrs.frozen
class CloudDistributionPointSettingsRoutes:
    """``/api/v1/cloud-distribution-point`` (POST, PATCH, DELETE) and ``.../history``."""

    point: DistributionPoint
    history: ObjectHistory
    bodies: BodyReader
    file_ids: InventoryFileIds

    def routes(self) -> list[Route]:
        return [
            Route("/api" + BASE, ("POST",), self.create),
            Route("/api" + BASE, ("PATCH",), self.update),
            Route("/api" + BASE, ("DELETE",), self.delete),
            Route("/api" + HISTORY, ("GET", "POST"), self.notes),
        ]

    def create(self, call: Call) -> Response:
        try:
            body = self.bodies.read(call.request.get_data(), BASE, "post")
            changed = self.point.create(body)
        except BodyError as error:
            return body_error(error)
        except DistributionPointExistsError:
            # Not in the schema (the emulator's choice): creating is for a server with none.
            return api_error(
                409,
                "CONFLICT",
                "A cloud distribution point is configured already; update or delete it",
            )
        self._note(call, "Cloud distribution point created", changed)
        return json_response(settings_answer(self.point), 201)

    def update(self, call: Call) -> Response:
        try:
            patch = self.bodies.read(call.request.get_data(), BASE, "patch", partial=True)
            changed = self.point.update(patch)
        except BodyError as error:
            return body_error(error)
        except NoDistributionPointError:
            return missing()
        if changed:
            self._note(call, "Cloud distribution point updated", changed)
        return json_response(settings_answer(self.point))

    def delete(self, call: Call) -> Response:
        try:
            self.point.delete()
        except NoDistributionPointError:
            return missing()
        self.file_ids.clear()
        self._note(call, "Cloud distribution point deleted", [])
        return no_content()

    def notes(self, call: Call) -> Response:
        if call.request.method == "POST":
            return add_note(self.history, CDP_HISTORY_KEY, call, self.bodies, HISTORY)
        return history_page(self.history.records(CDP_HISTORY_KEY), call, DEFAULT_SORT)

    def _note(self, call: Call, note: str, changed: list[str]) -> dict[str, Any]:
        # Field names only: a password's value never reaches the history.
        details = ", ".join(changed) if changed else None
        return self.history.add(CDP_HISTORY_KEY, call, note, details)
