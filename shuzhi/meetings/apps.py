from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    """The review meeting (述职评议会): agenda, reporters, voter roster and sign-in."""

    name = "shuzhi.meetings"
    verbose_name = "述职评议会"
