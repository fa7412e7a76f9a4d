"""The permission kernel: roles, scopes, scoped querysets and the one loader.

This package sits at the bottom of the import graph: it imports nothing from the other Shuzhi
apps. Grants are read through the app registry (``apps.get_model("accounts", "Grant")``), so
the accounts app depends on the kernel and never the other way round.

- :mod:`.roles`     the roles and the role → actions table;
- :mod:`.scope`     grants → scopes (:func:`~.scope.scopes_for`, :func:`~.scope.can_at` …) and
                    :func:`~.scope.may_anywhere` for menus and list pages;
- :mod:`.querysets` :class:`~.querysets.ScopedQuerySet`, which gives every model scoped by the
                    tree ``Model.objects.visible_to(user, action)``;
- :mod:`.loader`    :func:`~.loader.load`: 404 when the object is out of sight, 403 when it is
                    seen but the action is refused — for pages and the API alike.
"""
