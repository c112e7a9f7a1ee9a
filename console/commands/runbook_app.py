"""``labconsole runbook run``: the console with the runbook screen on top (a UI module: it
imports Textual; ``labconsole.commands.runbook`` loads it by name only when ``run`` is asked)."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from labconsole.runbook.model import Runbook
from labconsole.runbook.placeholders import RunbookContext
from labconsole.runbook.session import default_audit_path


def run_app(book: Runbook, ctx: RunbookContext, config: Any, args: argparse.Namespace
            ) -> int:
    from labconsole.app import LabConsoleApp
    from labconsole.clock import system_clock
    from labconsole.runbook.audit import AuditLog
    from labconsole.runbook.engine import RunbookEngine
    from labconsole.runbook.executor import SshExecutor
    from labconsole.screens.runbook import RunbookScreen
    from labconsole.sources.live import build_live

    live = build_live(config)
    engine = RunbookEngine(
        book, ctx, SshExecutor(live.pool.nodes), AuditLog(args.audit or default_audit_path()),
        operator=args.operator or getpass.getuser(), clock=system_clock,
        dry_run=args.dry_run, settle_seconds=args.settle)

    class RunbookApp(LabConsoleApp):
        # Ready, not Mount: Textual runs every class's on_mount, and the base one pushes the
        # dashboard; the runbook screen goes on top of it once the app is up.
        def on_ready(self) -> None:
            self.push_screen(RunbookScreen(engine))

    app = RunbookApp(live.sources, problems=live.problems,
                     subtitle=f"runbook {book.id} on {ctx.node}")
    app.run()
    return app.return_code or 0  # non-zero when the app died
