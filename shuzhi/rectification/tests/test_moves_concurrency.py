"""A problem recorded while its unit is being moved copies the path the move gives it.

``create_problem`` reads the unit's path under the unit's row lock (``tree.paths_to_copy``):
a move that holds the unit waits no copy out, so the copy is never the old path.
"""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import connection, connections, transaction  # noqa: F401  (skipif)

from shuzhi.orgs.tree import paths as tree
from shuzhi.orgs.tree import services as org_services
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification import services

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
    pytest.mark.django_db(transaction=True),
]


def test_a_problem_recorded_during_a_move_gets_the_new_path(world):
    township = world.township_a1x  # read before the move: it still holds the old path
    moved = threading.Event()
    errors: list[BaseException] = []

    def mover() -> None:
        try:
            with transaction.atomic():
                org_services.move_unit(
                    actor=world.alice, unit=world.county_a1, new_parent=world.city_b
                )
                moved.set()
                time.sleep(0.5)  # the recorder below now waits for this commit
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
            moved.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=mover)
    thread.start()
    assert moved.wait(30)
    problem = services.create_problem(
        actor=world.alice,
        unit=township,
        description="移动过程中登记的问题",
        source="xunshi",
        found_on=datetime.date(2026, 3, 1),
        year=2026,
    )
    thread.join()
    assert errors == []
    new_path = Unit.objects.get(pk=township.pk).path
    assert new_path != township.path
    assert problem.unit_path == new_path
    assert tree.stale_path_copies() == {}
