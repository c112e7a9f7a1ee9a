"""``labconsole check``: OK line, one line per problem, where it looked; exit codes."""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest

from labconsole.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_config.toml"


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("LABCONSOLE_CONFIG", raising=False)


def _home_with_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                    addresses: tuple[str, ...]) -> Path:
    """A HOME with a private key and a known_hosts naming ``addresses`` (real key lines)."""
    home = tmp_path / "home"
    ssh = home / ".ssh"
    ssh.mkdir(parents=True, mode=0o700)
    key = asyncssh.generate_private_key("ssh-ed25519")
    key.write_private_key(str(ssh / "id_ed25519"))
    (ssh / "id_ed25519").chmod(0o600)
    host = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    (ssh / "known_hosts").write_text("".join(f"{a} {host}\n" for a in addresses))
    monkeypatch.setenv("HOME", str(home))
    return home


SAMPLE_ADDRESSES = ("192.168.10.11", "192.168.10.12", "192.168.10.13")


def test_sample_is_ok_where_its_files_and_variable_exist(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _home_with_keys(tmp_path, monkeypatch, SAMPLE_ADDRESSES)
    monkeypatch.setenv("LABCONSOLE_PVE_TOKEN_SECRET", "s3cret")
    assert main(["check", "--config", str(SAMPLE)]) == 0
    assert capsys.readouterr().out == (f"OK: {SAMPLE}: 1 cluster, 3 nodes; offline checks "
                                       "only (--connect probes the nodes)\n")


def test_sample_without_key_known_host_or_variable_says_each_with_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    home = _home_with_keys(tmp_path, monkeypatch, SAMPLE_ADDRESSES[:2])
    key = home / ".ssh" / "id_ed25519"
    key.chmod(0o644)
    monkeypatch.delenv("LABCONSOLE_PVE_TOKEN_SECRET", raising=False)
    assert main(["check", "--config", str(SAMPLE)]) == 2
    lines = capsys.readouterr().out.splitlines()
    unsafe = f"ssh key: {key} is readable by group or others (mode 0644): chmod 600 {key}"
    assert lines == [
        f"pve01: {unsafe}", f"pve02: {unsafe}", f"pve03: {unsafe}",
        f"pve03: known_hosts: no host key for 192.168.10.13 in {home / '.ssh/known_hosts'}: "
        "compare `ssh-keyscan -p 22 192.168.10.13 | ssh-keygen -lf -` with the fingerprint "
        f"shown on the node, then append the key to {home / '.ssh/known_hosts'}",
        "cluster homelab: proxmox token: environment variable LABCONSOLE_PVE_TOKEN_SECRET is "
        "not set or empty: export LABCONSOLE_PVE_TOKEN_SECRET=<the token secret> before "
        "starting labconsole",
    ]


def test_missing_key_file_and_unwritable_recording_dir(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _home_with_keys(tmp_path, monkeypatch, ("10.0.0.1",))
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    config = tmp_path / "c.toml"
    config.write_text(f'[console]\nrecording_dir = "{blocked}/recs"\n'
                      '[syslog]\nenabled = false\n[[clusters]]\nname = "lab"\n'
                      '[clusters.ssh]\nkey_file = "nokey"\n[[clusters.nodes]]\n'
                      'name = "pve01"\naddress = "10.0.0.1"\n')
    assert main(["check", "--config", str(config)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"console: recording_dir: {blocked}/recs cannot be created: "
                        f"{blocked} is not a directory: create it or set "
                        "console.recording_dir to a writable place")
    assert lines[1].startswith(f"pve01: ssh key: {tmp_path / 'nokey'} does not exist: "
                               f"ssh-keygen -t ed25519 -f {tmp_path / 'nokey'}")
    assert len(lines) == 2


def test_env_variable_is_used(monkeypatch: pytest.MonkeyPatch, fixtures: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    path = fixtures / "config" / "two_clusters.toml"
    monkeypatch.setenv("LABCONSOLE_CONFIG", str(path))
    assert main(["check"]) == 2  # its key files exist nowhere: found, and said so
    out = capsys.readouterr().out
    assert f"pve01: ssh key: {path.parent / 'keys' / 'id_ed25519'} does not exist" in out


def test_every_problem_one_per_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[syslog]\nport = 99999\n[[clusters]]\nname = "lab"\n[[clusters.nodes]]\n'
                   'name = "pve01"\nadres = "10.0.0.1"\n')
    assert main(["check", "--config", str(bad)]) == 2
    assert capsys.readouterr().out.splitlines() == [
        f"{bad}: syslog.port: port 99999 is out of range 1-65535",
        f"{bad}: clusters[0].nodes[0].adres: unknown key (did you mean 'address'?)",
        f"{bad}: clusters[0].nodes[0].address: missing required key",
    ]


def test_syntax_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[syslog\nport = 1\n")
    assert main(["check", "--config", str(bad)]) == 2
    out = capsys.readouterr().out
    assert out.startswith(f"{bad}: line 1, column 8: invalid TOML: ")


def test_missing_explicit_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--config", str(tmp_path / "nope.toml")]) == 2
    assert capsys.readouterr().out == f"{tmp_path / 'nope.toml'}: no such file\n"


def test_no_config_anywhere_says_where_it_looked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "no configuration found; looked at:" in err
    assert "--config: not given" in err and "$LABCONSOLE_CONFIG: not set" in err
    assert f"{tmp_path / 'xdg' / 'labconsole' / 'config.toml'}: no such file" in err


def test_no_key_anywhere_is_said_and_an_agent_is_enough(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    home = _home_with_keys(tmp_path, monkeypatch, ("10.0.0.1",))
    (home / ".ssh" / "id_ed25519").unlink()
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    config = tmp_path / "c.toml"
    config.write_text('[console]\nrecording_dir = "recs"\naudit_log = "audit.jsonl"\n'
                      '[syslog]\nenabled = false\n[[clusters]]\nname = "lab"\n'
                      '[[clusters.nodes]]\nname = "pve01"\naddress = "10.0.0.1"\n')
    assert main(["check", "--config", str(config)]) == 2
    assert capsys.readouterr().out == (
        f"pve01: ssh key: no key_file set, no SSH agent running ($SSH_AUTH_SOCK unset) and no "
        f"default key in {home / '.ssh'}: set ssh.key_file to the private key the node "
        "accepts\n")
    monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "agent.sock"))
    assert main(["check", "--config", str(config)]) == 0
