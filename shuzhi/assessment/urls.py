"""Pages of the assessment app, mounted at /assessment/."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
