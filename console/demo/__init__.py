"""The bundled demo: a recording of the pve03 incident, made by our own generator."""

from pathlib import Path

DEMO_RECORDING = Path(__file__).with_name("pve03_incident.jsonl")
# How reports name it (the package path, not where this machine installed it).
DEMO_NAME = f"labconsole/demo/{DEMO_RECORDING.name}"
