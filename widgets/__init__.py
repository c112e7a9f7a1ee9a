"""Textual widgets of labconsole: each renders domain state and never parses or connects."""
