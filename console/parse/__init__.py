"""Parsers: text in the formats operators paste or stream -> model records. Pure, no I/O."""
