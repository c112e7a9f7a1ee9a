"""Incident logic: timeline, correlation of events into incidents, the report."""
