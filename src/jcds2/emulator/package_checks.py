"""What a Pro API package write must pass besides its own fields: a cloud distribution point
to create it on, and a category that exists.

Kept apart from ``pro.py`` (which parses the request bodies) so that each stays small.
"""

from __future__ import annotations

from typing import Any

import attrs
from werkzeug.wrappers import Response

from jcds2.emulator.categories import CategoryStore
from jcds2.emulator.cdp import DistributionPoint, package_creation_refusal
from jcds2.emulator.web import api_error


@attrs.frozen
class PackageChecks:
    categories: CategoryStore = attrs.Factory(CategoryStore)
    point: DistributionPoint = attrs.Factory(DistributionPoint)

    def creation_refusal(self, values: dict[str, Any]) -> Response | None:
        """The answer to ``POST /api/v1/packages`` with these field values, if it is refused."""
        refused = package_creation_refusal(self.point)
        return self.category_refusal(values) if refused is None else refused

    def category_refusal(self, values: dict[str, Any]) -> Response | None:
        """A 400 for a ``categoryId`` that names no category, else None.

        No public record of how Jamf Pro answers an unknown ``categoryId`` was found; the
        emulator refuses it as an invalid field, as the Classic API refuses an unknown
        category name (see docs/emulator.md, "Categories").
        """
        category_id = values.get("category_id")
        if not isinstance(category_id, str) or self.categories.exists(category_id):
            return None
        return api_error(
            400,
            "INVALID_FIELD",
            f"Category with id {category_id} does not exist",
            field="categoryId",
        )
