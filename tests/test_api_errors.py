"""The API's errors keep the published contract: one shared shape, in Chinese, declared.

Found by fuzzing the schema (``tests/test_api_contract.py`` runs the fuzzer on PostgreSQL):
schema names collided across modules, so an operation was documented with another module's
body; an array was accepted where an object is documented; pydantic's English reached users;
the error statuses were not declared.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pydantic
import pytest

from shuzhi.accounts.models import User
from shuzhi.accounts.tokens import issue_token
from shuzhi.api import api

pytestmark = pytest.mark.django_db


def _models(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("shuzhi.") and ".tests" not in sub.__module__:
            found.append(sub)
        found.extend(_models(sub))
    return found


def test_no_two_api_schemas_share_a_name():
    api.get_openapi_schema(path_prefix="/api")  # every router loaded
    modules: dict[str, set[str]] = defaultdict(set)
    for model in _models(pydantic.BaseModel):
        if "api" in model.__module__.rsplit(".", 1)[-1]:
            modules[model.__name__].add(model.__module__)
    assert {name: sorted(m) for name, m in modules.items() if len(m) > 1} == {}


def test_the_people_body_is_the_people_schema():
    schema = api.get_openapi_schema(path_prefix="/api")
    body = schema["paths"]["/api/people/"]["post"]["requestBody"]["content"]
    ref = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {
        "name",
        "unit_code",
        "staff_number",
        "phone",
        "email",
    }


def test_every_operation_declares_the_shared_errors():
    schema = api.get_openapi_schema(path_prefix="/api")
    assert schema["components"]["schemas"]["ErrorOut"]["required"] == ["detail"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"400", "401", "403", "404", "422", "429"} <= declared, (method, path)
            if method != "get":
                assert {"409", "413"} <= declared, (method, path)


@pytest.fixture
def bearer(db):
    admin = User.objects.create_superuser(username="root", password="x" * 12)
    _token, raw = issue_token(actor=admin, name="errors", access="write")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _post(client, path: str, body: object, bearer, method: str = "post"):
    return getattr(client, method)(
        path, data=json.dumps(body), content_type="application/json", **bearer
    )


@pytest.mark.parametrize("body", [[], [{"name": "x"}], 5, "text", None])
def test_a_body_that_is_not_an_object_is_refused_in_chinese(client, bearer, body):
    answer = _post(client, "/api/people/1", body, bearer, method="patch")
    assert answer.status_code == 400
    assert answer.json() == {"detail": "请求体应为 JSON 对象（{…}）。"}


def test_schema_errors_speak_chinese(client, bearer):
    answer = _post(client, "/api/people/", {"unit_code": 5}, bearer)
    assert answer.status_code == 422
    body = answer.json()
    assert body["detail"] == "请求的内容有误：请求体中name：必填。"
    assert [e["msg"] for e in body["errors"]] == ["必填", "应为文本"]
    answer = client.get("/api/audit/?limit=many", **bearer)
    assert answer.status_code == 422
    assert answer.json()["detail"] == "请求的内容有误：查询参数中limit：应为整数。"


def test_no_sign_in_is_refused_in_chinese(client):
    answer = client.get("/api/people/")
    assert answer.status_code == 401
    assert answer.json() == {"detail": "未登录或令牌无效。"}
