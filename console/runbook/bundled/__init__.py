"""Runbooks shipped with labconsole (TOML data, read by labconsole.runbook.load)."""
