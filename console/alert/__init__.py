"""Alerts: an incident that starts, changes cause or ends, told to people through sinks.

``message.IncidentAlert`` is the typed fact (what changed, the cause, its evidence);
``text`` renders it for plain-text channels; ``sinks`` deliver it (JSON webhook, ntfy,
Gotify, SMTP, a command hook); ``dispatch.AlertDispatcher`` deduplicates, rate-limits and
retries with bounded backoff, and reports what could not be delivered. No Textual, no rich:
this runs headless under ``labconsole watch``.
"""
