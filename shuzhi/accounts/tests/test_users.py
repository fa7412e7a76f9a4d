"""Accounts: creation, updates, passwords, deactivation, and the pages that call them."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from shuzhi.accounts import policies, services, tokens
from shuzhi.accounts.models import ApiToken, Grant, Role
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_user
from shuzhi.orgs.people.models import Person

from .conftest import STRONG_PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()


def _audit_text() -> str:
    return json.dumps(list(AuditEntry.objects.values("changes", "note")), ensure_ascii=False)


# --- service: create ---------------------------------------------------------------------


@pytest.mark.smoke
def test_organiser_creates_user_with_grant_and_audit_without_password(world):
    user = services.create_user(
        actor=world.alice,
        username="xiaoming",
        full_name="小明",
        password=STRONG_PASSWORD,
        grants=[(Role.VIEWER, world.county_a2)],
    )
    assert user.check_password(STRONG_PASSWORD)
    grant = Grant.objects.get(user=user)
    assert (grant.role, grant.unit, grant.granted_by) == (Role.VIEWER, world.county_a2, world.alice)
    created = AuditEntry.objects.get(action="user.create", object_id=str(user.pk))
    assert created.changes["password"] == [None, "***"]
    assert created.scope_path == world.county_a2.path
    assert AuditEntry.objects.filter(action="grant.add", object_id=str(user.pk)).count() == 1
    text = _audit_text()
    assert STRONG_PASSWORD not in text
    assert user.password not in text


def test_non_superuser_must_give_a_grant_at_creation(world):
    with pytest.raises(ValidationError) as exc:
        services.create_user(
            actor=world.alice, username="float", full_name="漂浮", password=STRONG_PASSWORD
        )
    assert "grants" in exc.value.message_dict
    assert not User.objects.filter(username="float").exists()
    # A superuser may create an account without grants (e.g. a future administrator).
    services.create_user(
        actor=world.root, username="float", full_name="漂浮", password=STRONG_PASSWORD
    )


def test_weak_password_is_refused_in_chinese(world):
    with pytest.raises(ValidationError) as exc:
        services.create_user(
            actor=world.alice,
            username="weak",
            full_name="弱密码",
            password="12345678",
            grants=[(Role.VIEWER, world.city_a)],
        )
    messages = exc.value.message_dict["password"]
    assert any("密码" in m for m in messages), messages
    assert not User.objects.filter(username="weak").exists()
    assert not AuditEntry.objects.filter(action="user.create").exists()


def test_username_rules(world):
    for bad, expected in [("", "不能为空"), ("有 空格", "只能包含"), ("ALICE", "已被使用")]:
        with pytest.raises(ValidationError) as exc:
            services.create_user(
                actor=world.alice,
                username=bad,
                full_name="某人",
                password=STRONG_PASSWORD,
                grants=[(Role.VIEWER, world.city_a)],
            )
        assert expected in exc.value.message_dict["username"][0]


def test_creator_cannot_grant_outside_scope_at_creation(world, olga):
    with pytest.raises(PermissionDenied):
        services.create_user(
            actor=olga,
            username="spy",
            full_name="越权",
            password=STRONG_PASSWORD,
            grants=[(Role.VIEWER, world.city_b)],
        )
    with pytest.raises(PermissionDenied):
        services.create_user(
            actor=world.bob,
            username="spy",
            full_name="越权",
            password=STRONG_PASSWORD,
            grants=[(Role.VIEWER, world.county_a1)],
        )
    assert not User.objects.filter(username="spy").exists()


def test_person_link_must_be_in_scope_and_unlinked(world, olga):
    in_a = Person.objects.create(name="陈书记", unit=world.county_a1, staff_number="A001")
    in_b = Person.objects.create(name="林书记", unit=world.county_b1, staff_number="B001")
    with pytest.raises(ValidationError) as exc:
        services.create_user(
            actor=olga,
            username="lin",
            full_name="林书记",
            password=STRONG_PASSWORD,
            person=in_b,
            grants=[(Role.VIEWER, world.county_a1)],
        )
    assert "person" in exc.value.message_dict
    chen = services.create_user(
        actor=olga,
        username="chen",
        full_name="陈书记",
        password=STRONG_PASSWORD,
        person=in_a,
        grants=[(Role.SECRETARY, world.county_a1)],
    )
    assert chen.person == in_a
    with pytest.raises(ValidationError) as exc:
        services.update_user(actor=world.alice, user=world.dave, person=in_a)
    assert "已关联" in exc.value.message_dict["person"][0]


# --- service: update, deactivate, passwords -----------------------------------------------


def test_update_and_deactivate(world, client):
    services.update_user(actor=world.alice, user=world.dave, full_name="赵督查组长", email="")
    entry = AuditEntry.objects.get(action="user.update")
    assert entry.changes == {"full_name": ["赵督查", "赵督查组长"]}
    assert entry.scope_path == world.county_a1.path

    services.deactivate_user(actor=world.alice, user=world.dave)
    world.dave.refresh_from_db()
    assert not world.dave.is_active
    assert AuditEntry.objects.filter(action="user.deactivate").exists()
    assert not client.login(username="dave", password="pw-dave")

    with pytest.raises(ValidationError):
        services.update_user(actor=world.alice, user=world.dave, email="not-an-email")
    with pytest.raises(ValidationError) as exc:
        services.deactivate_user(actor=world.alice, user=world.alice)
    assert "自己" in exc.value.message_dict["is_active"][0]


def test_update_needs_management_right(world, olga):
    with pytest.raises(PermissionDenied):
        services.update_user(actor=world.bob, user=world.dave, full_name="x")
    with pytest.raises(PermissionDenied):
        services.update_user(actor=olga, user=world.carol, full_name="x")
    with pytest.raises(PermissionDenied):
        services.update_user(actor=olga, user=world.alice, full_name="x")


@pytest.mark.smoke
def test_organiser_resets_password_and_revokes_the_tokens(world):
    tokens.issue_token(actor=world.dave, name="a")
    tokens.issue_token(actor=world.dave, name="b")
    kept, _ = tokens.issue_token(actor=world.bob, name="c")
    services.set_password(actor=world.alice, user=world.dave, new_password=STRONG_PASSWORD)
    world.dave.refresh_from_db()
    assert world.dave.check_password(STRONG_PASSWORD)
    assert not ApiToken.objects.filter(user=world.dave, revoked_at__isnull=True).exists()
    assert ApiToken.objects.get(pk=kept.pk).revoked_at is None
    entry = AuditEntry.objects.get(action="user.password_reset")
    assert entry.changes == {"password": ["***", "***"]}
    assert entry.note == "已撤销 2 个 API 令牌"
    assert world.dave.password not in _audit_text()
    with pytest.raises(PermissionDenied):
        services.set_password(actor=world.bob, user=world.dave, new_password=STRONG_PASSWORD)


def test_changing_ones_own_password_revokes_ones_tokens(world):
    tokens.issue_token(actor=world.dave, name="a")
    services.set_password(
        actor=world.dave, user=world.dave, old_password="pw-dave", new_password=STRONG_PASSWORD
    )
    assert not ApiToken.objects.filter(user=world.dave, revoked_at__isnull=True).exists()


def test_own_password_needs_the_old_one(world):
    with pytest.raises(ValidationError) as exc:
        services.set_password(
            actor=world.dave, user=world.dave, old_password="wrong", new_password=STRONG_PASSWORD
        )
    assert exc.value.message_dict["old_password"] == ["原密码不正确。"]
    with pytest.raises(ValidationError):
        services.set_password(actor=world.alice, user=world.alice, new_password=STRONG_PASSWORD)
    with pytest.raises(ValidationError) as exc:
        services.set_password(
            actor=world.dave, user=world.dave, old_password="pw-dave", new_password="dave"
        )
    assert "new_password" in exc.value.message_dict
    services.set_password(
        actor=world.dave, user=world.dave, old_password="pw-dave", new_password=STRONG_PASSWORD
    )
    assert AuditEntry.objects.get(action="user.password_change").changes == {
        "password": ["***", "***"]
    }


# --- policies: who sees whom ---------------------------------------------------------------


def test_users_visible_to(world, olga, adam):
    names = lambda actor: set(policies.users_visible_to(actor).values_list("username", flat=True))  # noqa: E731
    assert names(world.alice) == {"alice", "bob", "carol", "dave", "olga", "adam"}
    assert names(olga) == {"bob", "dave", "olga", "adam"}
    assert names(world.bob) == set()
    assert names(world.erin) == set()
    assert {"erin", "root"} <= names(world.root)
    # A grant outside olga's scope takes the whole account out of it.
    Grant.objects.create(user=world.dave, unit=world.city_b, role=Role.VIEWER)
    assert "dave" not in names(olga)


def test_organiser_cannot_manage_a_stronger_account(world, adam):
    assert not policies.can_manage_user(world.alice, adam)
    assert policies.can_manage_user(world.root, adam)
    with pytest.raises(PermissionDenied):
        services.set_password(actor=world.alice, user=adam, new_password=STRONG_PASSWORD)


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.smoke
def test_user_list_is_scoped_and_searchable(world, client, olga):
    client.force_login(olga)
    response = client.get(reverse("user_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "李书记" in body and "赵督查" in body
    assert "张查看" not in body and "钱无权" not in body
    response = client.get(reverse("user_list"), {"q": "赵"})
    assert "赵督查" in response.content.decode()
    assert "李书记" not in response.content.decode()


def test_user_list_refused_without_right(world, client):
    for persona in (world.bob, world.carol, world.dave, world.erin):
        client.force_login(persona)
        assert client.get(reverse("user_list")).status_code == 403


def test_user_list_paginates_with_fixed_queries(world, client, django_assert_num_queries):
    for i in range(60):
        make_user(f"u{i:02d}", (Role.VIEWER, world.county_a2 if i % 2 else world.county_b1))
    client.force_login(world.alice)
    # session, user, grants of the reader, count, page of users, their grants
    with django_assert_num_queries(6):
        response = client.get(reverse("user_list"), {"page": 2})
    assert response.status_code == 200
    assert "第 2 / 2 页" in response.content.decode()


def test_user_detail_scoping(world, client, olga, adam):
    client.force_login(olga)
    assert client.get(reverse("user_detail", args=[world.dave.pk])).status_code == 200
    assert client.get(reverse("user_detail", args=[world.carol.pk])).status_code == 404
    assert client.get(reverse("user_detail", args=[world.erin.pk])).status_code == 404
    assert client.get(reverse("user_detail", args=[world.root.pk])).status_code == 404
    # adam is in scope (visible) but stronger: the page shows no management forms…
    response = client.get(reverse("user_detail", args=[adam.pk]))
    assert response.status_code == 200
    assert "重置密码" not in response.content.decode()
    # …and a management POST is 403.
    url = reverse("user_password_reset", args=[adam.pk])
    data = {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD}
    assert client.post(url, data).status_code == 403


def test_create_user_page(world, client):
    client.force_login(world.alice)
    response = client.get(reverse("user_create"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="organiser"' in body and 'value="admin"' not in body
    data = {
        "username": "xiaohong",
        "full_name": "小红",
        "new_password1": STRONG_PASSWORD,
        "new_password2": STRONG_PASSWORD,
        "unit_code": "999999",
        "role": Role.SECRETARY,
    }
    response = client.post(reverse("user_create"), data)
    assert response.status_code == 400
    assert "未找到该组织代码" in response.content.decode()
    response = client.post(reverse("user_create"), {**data, "unit_code": "440103"})
    user = User.objects.get(username="xiaohong")
    assert response.status_code == 302
    assert response["Location"] == reverse("user_detail", args=[user.pk])
    assert user.grants.get().unit == world.county_a1

    response = client.post(reverse("user_create"), {**data, "username": "x2", "role": "admin"})
    assert response.status_code == 400
    assert not User.objects.filter(username="x2").exists()

    client.force_login(world.bob)
    assert client.get(reverse("user_create")).status_code == 403


def test_reset_password_page_ends_the_other_session(world, client):
    from django.test import Client

    dave_client = Client()
    dave_client.force_login(world.dave)
    assert dave_client.get(reverse("home")).status_code == 200
    client.force_login(world.alice)
    url = reverse("user_password_reset", args=[world.dave.pk])
    response = client.post(url, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 400
    response = client.post(
        url, {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD}
    )
    assert response.status_code == 302
    assert dave_client.get(reverse("home")).status_code == 302  # signed out


def test_edit_deactivate_activate_pages(world, client):
    client.force_login(world.alice)
    url = reverse("user_edit", args=[world.bob.pk])
    assert client.post(url, {"full_name": "李书记二", "email": "li@example.cn"}).status_code == 302
    world.bob.refresh_from_db()
    assert (world.bob.full_name, world.bob.email) == ("李书记二", "li@example.cn")
    assert client.get(reverse("user_deactivate", args=[world.bob.pk])).status_code == 405
    client.post(reverse("user_deactivate", args=[world.bob.pk]))
    world.bob.refresh_from_db()
    assert not world.bob.is_active
    client.post(reverse("user_activate", args=[world.bob.pk]))
    world.bob.refresh_from_db()
    assert world.bob.is_active


def test_change_own_password_page_keeps_session(world, client):
    client.force_login(world.dave)
    url = reverse("password_change")
    assert client.get(url).status_code == 200
    bad = {
        "old_password": "nope",
        "new_password1": STRONG_PASSWORD,
        "new_password2": STRONG_PASSWORD,
    }
    response = client.post(url, bad)
    assert response.status_code == 400
    assert "原密码不正确" in response.content.decode()
    response = client.post(url, {**bad, "old_password": "pw-dave"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    world.dave.refresh_from_db()
    assert world.dave.check_password(STRONG_PASSWORD)
