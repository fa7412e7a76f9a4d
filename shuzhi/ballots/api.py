"""ballots API."""

from ninja import Router

router = Router(tags=["ballots"])
