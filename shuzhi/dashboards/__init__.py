"""The home page, the inbox and the worker status page, above every other app."""
