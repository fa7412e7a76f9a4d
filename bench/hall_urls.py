"""Bench-only URLconf: the product's URLs plus two baseline views for the full-hall benchmark.

Both baselines store the ballot's JSON under its unique code in one table, ``bench_vote``
(created by ``bench.hall_vote`` with raw SQL, never by a migration):

- ``bench/orm-insert/<code>``: parse the JSON, then ``BenchVote.objects.create`` inside
  ``transaction.atomic()`` — the smallest honest ORM write;
- ``bench/raw-insert/<code>``: one ``INSERT … ON CONFLICT (code) DO NOTHING`` in autocommit,
  the body passed to PostgreSQL as text.

Each answers ``{"receipt": code}`` like the vote API, or 409 when the code was already used.
Never mounted by the product (only ``bench.hall_settings`` points here).
"""

from __future__ import annotations

import json

from django.db import IntegrityError, connection, models, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


class BenchVote(models.Model):
    """A baseline ballot: the posted JSON under its code. Unmanaged; the bench creates it."""

    code = models.TextField(primary_key=True)
    body = models.JSONField()

    class Meta:
        app_label = "core"
        managed = False
        db_table = "bench_vote"

    def __str__(self) -> str:
        return self.code


@csrf_exempt
@require_POST
def orm_insert(request: HttpRequest, code: str) -> JsonResponse:
    try:
        body = json.loads(request.body)
    except ValueError:
        return JsonResponse({"detail": "bad json"}, status=400)
    try:
        with transaction.atomic():
            BenchVote.objects.create(code=code, body=body)
    except IntegrityError:
        return JsonResponse({"detail": "used"}, status=409)
    return JsonResponse({"receipt": code})


@csrf_exempt
@require_POST
def raw_insert(request: HttpRequest, code: str) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_vote (code, body) VALUES (%s, %s::jsonb) "
            "ON CONFLICT (code) DO NOTHING",
            [code, request.body.decode()],
        )
        stored = cursor.rowcount == 1
    if not stored:
        return JsonResponse({"detail": "used"}, status=409)
    return JsonResponse({"receipt": code})


urlpatterns = [
    path("bench/orm-insert/<str:code>", orm_insert),
    path("bench/raw-insert/<str:code>", raw_insert),
    path("", include("shuzhi.urls")),
]
