from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, grants of roles on subtrees, API tokens and login protection."""

    name = "shuzhi.accounts"
    verbose_name = "账号与权限"

    def ready(self) -> None:
        from . import demo, policies

        policies.register_audit_check()
        demo.connect()
