"""Build a realistic demo province, the same every time (the demo sign-ins: accounts.demo).

The province 江岭省 (code 47, unused by GB/T 2260) has about 14 cities, 100 counties and
districts, 1,200 townships and sub-districts and 25,000 villages and communities, with
six-digit division codes (``470102``), nine-digit township codes (``470102001``) and
twelve-digit village codes (``470102001201``). Beside the regional chain it carries the domain
chains of DOMAIN.md §1 — 机关工委, 国资委党委, 教育工委, 卫健委党组, 两新工委 — at province level
and, in miniature, in the first two cities. Every unit has a current secretary; county level
and above (and the working committees) also have a deputy; some units have former secretaries,
so "who was secretary on a date" has more than one answer.

Everything is drawn from fixed-seed random generators, so two runs into empty databases give the
same codes, names, people and dates. Rows are built in memory with their ids (so materialised
paths are known before insert) and written with ``bulk_create`` in one transaction — a per-row
service call would take minutes for 27,000 units. This bypasses the unit services on purpose:
it is a loader for an empty installation, and it records one ``demo.seed`` audit entry.

The demo password is for local demonstrations only.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from shuzhi.core import audit
from shuzhi.orgs.demo_names import (
    CITY_DEPARTMENTS,
    CITY_SOES,
    COMMUNITY_NAMES,
    DEPARTMENTS,
    GIVEN_CHARS,
    HOSPITALS,
    NONPUBLIC_KINDS,
    NONPUBLIC_PREFIXES,
    PLACE_FIRST,
    PLACE_SECOND,
    SENIOR_TYPES,
    SOE_BRANCHES,
    SOES,
    SURNAME_WEIGHTS,
    SURNAMES,
    UNIVERSITIES,
    VILLAGE_TAILS,
)
from shuzhi.orgs.people.models import Person, Post, PostRole
from shuzhi.orgs.signals import demo_seeded
from shuzhi.orgs.tree.models import Unit, UnitType, child_path

SEED = 2014  # the year 述职评议考核 began; any fixed number keeps the demo deterministic
DEMO_PASSWORD = "shuzhi-demo"
PROVINCE_CODE = "470000"
PROVINCE_PLACE = "江岭省"
PROVINCE_SHORT = "江岭"
MAX_SCALE = 2.0
BATCH_SIZE = 2000

# Full-scale sizes; ``scale`` multiplies them.
CITIES = 14
COUNTIES = 100
TOWNSHIPS = 1200
VILLAGES = 25000

# Dates are fixed (not relative to today) so the demo is the same whenever it is loaded.
CURRENT_FROM = datetime.date(2018, 1, 1)
CURRENT_TO = datetime.date(2024, 12, 31)
TENURE_DAYS = (3 * 365, 7 * 365)


@dataclass
class SeedResult:
    """Counts of what :func:`seed` wrote."""

    units: int = 0
    people: int = 0
    posts: int = 0
    users: int = 0
    grants: int = 0
    province: Unit | None = None

    def as_dict(self) -> dict[str, int]:
        return {
            "units": self.units,
            "people": self.people,
            "posts": self.posts,
            "users": self.users,
            "grants": self.grants,
        }


def is_seeded() -> bool:
    """Whether the demo province is in the database."""
    return Unit.objects.filter(code=PROVINCE_CODE).exists()


# --- Helpers ----------------------------------------------------------------------------------


def city_code(position: int) -> str:
    """The division code of the ``position``-th city of the demo province."""
    return f"{PROVINCE_CODE[:2]}{position:02d}00"


def _scaled(full: int, scale: float, minimum: int) -> int:
    return max(minimum, round(full * scale))


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into ``len(weights)`` parts of at least 1, proportional to the weights."""
    count = len(weights)
    total = max(total, count)
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    parts = [max(1, int(r)) for r in raw]
    # Largest remainders take the leftover; the largest parts give back any excess.
    by_remainder = sorted(range(count), key=lambda i: (raw[i] - int(raw[i]), -i), reverse=True)
    step = 0
    while sum(parts) < total:
        parts[by_remainder[step % count]] += 1
        step += 1
    while sum(parts) > total:
        biggest = max(range(count), key=lambda i: (parts[i], -i))
        parts[biggest] -= 1
    return parts


