"""The API keeps its published contract.

Found by fuzzing the schema: schema names collided across modules, so an operation was
documented with another module's body.
"""

from __future__ import annotations

from collections import defaultdict

import pydantic
import pytest

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
