"""The demo (``make demo``) shows the product's own error pages, in Chinese, and still serves
its static files: it runs with ``shuzhi.settings.demo`` (debug pages off)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.template.loader import render_to_string

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_makefile_runs_the_demo_with_demo_settings():
    makefile = (ROOT / "Makefile").read_text()
    assert "demo: export DJANGO_SETTINGS_MODULE ?= shuzhi.settings.demo" in makefile


def test_the_demo_server_answers_a_missing_page_with_the_products_404(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shuzhi.settings.demo",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(base + "/no-such-page/")
                break
            except (ConnectionError, urllib.error.URLError):
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the demo server did not start")
                time.sleep(0.5)
        assert status == 404
        assert "未找到" in body and "页面不存在" in body and "返回首页" in body
        assert "Page not found" not in body and "DEBUG = True" not in body
        # The product's look: its stylesheet, served without collectstatic.
        assert "shuzhi/shuzhi.css" in body
        css_status, css = _get(base + "/static/shuzhi/shuzhi.css")
        assert css_status == 200 and css
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_500_page_is_the_products_own_in_chinese():
    body = render_to_string("500.html")
    assert "系统出错" in body and "返回首页" in body and "shuzhi/shuzhi.css" in body
    assert "Server Error" not in body
