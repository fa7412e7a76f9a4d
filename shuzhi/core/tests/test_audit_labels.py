"""Every audit action written by the code has a Chinese label, and the audit pages show it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from shuzhi.core import audit_labels
from shuzhi.orgs.tree import services as org_services

SOURCE = Path(audit_labels.__file__).resolve().parents[1]
CODE = r'"([a-z_]+(?:\.[a-z_]+)+)"'
# action="x.y", action = "x.y", and the two arms of action = "x.y" if … else "x.z".
LITERAL = re.compile(r"\baction\s*=\s*" + CODE + r'(?:\s+if\s+[^\n]+?\s+else\s+"([^"]+)")?')
# action=CONSTANT, resolved through CONSTANT = "x.y" in the same module.
NAMED = re.compile(r"\baction\s*=\s*([A-Z][A-Z0-9_]*)\b")


def _actions_in_source() -> set[str]:
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for match in LITERAL.finditer(text):
            found.update(code for code in match.groups() if code)
        for name in NAMED.findall(text):
            constant = re.search(rf"^{name}\s*=\s*{CODE}", text, re.MULTILINE)
            assert constant, f"{path}: action={name} is not a string constant of the module"
            found.add(constant.group(1))
    return found


@pytest.mark.smoke
def test_every_action_in_the_code_has_a_label():
    actions = _actions_in_source()
    # The scan must really find the audit calls, or the test below would pass on nothing.
    assert {"unit.move", "user.password_reset", "user.deactivate", "ballot.paper_entered"} <= (
        actions
    )
    missing = sorted(a for a in actions if a not in audit_labels.ACTION_LABELS)
    assert not missing, f"audit actions without a Chinese label: {missing}"


def test_unknown_codes_fall_back_to_themselves():
    assert audit_labels.action_label("unit.move") == "移动组织"
    assert audit_labels.action_label("thing.frobnicate") == "thing.frobnicate"
    assert audit_labels.field_label("parent") == "上级组织"
    assert audit_labels.field_label("frobnicity") == "frobnicity"


@pytest.mark.smoke
@pytest.mark.django_db
def test_pages_show_labels_beside_the_codes(world, client):
    org_services.move_unit(actor=world.root, unit=world.county_a2, new_parent=world.city_b)
    client.force_login(world.root)

    history = client.get(
        reverse("unit_detail", args=[world.county_a2.pk]), {"tab": "history"}
    ).content.decode()
    search = client.get(reverse("audit_search")).content.decode()
    for body in (history, search):
        assert "移动组织" in body
        assert '<span class="small text-muted"><code>unit.move</code></span>' in body
        assert "上级组织: 广州市委 → " in body


@pytest.mark.django_db
def test_a_change_named_like_a_dict_method_still_renders(world, client):
    """A change recorded under a key such as "items" must not turn into dict.items() (or the
    other way round) in the audit table."""
    from shuzhi.core import audit

    audit.record(
        actor=world.alice,
        action="plan.create",
        object_type="reports.rectificationplan",
        object_id="1",
        object_label="整改方案",
        scope_path=world.province.path,
        changes={"items": [None, 3], "values": "单值"},
    )
    client.force_login(world.alice)
    response = client.get(reverse("audit_search"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "items: — → 3" in body or "整改事项: — → 3" in body
    assert "— → 单值" in body
