"""Incident logic: events -> facts -> incidents (correlation) -> cause, downtime, the report.

- ``from_state.facts_from_state(state)`` / ``current_incident(state)`` / ``report_from_state``:
  the typed facts the console's state holds (``ConsoleState.apply`` is the one interpreter
  of events; ``from_state.report_from_events`` applies events to a fresh state).
- ``correlate.correlate(facts, rules)``: incidents by explicit rules (see that module).
- ``cause.explain(incident)``: likely cause, evidence, key log lines, next checks.
- ``downtime.downtime(facts, until)``: time out of the votes (and link down) per node.
- ``audit_read.read_audit(path)``: the runbook audit log (JSONL) as action records.
- ``report.report_from_paths`` / ``report_from_events`` / ``build_report``; rendered by
  ``report_md.render_markdown`` and ``report_json.report_json``.
"""
