"""The HTTP API keeps its published contract: Schemathesis over every operation.

Every operation of ``/api/openapi.json`` is called with generated requests — valid ones and
invalid ones — as the demo's administrator, in-process against the WSGI application on a
demo-sized PostgreSQL database. A response fails the test when it is a server error, when its
status code is not among the operation's declared responses, when its body does not match the
declared schema, or when an invalid request (say, an array where an object is documented) is
accepted. The budget is bounded and the generation derandomized, so the run is repeatable and
takes well under three minutes; ``SHUZHI_CONTRACT_EXAMPLES`` raises the budget for a deeper run.

Each request runs in a savepoint rolled back afterwards, so one example's writes (or a refused
statement) never change what the next example sees. The run is for PostgreSQL only: the
contract does not depend on the database, and the fuzzing costs CI time twice otherwise.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter, defaultdict
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from shuzhi.accounts.models import User
from shuzhi.accounts.tokens import issue_token
from shuzhi.api import api

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("SHUZHI_CONTRACT_EXAMPLES", "1"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _failures_of(exc: BaseException) -> list[BaseException]:
    inner = getattr(exc, "exceptions", None)
    if inner:
        return [leaf for e in inner for leaf in _failures_of(e)]
    return [exc]


@pytest.fixture
def wsgi_app():
    """The WSGI application, with the per-request connection handling that would end the
    test's transaction switched off (as Django's own test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _run(schema: Any, token: str) -> tuple[dict[str, list[str]], Counter[str], int]:
    found: dict[str, list[str]] = defaultdict(list)
    kinds: Counter[str] = Counter()
    calls = 0
    headers = {"Authorization": f"Bearer {token}"}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                strategy = operation.as_strategy(generation_mode=mode)
            except Exception as exc:  # an operation the generator cannot serve
                found[f"{operation.label}: {type(exc).__name__}"].append(str(exc)[:200])
                continue

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )
            @given(case=strategy)
            def call(case: Any) -> None:
                nonlocal calls
                calls += 1
                point = transaction.savepoint()
                try:
                    response = case.call(headers=headers)
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except (Exception, FailureGroup) as exc:
                    for failure in _failures_of(exc):
                        title = getattr(failure, "title", type(failure).__name__)
                        key = f"{case.operation.label}: {title}"
                        if not found[key]:
                            kinds[title] += 1
                        found[key].append(
                            f"{case.method} {case.formatted_path} query={case.query} "
                            f"body={str(case.body)[:150]} → {getattr(response, 'status_code', '?')}"
                            f" {str(getattr(failure, 'message', failure))[:300]}"
                        )
                finally:
                    transaction.savepoint_rollback(point)

            # Unsatisfiable: nothing of this operation can be made invalid (no input at all).
            with contextlib.suppress(Unsatisfiable):
                call()
    return found, kinds, calls


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="The API contract does not depend on the database; fuzzed once, on PostgreSQL.",
)
def test_api_keeps_its_contract(wsgi_app):
    """No server error, undocumented status, schema violation or accepted invalid request."""
    call_command("seed_demo", scale=0.02, stdout=open(os.devnull, "w"))  # noqa: SIM115
    admin = User.objects.get(username="admin")
    _token, raw = issue_token(actor=admin, name="contract", access="write")
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api"))
    schema.app = wsgi_app
    found, kinds, calls = _run(schema, raw)
    lines = [f"{calls} calls; failing operations by kind: {dict(kinds)}"]
    for key, examples in sorted(found.items()):
        lines.append(f"{key} ×{len(examples)}\n    " + "\n    ".join(examples[:2]))
    report = "\n".join(lines)
    if os.environ.get("SHUZHI_CONTRACT_REPORT"):
        with open(os.environ["SHUZHI_CONTRACT_REPORT"], "w", encoding="utf-8") as out:
            out.write(report)
    assert not found, report
