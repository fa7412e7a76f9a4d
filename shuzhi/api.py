"""The HTTP API (django-ninja). OpenAPI at /api/docs and /api/openapi.json where
``SHUZHI_API_DOCS`` is on (development and tests; off in production unless the operator asks).

Requests authenticate with a bearer token (``Authorization: Bearer sz_…``) or, from the
browser, with the session cookie plus CSRF. Every router applies the same policies as the pages.
"""

import functools
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as RequestInvalid
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer

from shuzhi.accounts import tokens
from shuzhi.accounts.api import router as accounts_router
from shuzhi.core.api import router as core_router
from shuzhi.orgs.people.api import router as people_router
from shuzhi.orgs.tree.api import router as orgs_router


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` for scripts: 401 for an unknown, revoked or expired
    token; 403 in Chinese for a request outside its access or areas (``accounts.tokens``)."""

    def authenticate(self, request, token):
        found = tokens.token_for(token)
        if found is None:
            return None
        reason = tokens.refusal(found, method=request.method, path=request.path_info)
        if reason:
            raise PermissionDenied(reason)
        request.user = found.user
        request.api_token = found
        return found.user


class SessionAuth(APIKeyCookie):
    """The browser's session cookie; CSRF is checked on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


# Every error answers ``{"detail": "<Chinese sentence>"}``, with ``errors`` when there are
# several (fields of a form, items of a request); the schema declares it for every operation.
ERROR_SCHEMA = {
    "title": "ErrorOut",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "title": "说明"},
        "errors": {"title": "逐项问题"},
    },
    "required": ["detail"],
}
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
# What any operation may answer (a malformed request, no or a wrong sign-in, out of sight or
# refused, invalid input, too many requests), and what a write may answer besides (a state
# that forbids the change, a body too large).
ERRORS_ANY = {
    "400": "请求有误（例如含有不允许的字符）",
    "401": "未登录或令牌无效",
    "403": "没有权限",
    "404": "不存在或不在您的范围内",
    "422": "输入有误",
    "429": "请求过于频繁",
}
ERRORS_WRITE = {"409": "与当前状态冲突", "413": "提交的内容过大"}


def declare_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the shared error responses on every operation of ``schema`` (in place).

    An operation that already declares one of these codes with its own body keeps it, as one
    of two shapes: the framework's own refusals (sign-in, invalid input) can answer any
    operation, in the shared shape.
    """
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorOut"] = ERROR_SCHEMA
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            codes = dict(ERRORS_ANY)
            if method.lower() != "get":
                codes.update(ERRORS_WRITE)
            for code, description in codes.items():
                declared = responses.get(str(code))
                if declared is None:
                    responses[code] = {
                        "description": description,
                        "content": {"application/json": {"schema": ERROR_REF}},
                    }
                    continue
                for media in declared.get("content", {}).values():
                    own = media.get("schema")
                    if own is not None and own != ERROR_REF:
                        media["schema"] = {"anyOf": [own, ERROR_REF]}
    return schema


class ObjectBodyParser(Parser):
    """JSON bodies must be objects: every documented body is one, and a model whose fields
    are all optional would otherwise take an array (or a bare number) as an empty change."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return data


BODY_UNREADABLE = "请求体应为 JSON 对象（{…}）。"


class ShuzhiAPI(NinjaAPI):
    """The API, whose schema declares the shared error responses of every operation."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        declare_errors(schema)
        return schema


def docs_when_enabled(view):
    """Serve the API docs and the OpenAPI schema only where ``SHUZHI_API_DOCS`` is on: in
    production the map of every endpoint and field is not handed to whoever asks. Read per
    request, so the setting needs no new URL map."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not settings.SHUZHI_API_DOCS:
            raise Http404("接口文档未开放。")
        return view(request, *args, **kwargs)

    return guarded


api = ShuzhiAPI(
    title="Shuzhi 述职评议考核 API",
    version="1",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
    parser=ObjectBodyParser(),
    docs_decorator=docs_when_enabled,
)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        detail = {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    else:
        detail = {"__all__": [str(m) for m in exc.messages]}
    return api.create_response(request, {"detail": "输入有误。", "errors": detail}, status=422)


# Pydantic's error types in Chinese; ``{…}`` takes the error's context (limits, choices).
_MESSAGES = {
    "missing": "必填",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "date_parsing": "应为日期（如 2026-01-31）",
    "date_from_datetime_parsing": "应为日期（如 2026-01-31）",
    "date_type": "应为日期（如 2026-01-31）",
    "datetime_parsing": "应为日期时间（如 2026-01-31T09:00:00）",
    "datetime_from_date_parsing": "应为日期时间（如 2026-01-31T09:00:00）",
    "datetime_type": "应为日期时间（如 2026-01-31T09:00:00）",
    "time_parsing": "应为时间（如 09:00）",
    "uuid_parsing": "应为 UUID",
    "dict_type": "应为对象（{…}）",
    "model_type": "应为对象（{…}）",
    "model_attributes_type": "应为对象（{…}）",
    "list_type": "应为列表（[…]）",
    "set_type": "应为列表（[…]）",
    "tuple_type": "应为列表（[…]）",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "extra_forbidden": "不允许的字段",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "string_pattern_mismatch": "格式不符",
    "finite_number": "应为有限的数字",
    "int_too_big": "数值过大",
    "url_parsing": "应为网址",
    "value_error": "{error}",
    "assertion_error": "{error}",
}
# Where pydantic says a parameter came from; the rest of the location names the field.
_PLACES = {
    "body": "请求体",
    "query": "查询参数",
    "path": "路径参数",
    "form": "表单",
    "file": "文件",
}


def chinese_message(error: dict[str, Any]) -> str:
    """One pydantic error as a Chinese phrase (``value_error`` keeps the validator's text)."""
    template = _MESSAGES.get(str(error.get("type", "")), "格式有误")
    context = dict(error.get("ctx") or {})
    if "error" in context:
        context["error"] = str(context["error"]).removeprefix("Value error, ")
    try:
        return template.format(**context)
    except (KeyError, IndexError, ValueError):
        return "格式有误"


def _where(location: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    place = _PLACES.get(parts[0], "") if parts else ""
    # ninja nests a body under the parameter's name ("payload"): not the caller's concern.
    fields = [p for p in parts[1:] if p not in ("payload", "filters", "file")] if place else parts
    return "".join([place, "中" if place and fields else "", ".".join(fields)])


@api.exception_handler(RequestInvalid)
def request_invalid(request, exc: RequestInvalid):
    """The request does not fit the operation's parameters or body: say where, in Chinese."""
    errors = [
        {
            "loc": list(error.get("loc", ())),
            "msg": chinese_message(error),
            "type": error.get("type", ""),
        }
        for error in exc.errors
    ]
    first = errors[0] if errors else None
    detail = "请求的内容有误。"
    if first is not None:
        where = _where(first["loc"])
        detail = f"请求的内容有误：{where + '：' if where else ''}{first['msg']}。"
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """The framework's own refusals in Chinese; the product's (already Chinese) as raised."""
    message = str(exc)
    if message.startswith("Cannot parse request body"):
        message = BODY_UNREADABLE
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def not_signed_in(request, exc: AuthenticationError):
    return api.create_response(request, {"detail": "未登录或令牌无效。"}, status=401)


@api.exception_handler(AuthorizationError)
def not_authorised(request, exc: AuthorizationError):
    return api.create_response(request, {"detail": "没有权限。"}, status=403)


@api.exception_handler(Throttled)
def throttled(request, exc: Throttled):
    return api.create_response(request, {"detail": "请求过于频繁，请稍后再试。"}, status=429)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc: PermissionDenied):
    return api.create_response(request, {"detail": str(exc) or "没有权限。"}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return api.create_response(request, {"detail": "未找到。"}, status=404)


def _register_routers() -> None:
    # The vote endpoint first: it is the hot path in a full hall and URL resolution walks the
    # patterns in order.
    api.add_router("/vote", "shuzhi.ballots.vote_api.router")
    api.add_router("/units", orgs_router)
    api.add_router("/units", "shuzhi.orgs.imports.api.router")
    api.add_router("/people", people_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/audit", core_router)
    api.add_router("/rounds", "shuzhi.cycles.api.router")
    api.add_router("/meetings", "shuzhi.meetings.api.router")
    api.add_router("/field", "shuzhi.field.api.router")
    api.add_router("/ballots", "shuzhi.ballots.api.router")
    api.add_router("/problems", "shuzhi.rectification.api.router")
    api.add_router("/problems", "shuzhi.rectification.ledger_api.router")
    api.add_router("/problems", "shuzhi.rectification.import_api.router")
    api.add_router("/reports", "shuzhi.reports.reports.api.router")
    api.add_router("/reports", "shuzhi.reports.critiques.api.router")
    api.add_router("/reports", "shuzhi.reports.plans.api.router")
    api.add_router("/assessment/results", "shuzhi.assessment.results.api.router")
    api.add_router("/assessment/grading", "shuzhi.assessment.grading.api.router")
    api.add_router("/assessment", "shuzhi.assessment.indicators.api.router")
    api.add_router("/plan", "shuzhi.yearplan.api.router")
    api.add_router("/inbox", "shuzhi.dashboards.inbox_api.router")


_register_routers()
