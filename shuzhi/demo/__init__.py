"""The demo loader: ``seed_demo`` and ``demo_logins`` compose every app's demo data.

At the top of the import graph (docs/decisions/0012-import-layers.md): it calls each app's
``demo`` module in turn, and no app imports it.
"""
