from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, grants of roles on subtrees, API tokens and login protection."""

    name = "shuzhi.accounts"
    verbose_name = "账号与权限"

    def ready(self) -> None:
        from shuzhi.core.audit_words import register_values

        from . import demo, policies, tokens

        policies.register_audit_check()
        register_values(tokens.AREAS)  # a token's areas, as its audit entries store them
        demo.connect()
