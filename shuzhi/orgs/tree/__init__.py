"""The organisation tree: units, unit types and the one write path for their shape."""
