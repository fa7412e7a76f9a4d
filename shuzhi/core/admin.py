"""The Django admin is read-only for everything the product manages.

Every change goes through a service that checks the actor's scope and writes the audit entry
(ARCHITECTURE.md, rule 1); the admin does neither, so it may only show. Staff who need to
change something use the product's pages, which call those services.
"""

from django.contrib import admin

from .models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists and detail pages only: no add, change or delete, whoever signs in."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Audit entries are append-only (the database refuses changes too)."""

    list_display = ("at", "actor_label", "action", "object_type", "object_label")
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "object_label", "object_id")