def _unique(make: Callable[[], str], taken: set[str]) -> str:
    """Draw names from ``make`` until one is not in ``taken``; number it as a last resort."""
    for _ in range(60):
        name = make()
        if name not in taken:
            taken.add(name)
            return name
    base = make()
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    taken.add(f"{base}{number}")
    return f"{base}{number}"


def _date_between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randrange((last - first).days + 1))


# --- The builder ------------------------------------------------------------------------------


@dataclass
class Plan:
    """The demo province built in memory, ids included, before it is written."""

    units: list[Unit] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    type_of: dict[int, str] = field(default_factory=dict)


class _Builder:
    """Lays out units, people and posts in memory, ids included."""

    def __init__(self, *, scale: float, types: dict[str, int], first_ids: tuple[int, int, int]):
        self.scale = scale
        self.types = types
        self.next_unit, self.next_person, self.next_post = first_ids
        # Separate streams: changing how people are drawn leaves the tree's names alone.
        self.places = random.Random(SEED)
        self.names = random.Random(SEED + 1)
        self.dates = random.Random(SEED + 2)
        self.plan = Plan()
        self.staff_seq = 0

    # Units

    def unit(
        self,
        parent: Unit | None,
        *,
        code: str,
        name: str,
        type_code: str,
        short_name: str = "",
        sort_order: int = 0,
    ) -> Unit:
        unit_id = self.next_unit
        self.next_unit += 1
        unit = Unit(
            id=unit_id,
            code=code,
            name=name,
            short_name=short_name,
            type_id=self.types[type_code],
            parent_id=parent.pk if parent else None,
            path=child_path(parent.path if parent else "", unit_id),
            depth=(parent.depth + 1) if parent else 1,
            sort_order=sort_order,
        )
        self.plan.units.append(unit)
        self.plan.type_of[unit_id] = type_code
        return unit

    def place(self, taken: set[str]) -> str:
        rng = self.places
        return _unique(lambda: rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND), taken)

    def build(self) -> Plan:
        province = self.unit(
            None,
            code=PROVINCE_CODE,
            name=f"{PROVINCE_PLACE}委",
            short_name=PROVINCE_PLACE,
            type_code="province",
        )
        cities = self.regions(province)
        self.province_chains(province)
        for city, city_place in cities[:2]:
            self.city_chains(city, city_place)
        self.posts_for_all()
        return self.plan

    def regions(self, province: Unit) -> list[tuple[Unit, str]]:
        rng = self.places
        city_count = _scaled(CITIES, self.scale, 2)
        county_count = _scaled(COUNTIES, self.scale, city_count)
        township_count = _scaled(TOWNSHIPS, self.scale, county_count)
        village_count = _scaled(VILLAGES, self.scale, township_count)

        city_names: set[str] = set()
        county_names: set[str] = set()
        cities = []
        counties: list[tuple[Unit, str]] = []  # (unit, "district" | "county" | "city")
        per_city = _apportion(county_count, [rng.uniform(0.7, 1.3) for _ in range(city_count)])
        for position, n_counties in enumerate(per_city, start=1):
            place = self.place(city_names)
            code = city_code(position)
            city = self.unit(
                province,
                code=code,
                name=f"{place}市委",
                short_name=f"{place}市",
                type_code="city",
                sort_order=position * 10,
            )
            cities.append((city, place))
            # The first of each city's county-level units is always an urban district, so the
            # demo secretary's county exists at every scale.
            districts = max(
                1, min(n_counties - 1, round(n_counties * 0.3)) if n_counties > 1 else 1
            )
            county_level_cities = 1 if n_counties >= 6 else 0
            for index in range(n_counties):
                if index < districts:
                    kind, suffix, number = "district", "区", 2 + index
                elif index >= n_counties - county_level_cities:
                    kind, suffix, number = "city", "市", 81 + index - (n_counties - 1)
                else:
                    kind, suffix, number = "county", "县", 21 + index - districts
                cplace = self.place(county_names)
                county = self.unit(
                    city,
                    code=f"{code[:4]}{number:02d}",
                    name=f"{cplace}{suffix}委",
                    short_name=f"{cplace}{suffix}",
                    type_code="county",
                    sort_order=(index + 1) * 10,
                )
                counties.append((county, kind))

        per_county = _apportion(township_count, [rng.uniform(0.75, 1.25) for _ in counties])
        townships: list[tuple[Unit, str]] = []  # (unit, "subdistrict" | "town" | "xiang")
        for (county, kind), n_townships in zip(counties, per_county, strict=True):
            urban_share = 0.7 if kind == "district" else 0.15
            subdistricts = max(1, round(n_townships * urban_share))
            xiangs = 0 if kind == "district" else round(n_townships * 0.15)
            taken: set[str] = set()
            for index in range(n_townships):
                if index < subdistricts:
                    tkind, number = "subdistrict", 1 + index
                elif index >= n_townships - xiangs:
                    tkind, number = "xiang", 200 + index - (n_townships - xiangs)
                else:
                    tkind, number = "town", 100 + index - subdistricts
                if tkind == "subdistrict" and index == 0 and kind != "district":
                    tplace = "城关"
                    taken.add(tplace)
                else:
                    tplace = self.place(taken)
                if tkind == "subdistrict":
                    name, short, type_code = f"{tplace}街道党工委", f"{tplace}街道", "subdistrict"
                else:
                    suffix = "乡" if tkind == "xiang" else "镇"
                    name, short, type_code = (
                        f"{tplace}{suffix}党委",
                        f"{tplace}{suffix}",
                        "township",
                    )
                township = self.unit(
                    county,
                    code=f"{county.code}{number:03d}",
                    name=name,
                    short_name=short,
                    type_code=type_code,
                    sort_order=(index + 1) * 10,
                )
                townships.append((township, tkind))

        weights = [
            {"subdistrict": 0.55, "town": 1.1, "xiang": 0.9}[tkind] * rng.uniform(0.7, 1.3)
            for _, tkind in townships
        ]
        per_township = _apportion(village_count, weights)
        for (township, tkind), n_villages in zip(townships, per_township, strict=True):
            self.villages(township, tkind, n_villages)
        return cities

    def villages(self, township: Unit, tkind: str, count: int) -> None:
        rng = self.places
        if tkind == "subdistrict":
            communities = max(1, count - rng.randrange(0, 3))
        else:
            communities = min(count, rng.randrange(0, 3))
        taken: set[str] = set()
        for index in range(count):
            if index < communities:
                place = _unique(
                    lambda: (
                        rng.choice(COMMUNITY_NAMES)
                        if rng.random() < 0.6
                        else rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
                    ),
                    taken,
                )
                short = f"{place}社区"
                organ = rng.choices(("党委", "党总支", "党支部"), weights=(5, 3, 2))[0]
                number, type_code = 1 + index, "community"
            else:
                place = _unique(
                    lambda: (
                        rng.choice(SURNAMES) + "家" + rng.choice(VILLAGE_TAILS)
                        if rng.random() < 0.35
                        else rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
                    ),
                    taken,
                )
                short = f"{place}村"
                organ = rng.choices(("党支部", "党总支", "党委"), weights=(16, 3, 1))[0]
                number, type_code = 200 + index - communities, "village"
            self.unit(
                township,
                code=f"{township.code}{number:03d}",
                name=f"{short}{organ}",
                short_name=short,
                type_code=type_code,
                sort_order=(index + 1) * 10,
            )

    def chain(
        self,
        parent: Unit,
        *,
        code: str,
        name: str,
        type_code: str,
        sort_order: int,
        members: Iterable[tuple[str, str, str]],
    ) -> list[Unit]:
        """A working committee under ``parent`` and its members ``(code suffix, name, type)``."""
        committee = self.unit(
            parent, code=code, name=name, type_code=type_code, sort_order=sort_order
        )
        return [
            self.unit(
                committee,
                code=f"{code}{suffix}",
                name=member_name,
                type_code=member_type,
                sort_order=(index + 1) * 10,
            )
            for index, (suffix, member_name, member_type) in enumerate(members)
        ]

    def province_chains(self, province: Unit) -> None:
        scale, place, short = self.scale, PROVINCE_PLACE, PROVINCE_SHORT
        code = PROVINCE_CODE
        n = _scaled(len(DEPARTMENTS), scale, 2)
        self.chain(
            province,
            code=f"{code}JG",
            name=f"{place}直属机关工作委员会",
            type_code="organs_committee",
            sort_order=1000,
            members=[
                (f"{i:02d}", f"{place}{dept}", "department")
                for i, dept in enumerate(DEPARTMENTS[:n], start=1)
            ],
        )
        n = _scaled(len(SOES), scale, 2)
        soes = self.chain(
            province,
            code=f"{code}GZ",
            name=f"{place}人民政府国有资产监督管理委员会党委",
            type_code="sasac",
            sort_order=1010,
            members=[
                (f"{i:02d}", f"{short}{soe}有限公司党委", "soe")
                for i, soe in enumerate(SOES[:n], start=1)
            ],
        )
        for soe in soes:
            self.soe_branches(soe)
        n = _scaled(len(UNIVERSITIES), scale, 2)
        self.chain(
            province,
            code=f"{code}JY",
            name=f"中共{place}委教育工作委员会",
            type_code="education_committee",
            sort_order=1020,
            members=[
                (f"{i:02d}", f"{uni}党委", "university")
                for i, uni in enumerate(UNIVERSITIES[:n], start=1)
            ],
        )
        n = _scaled(len(HOSPITALS), scale, 2)
        self.chain(
            province,
            code=f"{code}WJ",
            name=f"{place}卫生健康委员会党组",
            type_code="department",
            sort_order=1030,
            members=[
                (f"{i:02d}", f"{place}{hospital}党委", "hospital")
                for i, hospital in enumerate(HOSPITALS[:n], start=1)
            ],
        )
        n = _scaled(60, scale, 2)
        self.chain(
            province,
            code=f"{code}LX",
            name=f"中共{place}委非公有制经济组织和社会组织工作委员会",
            type_code="nonpublic_committee",
            sort_order=1040,
            members=[
                (f"{i:03d}", name, "nonpublic_org")
                for i, name in enumerate(self.nonpublic_names(n, short), start=1)
            ],
        )

    def soe_branches(self, soe: Unit) -> None:
        count = self.places.randint(2, 4)
        company = soe.name.removesuffix("党委")
        for index, branch in enumerate(SOE_BRANCHES[:count], start=1):
            organ, type_code = ("党总支", "general_branch") if index == 1 else ("党支部", "branch")
            self.unit(
                soe,
                code=f"{soe.code}{index:02d}",
                name=f"{company}{branch}{organ}",
                type_code=type_code,
                sort_order=index * 10,
            )

    def nonpublic_names(self, count: int, place: str) -> list[str]:
        rng = self.places
        taken: set[str] = set()
        names = []
        for _ in range(count):
            kind, organ = rng.choice(NONPUBLIC_KINDS)

            def draw(kind: str = kind) -> str:
                return rng.choice(NONPUBLIC_PREFIXES) + kind

            names.append(f"{place}{_unique(draw, taken)}{organ}")
        return names

    def city_chains(self, city: Unit, place: str) -> None:
        city_place = f"{place}市"
        scale = self.scale
        self.chain(
            city,
            code=f"{city.code}JG",
            name=f"中共{city_place}直属机关工作委员会",
            type_code="organs_committee",
            sort_order=1000,
            members=[
                (f"{i:02d}", f"{city_place}{dept}", "department")
                for i, dept in enumerate(
                    CITY_DEPARTMENTS[: _scaled(len(CITY_DEPARTMENTS), scale, 2)], start=1
                )
            ],
        )
        soes = self.chain(
            city,
            code=f"{city.code}GZ",
            name=f"{city_place}人民政府国有资产监督管理委员会党委",
            type_code="sasac",
            sort_order=1010,
            members=[
                (f"{i:02d}", f"{place}{soe}有限公司党委", "soe")
                for i, soe in enumerate(CITY_SOES[: _scaled(len(CITY_SOES), scale, 1)], start=1)
            ],
        )
        for soe in soes:
            self.soe_branches(soe)
        self.chain(
            city,
            code=f"{city.code}LX",
            name=f"中共{city_place}委非公有制经济组织和社会组织工作委员会",
            type_code="nonpublic_committee",
            sort_order=1040,
            members=[
                (f"{i:03d}", name, "nonpublic_org")
                for i, name in enumerate(self.nonpublic_names(_scaled(6, scale, 2), place), start=1)
            ],
        )

    # People and posts

    def person(self, unit: Unit) -> Person:
        rng = self.names
        surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
        given = "".join(rng.choice(GIVEN_CHARS) for _ in range(1 if rng.random() < 0.3 else 2))
        self.staff_seq += 1
        person = Person(
            id=self.next_person,
            name=surname + given,
            staff_number=f"DY{PROVINCE_CODE[:2]}{self.staff_seq:07d}",
            unit_id=unit.pk,
        )
        self.next_person += 1
        self.plan.people.append(person)
        return person

    def post(
        self,
        unit: Unit,
        role: str,
        start: datetime.date,
        end: datetime.date | None = None,
    ) -> Post:
        post = Post(
            id=self.next_post,
            person_id=self.person(unit).pk,
            unit_id=unit.pk,
            role=role,
            start_date=start,
            end_date=end,
        )
        self.next_post += 1
        self.plan.posts.append(post)
        return post

    def posts_for_all(self) -> None:
        rng = self.dates
        for unit in self.plan.units:
            senior = self.plan.type_of[unit.pk] in SENIOR_TYPES
            start = _date_between(rng, CURRENT_FROM, CURRENT_TO)
            self.post(unit, PostRole.SECRETARY, start)
            # Former secretaries, each handing over the day before the next one started.
            former = 2 if unit.depth == 1 else (1 if senior or rng.random() < 0.06 else 0)
            handover = start
            for _ in range(former):
                began = handover - datetime.timedelta(days=rng.randint(*TENURE_DAYS))
                self.post(unit, PostRole.SECRETARY, began, handover - datetime.timedelta(days=1))
                handover = began
            if senior:
                self.post(
                    unit, PostRole.DEPUTY_SECRETARY, _date_between(rng, CURRENT_FROM, CURRENT_TO)
                )


