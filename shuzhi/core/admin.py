from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: audit entries cannot be changed or deleted through the product."""

    list_display = ("at", "actor_label", "action", "object_type", "object_label")
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "object_label", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
