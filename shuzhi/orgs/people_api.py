"""People and posts API."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["人员与职务"])
