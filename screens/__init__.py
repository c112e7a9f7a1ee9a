"""Textual screens of labconsole."""
