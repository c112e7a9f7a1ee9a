"""Runbooks: TOML data, validated steps, the engine that runs checks and confirmed actions."""
