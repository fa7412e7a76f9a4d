from ninja import Router

router = Router(tags=["站内提醒"])
