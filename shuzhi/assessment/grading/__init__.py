"""Grading (综合评定): the composite of a round, suggested and confirmed grades."""
