"""Indicator sets (考核指标体系), their governance checks and the annual scores."""
