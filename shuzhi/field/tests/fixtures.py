"""A county secretary (孙立) with an account, in the small test province."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from shuzhi.accounts.models import Role
from shuzhi.core.testing import World, build_world, make_user
from shuzhi.orgs.people.models import Person, Post, PostRole


@dataclass
class FieldWorld:
    world: World
    leader: Person
    sun: object


def build_field_world() -> FieldWorld:
    world = build_world()
    leader = Person.objects.create(name="孙立", unit=world.county_a1)
    Post.objects.create(
        person=leader,
        unit=world.county_a1,
        role=PostRole.SECRETARY,
        start_date=datetime.date(2020, 1, 1),
    )
    sun = make_user("sun", (Role.SECRETARY, world.county_a1), full_name="孙立", person=leader)
    return FieldWorld(world=world, leader=leader, sun=sun)
