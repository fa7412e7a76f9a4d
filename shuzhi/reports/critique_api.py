from ninja import Router

router = Router(tags=["点评与整改方案"])
