from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "shuzhi.field"
    label = "field"
    verbose_name = "联系点与调研走访"
