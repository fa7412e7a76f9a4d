from django.urls import path  # noqa: F401

# Voter pages: no login, reached by scanning a code.
urlpatterns: list = []
