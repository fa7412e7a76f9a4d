"""Top-level URL map: each app brings its own pages; the API lives under /api/."""

from django.contrib import admin
from django.urls import include, path

from shuzhi.api import api

urlpatterns = [
    # First: the voters' pages are the busiest URLs of a meeting (every phone in the hall).
    path("v/", include("shuzhi.ballots.vote_urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/", include("shuzhi.accounts.urls")),
    path("units/", include("shuzhi.orgs.tree.urls")),
    path("people/", include("shuzhi.orgs.people.urls")),
    path("rounds/", include("shuzhi.cycles.urls")),
    path("meetings/", include("shuzhi.meetings.urls")),
    path("field/", include("shuzhi.field.urls")),
    path("ballots/", include("shuzhi.ballots.urls")),
    path("problems/", include("shuzhi.rectification.urls")),
    path("reports/", include("shuzhi.reports.urls")),
    path("assessment/results/", include("shuzhi.assessment.results.urls")),
    path("assessment/grading/", include("shuzhi.assessment.grading.urls")),
    path("assessment/", include("shuzhi.assessment.indicators.urls")),
    path("plan/", include("shuzhi.yearplan.urls")),
    path("inbox/", include("shuzhi.dashboards.inbox_urls")),
    path("imports/", include("shuzhi.core.bulk.urls")),
    path("", include("shuzhi.core.urls")),
    path("", include("shuzhi.dashboards.urls")),
]

# Uploaded files (imports, error reports) are never served directly: views check who asks.
