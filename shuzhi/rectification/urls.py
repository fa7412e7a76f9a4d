"""Pages of the rectification ledger, mounted at /problems/. Each part brings its own list."""

from . import import_urls, ledger_urls, problem_urls

urlpatterns = ledger_urls.urlpatterns + problem_urls.urlpatterns + import_urls.urlpatterns
