"""Pages of reports, critiques and rectification plans, mounted at /reports/."""

from . import critique_urls, report_urls

urlpatterns = report_urls.urlpatterns + critique_urls.urlpatterns
