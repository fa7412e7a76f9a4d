"""The request guard: input no view can use is refused with a 400 and a Chinese message before
any view, form or API parser sees it.

Three kinds of input used to end in a server error (500) wherever they arrived:

- **NUL characters** (U+0000) in the path, a query parameter, a form field or a JSON string
  (``\\u0000``): PostgreSQL text cannot hold them, so a vote code, a nonce, a comment or a search
  term with one failed in the database driver. (SQLite stores them; the refusal is the same on
  both so behaviour does not depend on the database.) Uploaded file contents are not text and
  are not inspected.
- **JSON nested deeper than** ``REQUEST_MAX_JSON_DEPTH`` (``[[[[…]]]]`` 20,000 deep): Python's
  JSON parser gives up with ``RecursionError``. No body the API accepts is more than a few
  levels deep.
- **Pagination numbers** (``page``, ``offset``, ``limit``) beyond ``MAX_PAGINATION_NUMBER``:
  an offset ≥ 2^63 overflows the database's ``OFFSET``. The bound is far above any list the
  product shows and far below the overflow, so ``offset + limit`` stays in range too.

One place for all three, so a new page or endpoint is covered without doing anything. API
paths (``/api/``) and JSON requests get ``{"detail": "…"}``; pages get the 400 page.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from itertools import accumulate

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string

NUL = "\x00"
PAGINATION_PARAMETERS = ("page", "offset", "limit")
MAX_PAGINATION_NUMBER = 10**12
# For the depth count: the bytes that are not brackets, and each bracket as a signed step.
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_DEPTH_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")

NUL_MESSAGE = "提交的内容含有不允许的空字符（NUL），请删除后重试。"
DEPTH_MESSAGE = "提交的内容嵌套层数过多。"
PAGE_MESSAGE = "分页参数超出范围。"


def json_too_deep(body: bytes, limit: int) -> bool:
    """Does the JSON text ``body`` open more than ``limit`` arrays or objects inside each other?

    A body with fewer opening brackets than ``limit`` is answered by two ``bytes.count``
    calls; a ballot of 40 reporters costs about what parsing it once does."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    # Without its escaped backslashes and quotes, a JSON text's quotes alternate between
    # outside and inside strings: keep the outside parts, whose brackets are structure. Each
    # step is a C loop, linear in the body whatever it holds (about one ``json.loads``).
    plain = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(plain.split(b'"')[::2])
    steps = array("b", outside.translate(_DEPTH_STEP, _NOT_BRACKETS))
    return max(accumulate(steps), default=0) > limit


def _has_nul(values: QueryDict) -> bool:
    return any(NUL in key or any(NUL in v for v in vs) for key, vs in values.lists())


def _page_out_of_range(query: QueryDict) -> bool:
    for name in PAGINATION_PARAMETERS:
        for value in query.getlist(name):
            text = value.strip()
            if text.isdigit() and (len(text) > 13 or int(text) > MAX_PAGINATION_NUMBER):
                return True
    return False


def _is_json(request: HttpRequest) -> bool:
    return (request.content_type or "").endswith("json")


def _json_body(request: HttpRequest) -> bytes | None:
    """The body of a JSON request when Django will hold it in memory; None otherwise (a
    too-large body is left for the view, which answers its own 413 or 400)."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or not _is_json(request):
        return None
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and declared > limit:
        return None
    try:
        return request.body
    except RequestDataTooBig:
        return None


def _form_has_nul(request: HttpRequest) -> bool:
    if request.method != "POST" or _is_json(request):
        return False
    content_type = request.content_type or ""
    if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return False
    try:
        if content_type == "application/x-www-form-urlencoded":
            # A urlencoded NUL is ``%00`` or a raw NUL byte: look for those in the body instead
            # of parsing every form (the ballot POST, on the hall's hot path, parses its own).
            body = request.body
            if b"%00" not in body and b"\x00" not in body:
                return False
        return _has_nul(request.POST)
    except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
        # The view meets the same error when it reads the form, as it did before.
        return False


def refusal(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 in the form the caller reads: JSON for the API, the 400 page otherwise."""
    if request.path.startswith("/api/") or _is_json(request):
        return JsonResponse(
            {"detail": message}, status=400, json_dumps_params={"ensure_ascii": False}
        )
    return HttpResponse(render_to_string("400.html", {"message": message}), status=400)


class RequestGuardMiddleware:
    """Refuse NUL characters, deeply nested JSON and out-of-range page numbers (module doc)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.max_depth = settings.REQUEST_MAX_JSON_DEPTH

    def __call__(self, request: HttpRequest) -> HttpResponse:
        message = self.check(request)
        if message is not None:
            return refusal(request, message)
        return self.get_response(request)

    def check(self, request: HttpRequest) -> str | None:
        """The message refusing ``request``, or None when it may go on."""
        if NUL in request.path_info or _has_nul(request.GET):
            return NUL_MESSAGE
        if _page_out_of_range(request.GET):
            return PAGE_MESSAGE
        body = _json_body(request)
        if body is not None:
            # ``\u0000`` escapes NUL unless its backslash is itself escaped (``\\u0000`` is
            # text): dropping the escaped backslashes first leaves only real escapes.
            if b"\\u0000" in body and b"\\u0000" in body.replace(b"\\\\", b""):
                return NUL_MESSAGE
            if json_too_deep(body, self.max_depth):
                return DEPTH_MESSAGE
        elif _form_has_nul(request):
            return NUL_MESSAGE
        return None