_TYPES_USED = frozenset(
    {
        "province",
        "city",
        "county",
        "township",
        "subdistrict",
        "village",
        "community",
        "organs_committee",
        "department",
        "sasac",
        "soe",
        "education_committee",
        "university",
        "hospital",
        "nonpublic_committee",
        "nonpublic_org",
        "general_branch",
        "branch",
    }
)


def plan(*, scale: float = 1.0, first_ids: tuple[int, int, int] = (1, 1, 1)) -> Plan:
    """Lay out the demo in memory without touching the database (used by :func:`seed`)."""
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"scale must be in (0, {MAX_SCALE}], not {scale}")
    types = dict(UnitType.objects.values_list("code", "id"))
    missing = sorted(_TYPES_USED - set(types))
    if missing:
        raise ValueError(f"缺少组织类型 {', '.join(missing)}，请先运行 manage.py migrate。")
    return _Builder(scale=scale, types=types, first_ids=first_ids).build()


def _next_id(model) -> int:
    return (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


@transaction.atomic
def seed(*, scale: float = 1.0) -> SeedResult:
    """Write the demo province, its people and posts; the accounts app adds the demo users
    and their grants on ``demo_seeded``.

    Raises ``ValueError`` when the demo province is already there (its codes are unique).
    """
    if connection.vendor == "postgresql":
        # Ids are chosen here, so nobody else may insert until the sequences are moved on.
        with connection.cursor() as cursor:
            cursor.execute(
                "LOCK TABLE orgs_unit, orgs_person, orgs_post IN SHARE ROW EXCLUSIVE MODE"
            )
    if is_seeded():
        raise ValueError(f"演示数据已存在（组织代码 {PROVINCE_CODE}）。")
    layout = plan(scale=scale, first_ids=(_next_id(Unit), _next_id(Person), _next_id(Post)))
    Unit.objects.bulk_create(layout.units, batch_size=BATCH_SIZE)
    Person.objects.bulk_create(layout.people, batch_size=BATCH_SIZE)
    Post.objects.bulk_create(layout.posts, batch_size=BATCH_SIZE)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Unit, Person, Post]):
            cursor.execute(sql)

    province = layout.units[0]
    result = SeedResult(
        units=len(layout.units),
        people=len(layout.people),
        posts=len(layout.posts),
        province=province,
    )
    # The demo sign-ins are the accounts app's (shuzhi.accounts.demo), which sits above this
    # one: it adds them when told, and its counts land in ``result`` before the audit entry.
    demo_seeded.send(sender=SeedResult, layout=layout, result=result)
    audit.record(
        actor="演示数据载入程序",
        action="demo.seed",
        obj=province,
        scope_path=province.path,
        changes={name: [None, count] for name, count in result.as_dict().items()},
        note=f"载入演示数据（规模 {scale:g}）",
    )
    return result
