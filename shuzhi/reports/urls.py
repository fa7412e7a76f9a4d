"""Pages of reports, critiques and rectification plans, mounted at /reports/."""

from shuzhi.reports.critiques import urls as critique_urls
from shuzhi.reports.plans import urls as plan_urls
from shuzhi.reports.reports import urls as report_urls

urlpatterns = report_urls.urlpatterns + critique_urls.urlpatterns + plan_urls.urlpatterns
