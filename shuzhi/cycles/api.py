"""cycles API."""

from ninja import Router

router = Router(tags=["cycles"])
