"""People and posts API: scoped lists, 404 outside scope, writes through the services (422 with
field messages), the secretary question and the synchronous posts import."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzhi.accounts.tokens import issue_token
from shuzhi.orgs.people import services as ps
from shuzhi.orgs.people.models import Person, Post, PostRole

pytestmark = pytest.mark.django_db

D = datetime.date
API = "/api/people"


@pytest.fixture
def zhang(world):
    person = ps.create_person(
        actor=world.alice, unit=world.county_a1, name="张三", staff_number="GZ0001"
    )
    ps.create_post(
        actor=world.alice,
        person=person,
        unit=world.county_a1,
        role=PostRole.SECRETARY,
        start_date=D(2021, 1, 1),
    )
    return person


def _as(client, user):
    client.force_login(user)
    return client


@pytest.mark.smoke
def test_list_and_search_are_scoped(client, world, zhang):
    ps.create_person(actor=world.alice, unit=world.county_b1, name="李四")
    response = _as(client, world.alice).get(f"{API}/")
    assert response.status_code == 200
    assert {p["name"] for p in response.json()["items"]} == {"张三", "李四"}
    assert [p["name"] for p in client.get(f"{API}/", {"q": "GZ"}).json()["items"]] == ["张三"]
    response = _as(client, world.carol).get(f"{API}/")
    assert [p["name"] for p in response.json()["items"]] == ["李四"]


def test_list_with_a_bearer_token(client, world, zhang):
    _, raw = issue_token(actor=world.bob, name="脚本")
    response = client.get(f"{API}/", headers={"Authorization": f"Bearer {raw}"})
    assert [p["name"] for p in response.json()["items"]] == ["张三"]
    assert client.get(f"{API}/").status_code == 401


def test_detail_has_posts_and_answers_404_outside_scope(client, world, zhang):
    data = _as(client, world.alice).get(f"{API}/{zhang.pk}").json()
    assert data["unit"]["code"] == "440103"
    assert [(p["role"], p["role_label"], p["end_date"]) for p in data["posts"]] == [
        ("secretary", "书记", None)
    ]
    for persona in ("carol", "erin"):
        assert _as(client, getattr(world, persona)).get(f"{API}/{zhang.pk}").status_code == 404


def test_create_person_and_field_errors(client, world):
    _as(client, world.alice)
    payload = {"name": "王五", "unit_code": "440104", "staff_number": "440103199001011234"}
    response = client.post(f"{API}/", payload, content_type="application/json")
    assert response.status_code == 422
    assert "请勿填写身份证号码" in response.json()["errors"]["staff_number"][0]
    payload["staff_number"] = "GZ0005"
    response = client.post(f"{API}/", payload, content_type="application/json")
    assert response.status_code == 201
    assert Person.objects.get(pk=response.json()["id"]).unit == world.county_a2


def test_create_person_refused_for_readers_and_unknown_units(client, world):
    payload = {"name": "王五", "unit_code": "440104"}
    response = _as(client, world.bob).post(f"{API}/", payload, content_type="application/json")
    assert response.status_code == 403
    response = _as(client, world.carol).post(f"{API}/", payload, content_type="application/json")
    assert response.status_code == 404
    assert not Person.objects.exists()


def test_update_person(client, world, zhang):
    response = _as(client, world.alice).patch(
        f"{API}/{zhang.pk}", {"phone": "020-1"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["phone"] == "020-1"
    zhang.refresh_from_db()
    assert zhang.name == "张三"
    assert zhang.staff_number == "GZ0001"
    response = _as(client, world.dave).patch(
        f"{API}/{zhang.pk}", {"phone": "9"}, content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.smoke
def test_create_and_end_post(client, world, zhang):
    li = ps.create_person(actor=world.alice, unit=world.county_a1, name="李四")
    _as(client, world.alice)
    payload = {"unit_code": "440103", "role": "secretary", "start_date": "2024-01-01"}
    response = client.post(f"{API}/{li.pk}/posts", payload, content_type="application/json")
    assert response.status_code == 422
    assert "张三" in response.json()["errors"]["start_date"][0]
    old = zhang.posts.get()
    response = client.post(
        f"{API}/posts/{old.pk}/end", {"end_date": "2023-12-31"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["end_date"] == "2023-12-31"
    response = client.post(f"{API}/{li.pk}/posts", payload, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["unit"]["code"] == "440103"


def test_end_post_outside_scope_is_404(client, world, zhang):
    post = zhang.posts.get()
    response = _as(client, world.carol).post(
        f"{API}/posts/{post.pk}/end", {"end_date": "2023-12-31"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_secretary_question(client, world, zhang, django_assert_max_num_queries):
    _as(client, world.alice)
    with django_assert_max_num_queries(5):
        data = client.get(f"{API}/secretary", {"unit": "440103", "date": "2022-01-01"}).json()
    assert data["person_name"] == "张三"
    assert data["post"]["start_date"] == "2021-01-01"
    data = client.get(f"{API}/secretary", {"unit": "440103", "date": "2020-01-01"}).json()
    assert data["post"] is None
    assert data["person_id"] is None
    response = _as(client, world.carol).get(
        f"{API}/secretary", {"unit": "440103", "date": "2022-01-01"}
    )
    assert response.status_code == 404


def _csv(*lines):
    header = "unit_code,person_name,staff_number,role,start_date,end_date"
    return SimpleUploadedFile("posts.csv", "\n".join([header, *lines]).encode("gbk"))


@pytest.mark.smoke
def test_import_returns_row_errors_with_422_and_counts_on_success(client, world):
    _as(client, world.alice)
    response = client.post(
        f"{API}/posts/import",
        {"file": _csv("440103,张三,,书记,2021-01-01,", "440103,李四,,主任,2021-01-01,")},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"row": 3, "column": "role", "message": response.json()["errors"][0]["message"]}
    ]
    assert not Post.objects.exists()
    response = client.post(
        f"{API}/posts/import",
        {
            "file": _csv("440103,张三,,书记,2021-01-01,", "440103,李四,,主任,2021-01-01,"),
            "good_rows_only": "true",
        },
    )
    assert response.status_code == 200
    assert response.json()["counts"]["posts_created"] == 1
    assert len(response.json()["errors"]) == 1


def test_import_refused_for_readers(client, world):
    response = _as(client, world.bob).post(
        f"{API}/posts/import", {"file": _csv("440103,张三,,书记,2021-01-01,")}
    )
    assert response.status_code == 403
    assert not Post.objects.exists()
