from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Grant, User


@admin.register(User)
class ShuzhiUserAdmin(UserAdmin):
    list_display = ("username", "full_name", "is_active", "is_superuser")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Shuzhi", {"fields": ("full_name", "person")}))
    raw_id_fields = ("person",)


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "unit")
    raw_id_fields = ("user", "unit", "granted_by")

    def has_change_permission(self, request, obj=None):
        # Grants change only through the service, which checks scope and audits.
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
