"""Config keys of issue 14: audit log path, a cluster's default kernel log command that its
nodes inherit, and ``--record DIR`` writing a new timestamped file in a directory."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from labconsole.commands.run import RECORD_TO_CONFIG, recording_path
from labconsole.config import load_config
from labconsole.config.model import DEFAULT_KERNEL_LOG_COMMAND


def test_nodes_inherit_the_cluster_kernel_log_command_unless_they_name_their_own(
        tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, '''
[console]
audit_log = "logs/audit.jsonl"
[[clusters]]
name = "a"
kernel_log_command = "tail -F /var/log/kern.log"
[[clusters.nodes]]
name = "n1"
address = "10.0.0.1"
[[clusters.nodes]]
name = "n2"
address = "10.0.0.2"
kernel_log_command = "dmesg -w"
[[clusters]]
name = "b"
[[clusters.nodes]]
name = "n3"
address = "10.0.0.3"
'''))
    assert [n.kernel_log_command for n in config.nodes] == [
        "tail -F /var/log/kern.log", "dmesg -w", DEFAULT_KERNEL_LOG_COMMAND]
    assert config.audit_log == tmp_path / "logs" / "audit.jsonl"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


NOW = datetime(2026, 11, 28, 7, 5, 9, tzinfo=timezone.utc)


def test_record_dir_gets_a_new_timestamped_file_and_is_created(tmp_path: Path) -> None:
    target = recording_path(tmp_path / "recs", tmp_path / "unused", NOW)
    assert target == tmp_path / "recs" / "labconsole-20261128T070509Z.jsonl"
    assert (tmp_path / "recs").is_dir()


def test_record_without_a_value_uses_the_configured_directory(tmp_path: Path) -> None:
    target = recording_path(RECORD_TO_CONFIG, tmp_path / "configured", NOW)
    assert target.parent == tmp_path / "configured"


def test_record_to_a_jsonl_file_still_appends_to_that_file(tmp_path: Path) -> None:
    assert recording_path(tmp_path / "x.jsonl", tmp_path, NOW) == tmp_path / "x.jsonl"
