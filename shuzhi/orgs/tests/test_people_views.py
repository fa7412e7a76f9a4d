"""People pages: scoping (404 outside scope), pinned query counts, forms, the secretary lookup
and the posts import page with its error report."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shuzhi.core.models import AuditEntry
from shuzhi.orgs.people import services as ps
from shuzhi.orgs.people.models import Person, Post, PostRole

pytestmark = pytest.mark.django_db

D = datetime.date
HEADER = "unit_code,person_name,staff_number,role,start_date,end_date"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def zhang(world):
    """张三, registered in the village under county A1, secretary of the village since 2021."""
    person = ps.create_person(
        actor=world.alice, unit=world.village_a1x1, name="张三", staff_number="GZ0001"
    )
    ps.create_post(
        actor=world.alice,
        person=person,
        unit=world.village_a1x1,
        role=PostRole.SECRETARY,
        start_date=D(2021, 1, 1),
    )
    return person


def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.smoke
def test_list_is_scoped_and_its_query_count_pinned(client, world, zhang, django_assert_num_queries):
    for n in range(40):
        ps.create_person(actor=world.alice, unit=world.county_b1, name=f"深圳{n:02d}")
    _login(client, world.alice)
    # session, user, grants, count, page of people (with units)
    with django_assert_num_queries(5):
        response = client.get(reverse("person_list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 41
    with django_assert_num_queries(5):
        response = client.get(reverse("person_list"), {"page": 2})
    assert len(response.context["page"].object_list) == 11

    _login(client, world.carol)
    response = client.get(reverse("person_list"))
    assert response.context["page"].paginator.count == 40
    assert "张三" not in response.content.decode()


def test_list_search_by_name_and_staff_number(client, world, zhang):
    ps.create_person(actor=world.alice, unit=world.village_a1x1, name="李四")
    _login(client, world.alice)
    response = client.get(reverse("person_list"), {"q": "gz0001"})
    assert [p.name for p in response.context["page"]] == ["张三"]
    response = client.get(reverse("person_list"), {"q": "李"})
    assert [p.name for p in response.context["page"]] == ["李四"]


def test_list_requires_login(client):
    response = client.get(reverse("person_list"))
    assert response.status_code == 302


@pytest.mark.smoke
@pytest.mark.parametrize("persona", ["bob", "carol", "erin"])
def test_person_outside_scope_answers_404(client, world, zhang, persona):
    # 张三 sits in the village, two levels below bob's one-level secretary grant.
    _login(client, getattr(world, persona))
    assert client.get(reverse("person_detail", args=[zhang.pk])).status_code == 404
    assert client.get(reverse("person_edit", args=[zhang.pk])).status_code == 404
    assert client.get(reverse("post_add", args=[zhang.pk])).status_code == 404
    post = zhang.posts.get()
    response = client.post(reverse("post_end", args=[post.pk]), {"end_date": "2024-01-01"})
    assert response.status_code == 404
    assert client.get(reverse("post_delete", args=[post.pk])).status_code == 404
    post.refresh_from_db()
    assert post.end_date is None


def test_person_page_shows_posts_history_and_edit_form(
    client, world, zhang, django_assert_max_num_queries
):
    _login(client, world.alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("person_detail", args=[zhang.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "沙面社区党委" in body
    assert "2021-01-01" in body
    assert "post.create" in body  # the history from the audit trail
    assert response.context["edit_form"] is not None
    assert response.context["may_change"]


def test_person_page_for_a_reader_has_no_forms_and_no_history(client, world):
    li = ps.create_person(actor=world.alice, unit=world.county_a1, name="李四")
    _login(client, world.dave)  # inspector of county A1: may read, not change, no audit.view
    response = client.get(reverse("person_detail", args=[li.pk]))
    assert response.status_code == 200
    assert response.context["edit_form"] is None
    assert response.context["post_form"] is None
    assert response.context["history"] is None
    assert client.get(reverse("person_edit", args=[li.pk])).status_code == 403


def test_create_person_and_refuse_an_id_number(client, world):
    _login(client, world.alice)
    url = reverse("person_create")
    data = {"name": "王五", "staff_number": "440103199001011234", "unit_code": "440103"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "请勿填写身份证号码" in response.content.decode()
    assert not Person.objects.exists()
    response = client.post(url, {**data, "staff_number": "GZ0005"})
    person = Person.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("person_detail", args=[person.pk])
    assert person.unit == world.county_a1


def test_create_person_in_a_unit_outside_scope_is_a_form_error(client, world):
    from shuzhi.accounts.models import Role
    from shuzhi.core.testing import make_user

    frank = make_user("frank", (Role.ORGANISER, world.city_a))
    _login(client, frank)
    response = client.post(reverse("person_create"), {"name": "王五", "unit_code": "440303"})
    assert "不存在或不在您的管理范围内" in response.content.decode()
    assert not Person.objects.exists()
    _login(client, world.bob)
    assert client.get(reverse("person_create")).status_code == 403


def test_edit_person(client, world, zhang):
    _login(client, world.alice)
    response = client.post(
        reverse("person_edit", args=[zhang.pk]),
        {"name": "张三丰", "staff_number": "GZ0001", "unit_code": "440103001001", "phone": "123"},
    )
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert (zhang.name, zhang.phone) == ("张三丰", "123")
    assert AuditEntry.objects.filter(action="person.update").count() == 1


def test_add_post_refuses_an_overlapping_secretary(client, world, zhang):
    li = ps.create_person(actor=world.alice, unit=world.village_a1x1, name="李四")
    _login(client, world.alice)
    url = reverse("post_add", args=[li.pk])
    data = {"unit_code": "440103001001", "role": "secretary", "start_date": "2024-01-01"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "张三" in response.content.decode()
    assert not li.posts.exists()
    response = client.post(url, {**data, "role": "deputy_secretary"})
    assert response.status_code == 302
    assert li.posts.get().role == "deputy_secretary"


def test_end_and_delete_a_post(client, world, zhang):
    post = zhang.posts.get()
    _login(client, world.alice)
    response = client.post(reverse("post_end", args=[post.pk]), {"end_date": "2020-01-01"})
    # Before the start: refused on the person's page again, the date typed still there.
    assert response.status_code == 200
    assert 'value="2020-01-01"' in response.content.decode()
    post.refresh_from_db()
    assert post.end_date is None
    client.post(reverse("post_end", args=[post.pk]), {"end_date": "2024-06-30"})
    post.refresh_from_db()
    assert post.end_date == D(2024, 6, 30)
    assert client.get(reverse("post_delete", args=[post.pk])).status_code == 200
    client.post(reverse("post_delete", args=[post.pk]), {"reason": "录入错误"})
    assert not Post.objects.filter(pk=post.pk).exists()
    assert AuditEntry.objects.get(action="post.delete").note == "录入错误"


def test_reader_cannot_end_a_post(client, world):
    li = ps.create_person(actor=world.alice, unit=world.county_a1, name="李四")
    post = ps.create_post(
        actor=world.alice,
        person=li,
        unit=world.county_a1,
        role=PostRole.SECRETARY,
        start_date=D(2021, 1, 1),
    )
    _login(client, world.bob)
    response = client.post(reverse("post_end", args=[post.pk]), {"end_date": "2024-01-01"})
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.end_date is None
    assert client.get(reverse("post_delete", args=[post.pk])).status_code == 403


@pytest.mark.smoke
def test_secretary_lookup(client, world, zhang, django_assert_max_num_queries):
    _login(client, world.alice)
    url = reverse("secretary_lookup")
    with django_assert_max_num_queries(5):
        response = client.get(url, {"unit": "440103001001", "date": "2022-05-01"})
    assert response.context["answer"].person == zhang
    assert "张三" in response.content.decode()
    response = client.get(url, {"unit": "440103001001", "date": "2020-05-01"})
    assert response.context["answer"] is None
    assert "没有登记在任的书记" in response.content.decode()
    assert client.get(url).context["asked"] is False


def test_secretary_lookup_outside_scope_gives_no_answer(client, world, zhang):
    _login(client, world.carol)
    response = client.get(
        reverse("secretary_lookup"), {"unit": "440103001001", "date": "2022-05-01"}
    )
    assert response.context["answer"] is None
    assert "不存在或不在您的管理范围内" in response.content.decode()
    assert "张三" not in response.content.decode()


def _upload(*lines, name="posts.csv"):
    return SimpleUploadedFile(name, "\n".join([HEADER, *lines]).encode("utf-8"))


@pytest.mark.smoke
def test_import_page_shows_errors_and_a_report_only_its_creator_can_download(client, world):
    _login(client, world.alice)
    response = client.post(
        reverse("posts_import"),
        {"file": _upload("440103,张三,,书记,2021-01-01,", "440103,李四,,主任,2021-01-01,")},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "主任" in body
    assert not Post.objects.exists()
    report_url = response.context["report_url"]
    report = client.get(report_url)
    assert report.status_code == 200
    assert "主任" in report.content.decode("utf-8-sig")
    from shuzhi.accounts.models import Role
    from shuzhi.core.testing import make_user

    _login(client, make_user("frank", (Role.ORGANISER, world.province)))
    assert client.get(report_url).status_code == 404


def test_import_page_good_rows_only_and_success_counts(client, world):
    _login(client, world.alice)
    response = client.post(
        reverse("posts_import"),
        {
            "file": _upload("440103,张三,,书记,2021-01-01,", "440103,李四,,主任,2021-01-01,"),
            "good_rows_only": "on",
        },
    )
    assert response.context["result"].written
    assert "新增职务 1 条" in response.content.decode()
    assert Post.objects.count() == 1


def test_import_page_refuses_readers_and_unreadable_files(client, world):
    _login(client, world.bob)
    assert client.get(reverse("posts_import")).status_code == 403
    _login(client, world.alice)
    response = client.post(reverse("posts_import"), {"file": SimpleUploadedFile("posts.doc", b"x")})
    assert "不支持的文件类型" in response.content.decode()


def test_template_download(client, world):
    _login(client, world.alice)
    response = client.get(reverse("posts_import_template"))
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith(HEADER)
    assert "书记" in text
