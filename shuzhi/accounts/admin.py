"""Accounts in the Django admin: read-only (see ``shuzhi.core.admin``).

Users, their superuser flag and their grants change only through ``accounts.services`` (the
account pages and API), which check scope and write the audit entry.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group

from shuzhi.core.admin import ReadOnlyAdmin

from .models import Grant, User

# Roles are grants on units; Django's groups are not used, so they are not offered to edit.
admin.site.unregister(Group)


@admin.register(User)
class ShuzhiUserAdmin(ReadOnlyAdmin, UserAdmin):
    list_display = ("username", "full_name", "is_active", "is_superuser")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Shuzhi", {"fields": ("full_name", "person")}))
    raw_id_fields = ("person",)


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ("user", "role", "unit")
    raw_id_fields = ("user", "unit", "granted_by")
