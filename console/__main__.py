"""``python -m labconsole`` runs the same entry point as the ``labconsole`` script."""

from labconsole.cli import main

raise SystemExit(main())
