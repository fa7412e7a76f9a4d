from ninja import Router

router = Router(tags=["述职报告"])
