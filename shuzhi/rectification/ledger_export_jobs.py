"""Ledger exports too large for one request (a province, the whole country) built in the
background, like the report archive: a django-tasks task writes the same workbook as the page's
导出 Excel — from the same query string, so the same filters — into storage under
``ledger-exports/user-<id>/``, keeps a small progress file beside it while it writes, and puts a
link in the inbox of the person who asked when it is done. Only that person may fetch it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import QueryDict
from django.urls import reverse
from django_tasks import task

from shuzhi.core import audit, clock
from shuzhi.core.notify import notify

from . import ledger_export
from .ledger_forms import LedgerFilterForm
from .selectors import ledger_queryset

NAME_RE = re.compile(r"^\d{8}-\d{6}\.xlsx$")


def inline_max() -> int:
    """Selections of more problems than this are exported in the background."""
    return int(getattr(settings, "SHUZHI_LEDGER_EXPORT_INLINE_MAX", 20_000))


def export_dir(user_id: int) -> str:
    return f"ledger-exports/user-{user_id}"


@dataclass
class StoredExport:
    """One background export of a user: its file name, title and progress."""

    name: str
    title: str
    done: int
    total: int
    finished: bool

    @property
    def percent(self) -> int:
        return 100 if self.finished or not self.total else min(99, self.done * 100 // self.total)


def _write_progress(user_id: int, stem: str, **state) -> None:
    path = f"{export_dir(user_id)}/{stem}.json"
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(json.dumps(state, ensure_ascii=False).encode()))


def stored_exports(user_id: int) -> list[StoredExport]:
    """The user's background exports, newest first: finished ones and those being written."""
    directory = export_dir(user_id)
    try:
        _dirs, files = default_storage.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []
    exports = []
    for file in sorted((f for f in files if f.endswith(".json")), reverse=True):
        stem = file[: -len(".json")]
        try:
            with default_storage.open(f"{directory}/{file}", "rb") as handle:
                state = json.loads(handle.read().decode())
        except (OSError, ValueError):
            continue
        exports.append(
            StoredExport(
                name=f"{stem}.xlsx",
                title=str(state.get("title", "")),
                done=int(state.get("done", 0)),
                total=int(state.get("total", 0)),
                finished=bool(state.get("finished")),
            )
        )
    return exports


def start(*, actor, query: str) -> str:
    """Queue the export of the ledger page's selection (``query``: its GET parameters); answers
    the file name it will have. The progress file exists from now on, so the page shows it."""
    stem = f"{clock.now():%Y%m%d-%H%M%S}"
    filters = LedgerFilterForm(QueryDict(query), user=actor).filters()
    title = ledger_export.export_title(filters)
    _write_progress(actor.pk, stem, title=title, done=0, total=0, finished=False)
    build_ledger_export.enqueue(actor.pk, query, stem)
    return f"{stem}.xlsx"


@task()
def build_ledger_export(user_id: int, query: str, stem: str) -> str:
    """Write the workbook into storage, reporting progress every chunk; then tell the user."""
    user = get_user_model().objects.get(pk=user_id)
    filters = LedgerFilterForm(QueryDict(query), user=user).filters()
    title = ledger_export.export_title(filters)
    # Counted here, in the background: a whole country's count is not for a request.
    total = ledger_queryset(user, filters).order_by().count()
    _write_progress(user_id, stem, title=title, done=0, total=total, finished=False)

    def progress(done: int) -> None:
        _write_progress(user_id, stem, title=title, done=done, total=total, finished=False)

    out, count = ledger_export.export_ledger(actor=user, filters=filters, progress=progress)
    name = f"{stem}.xlsx"
    with out:
        default_storage.save(f"{export_dir(user_id)}/{name}", File(out, name=name))
    _write_progress(user_id, stem, title=title, done=count, total=count, finished=True)
    notify(
        user=user,
        kind="problem.export",
        title=f"{title}已导出",
        body=f"共 {count} 条问题，可在整改台账页面或此处下载。",
        url=reverse("problem_export_file", args=[name]),
    )
    return name


def open_stored(user, name: str):
    """The user's own finished export ``name`` (a file handle), or ``None``."""
    if not NAME_RE.match(name):
        return None
    path = f"{export_dir(user.pk)}/{name}"
    if not default_storage.exists(path):
        return None
    audit.record(
        actor=user,
        action="problem.export.download",
        object_label=name,
        changes={"file": name},
    )
    return default_storage.open(path, "rb")
