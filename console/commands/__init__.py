"""CLI subcommands: each module exposes ``register(subparsers)`` and ``run(args) -> int``."""

# ``--config`` of the commands that read files (replay, report, scan): here, so that their
# parsers do not load the config's node names to say what the option does.
CONFIG_HELP = ("config file (TOML): name nodes as it does (a log's host, else a file named "
               "after one of its nodes)")
