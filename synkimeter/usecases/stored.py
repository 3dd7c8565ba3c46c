"""A stored clip's result read back as typed objects (`ClipResult`), for the report and the pictures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from synkimeter.core.results import ClipResult

if TYPE_CHECKING:  # the database layer (SQLAlchemy) loads when a store is opened, not with this module
    from synkimeter.store.database import Store


def stored_result(store: Store, clip) -> ClipResult | None:
    """A complete clip's stored result, typed (None for a clip without one)."""
    if clip.status != "complete":
        return None
    doc = store.summary(clip)
    return ClipResult.from_json(doc) if doc is not None else None
