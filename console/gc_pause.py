"""The cyclic garbage collector paused while the console starts (issue 13 item 5).

Starting the console creates some 70,000 long-lived objects (modules, classes, dataclasses,
Textual's widgets and styles) and no garbage worth collecting; with the collector on, Python
scans the growing heap again and again while they are made (about 7% of the CPU time to the
first frame, measured). ``labconsole run``/``replay`` pause it from the moment the command is
chosen; the app resumes it right after the first frame, once ``gc.freeze`` has moved those
objects out of its reach (``labconsole.app.freeze_startup_objects``), and the CLI resumes it
in any case when the command returns (a config error, no terminal, a test calling ``main``).
"""

from __future__ import annotations

import gc

_paused = False  # paused here (a collector someone else turned off stays off)


def pause() -> None:
    """Turn the collector off until ``resume`` (a no-op when it is off already)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Turn the collector back on if ``pause`` turned it off."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()
