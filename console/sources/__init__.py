"""Sources: asyncio producers of typed events (live over SSH/syslog/API, or replayed)."""
