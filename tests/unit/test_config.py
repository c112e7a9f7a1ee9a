"""Configuration: loading, defaults, every kind of validation error (exact text), secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labconsole.config import (
    ConfigError,
    ConfigProblem,
    ProxmoxConfig,
    SecretUnavailableError,
    SshSettings,
    load_config,
)
from labconsole.config.load import (
    CLUSTER_KEYS,
    CONSOLE_KEYS,
    NODE_KEYS,
    PROXMOX_KEYS,
    SSH_KEYS,
    SYSLOG_KEYS,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_config.toml"
NODE = '[[clusters]]\nname = "lab"\n[[clusters.nodes]]\nname = "pve01"\naddress = "10.0.0.11"\n'


def problems(tmp_path: Path, text: str) -> list[str]:
    """Every problem line for a config with ``text``, with the file shown as ``c.toml``."""
    file = tmp_path / "c.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    return [str(p).replace(str(file), "c.toml") for p in caught.value.problems]


def test_sample_config_loads_as_the_pve_cluster() -> None:
    config = load_config(SAMPLE)
    assert [c.name for c in config.clusters] == ["homelab"]
    assert [n.name for n in config.nodes] == ["pve01", "pve02", "pve03"]
    pve03 = config.nodes[2]
    assert (pve03.interfaces, pve03.bridge) == (("eno1",), "vmbr0")
    assert pve03.kernel_log_command == "journalctl -k -f -o json"
    assert pve03.ssh.user == "root" and pve03.ssh.known_hosts is not None
    proxmox = config.clusters[0].proxmox
    assert proxmox is not None and proxmox.token_secret_file is None
    assert proxmox.token_secret_env == "LABCONSOLE_PVE_TOKEN_SECRET"
    assert (config.syslog.address, config.syslog.port) == ("127.0.0.1", 5514)


def test_sample_config_shows_every_key_and_no_inline_secret() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    for key in (*CONSOLE_KEYS, *SYSLOG_KEYS, *CLUSTER_KEYS, *NODE_KEYS, *SSH_KEYS,
                *PROXMOX_KEYS):
        assert f"{key} = " in text or f"[clusters.{key}]" in text, key
    assert "token_secret =" not in text


def test_minimal_config_gets_the_defaults(fixtures: Path) -> None:
    config = load_config(fixtures / "config" / "minimal.toml")
    node = config.nodes[0]
    assert node.ssh == SshSettings()
    assert (node.interfaces, node.bridge) == ((), None)
    assert node.kernel_log_command == "journalctl -k -f -o json"
    assert config.syslog.protocols == ("udp", "tcp") and config.syslog.enabled
    assert config.clusters[0].proxmox is None
    assert config.recording_dir.name == "recordings" and config.runbook_dir.name == "runbooks"
    assert (config.quorum_poll_interval, config.nic_refresh_interval) == (0.25, 30.0)


def test_every_setting_is_read_and_ssh_defaults_merge(fixtures: Path) -> None:
    folder = fixtures / "config"
    config = load_config(folder / "two_clusters.toml")
    assert config.recording_dir == folder / "rec"
    assert config.runbook_dir == Path("/srv/runbooks")
    assert (config.quorum_poll_interval, config.nic_refresh_interval) == (1.0, 12.5)
    assert (config.syslog.enabled, config.syslog.address, config.syslog.port,
            config.syslog.protocols) == (False, "::1", 6514, ("tcp",))
    pve01, pve02, edge1 = config.nodes
    assert pve01.ssh == SshSettings("ops", 2222, folder / "keys/id_ed25519",
                                    "admin@bastion.example.org:2200", folder / "keys/known_hosts")
    assert pve01.interfaces == ("eno1", "enp1s0f0.100", "bond0")
    assert pve01.kernel_log_command == "tail -F /var/log/kern.log"
    assert pve02.ssh.user == "root" and pve02.ssh.port == 2222
    assert pve02.ssh.key_file == Path("/etc/labconsole/pve02.key")
    assert pve02.address == "fd00::12"
    assert edge1.ssh == SshSettings()


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    assert problems(tmp_path, '[[clusters]]\nname = "lab"\nnodes = [\n  { name = }\n]\n') == [
        "c.toml: line 4, column 12: invalid TOML: Invalid value",
    ]


def test_missing_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.toml")
    assert caught.value.problems == (ConfigProblem(str(tmp_path / "absent.toml"), "",
                                                   "no such file"),)
    (tmp_path / "c.toml").write_bytes(b'name = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(tmp_path / "c.toml")


def test_unknown_keys_suggest_the_closest(tmp_path: Path) -> None:
    text = NODE.replace('address = "10.0.0.11"', 'adress = "10.0.0.11"\ninterface = ["eno1"]')
    assert problems(tmp_path, "[sislog]\n" + 'port = 1\n' + text.replace("[[", "\n[[", 1)) == [
        "c.toml: sislog: unknown key (did you mean 'syslog'?)",
        "c.toml: clusters[0].nodes[0].adress: unknown key (did you mean 'address'?)",
        "c.toml: clusters[0].nodes[0].interface: unknown key (did you mean 'interfaces'?)",
        "c.toml: clusters[0].nodes[0].address: missing required key",
    ]


def test_unknown_key_without_a_close_match(tmp_path: Path) -> None:
    assert problems(tmp_path, "colour = 'red'\n" + NODE) == ["c.toml: colour: unknown key"]


def test_wrong_types(tmp_path: Path) -> None:
    text = ('[console]\nquorum_poll_interval = "2s"\n[syslog]\nport = "5514"\nenabled = 1\n'
            'protocols = "udp"\n' + NODE + 'interfaces = "eno1"\n[clusters.nodes.ssh]\n'
            'port = true\n')
    assert problems(tmp_path, text) == [
        "c.toml: console.quorum_poll_interval: expected a number, got a string",
        "c.toml: syslog.enabled: expected a boolean (true or false), got an integer",
        "c.toml: syslog.port: expected an integer, got a string",
        "c.toml: syslog.protocols: expected an array, got a string",
        "c.toml: clusters[0].nodes[0].interfaces: expected an array, got a string",
        "c.toml: clusters[0].nodes[0].ssh.port: expected an integer, got a boolean (true or "
        "false)",
    ]


def test_missing_required_keys(tmp_path: Path) -> None:
    assert problems(tmp_path, "[[clusters]]\n[[clusters.nodes]]\n") == [
        "c.toml: clusters[0].name: missing required key",
        "c.toml: clusters[0].nodes[0].name: missing required key",
        "c.toml: clusters[0].nodes[0].address: missing required key",
    ]
    assert problems(tmp_path, '[syslog]\nport = 5514\n') == [
        "c.toml: clusters: missing required key (at least one [[clusters]] table)",
    ]
    assert problems(tmp_path, '[[clusters]]\nname = "x"\n') == [
        "c.toml: clusters[0].nodes: missing required key (or a [clusters.proxmox] table: a "
        "cluster watched through the Proxmox API only)",
    ]


def test_port_ranges(tmp_path: Path) -> None:
    text = "[syslog]\nport = 0\n" + NODE + "[clusters.nodes.ssh]\nport = 70000\n"
    assert problems(tmp_path, text) == [
        "c.toml: syslog.port: port 0 is out of range 1-65535",
        "c.toml: clusters[0].nodes[0].ssh.port: port 70000 is out of range 1-65535",
    ]


def test_interval_range(tmp_path: Path) -> None:
    assert problems(tmp_path, "[console]\nnic_refresh_interval = 0\n" + NODE) == [
        "c.toml: console.nic_refresh_interval: 0 seconds is out of range 0.1-3600",
    ]


def test_node_and_interface_names(tmp_path: Path) -> None:
    text = NODE.replace('"pve01"', '"pve 01"') + (
        'interfaces = ["eno1", "a-name-far-too-long0", "eno1", "x;rm"]\nbridge = "vmbr 0"\n'
    )
    iface = "an interface name (1-15 of A-Z a-z 0-9 _ . : @ -)"
    assert problems(tmp_path, text) == [
        "c.toml: clusters[0].nodes[0].name: 'pve 01' is not a node name (a hostname label: "
        "letters, digits, '-')",
        f"c.toml: clusters[0].nodes[0].interfaces[1]: 'a-name-far-too-long0' is not {iface}",
        "c.toml: clusters[0].nodes[0].interfaces[2]: duplicate 'eno1'",
        f"c.toml: clusters[0].nodes[0].interfaces[3]: 'x;rm' is not {iface}",
        f"c.toml: clusters[0].nodes[0].bridge: 'vmbr 0' is not {iface}",
    ]


def test_addresses_and_hosts(tmp_path: Path) -> None:
    text = ('[syslog]\naddress = "0.0.0.0:514"\n' + NODE.replace('"10.0.0.11"', '"-bad-"')
            + '[clusters.nodes.ssh]\njump_host = "me@@bastion"\nuser = "Root User"\n')
    assert problems(tmp_path, text) == [
        "c.toml: syslog.address: '0.0.0.0:514' is not a hostname or IP address",
        "c.toml: clusters[0].nodes[0].address: '-bad-' is not a hostname or IP address",
        "c.toml: clusters[0].nodes[0].ssh.user: 'Root User' is not a user name",
        "c.toml: clusters[0].nodes[0].ssh.jump_host: 'me@@bastion' is not [user@]host[:port]",
    ]


def test_duplicate_node_and_cluster_names(tmp_path: Path) -> None:
    text = NODE + '[[clusters.nodes]]\nname = "pve01"\naddress = "10.0.0.12"\n' + NODE
    assert problems(tmp_path, text) == [
        "c.toml: clusters[0].nodes[1].name: duplicate node name 'pve01' (first at "
        "clusters[0].nodes[0].name)",
        "c.toml: clusters[1].name: duplicate cluster name 'lab' (first at clusters[0].name)",
        "c.toml: clusters[1].nodes[0].name: duplicate node name 'pve01' (first at "
        "clusters[0].nodes[0].name)",
    ]


def test_empty_strings_protocols_and_node_lists(tmp_path: Path) -> None:
    text = ('[syslog]\nprotocols = []\n[[clusters]]\nname = ""\nnodes = []\n'
            '[[clusters]]\nname = "b"\n[[clusters.nodes]]\nname = "n1"\naddress = "10.0.0.1"\n'
            'kernel_log_command = "  "\n[syslog.x]\n')
    assert problems(tmp_path, text) == [
        "c.toml: syslog.x: unknown key",
        "c.toml: syslog.protocols: must list at least one of udp, tcp",
        "c.toml: clusters[0].name: must not be empty",
        "c.toml: clusters[0].nodes: a cluster needs at least one node (or a "
        "[clusters.proxmox] table)",
        "c.toml: clusters[1].nodes[0].kernel_log_command: must not be empty",
    ]


def test_bad_protocol_and_array_of_non_tables(tmp_path: Path) -> None:
    assert problems(tmp_path, '[syslog]\nprotocols = ["udp", "tls"]\n' + NODE) == [
        "c.toml: syslog.protocols[1]: 'tls' is not udp or tcp",
    ]
    assert problems(tmp_path, 'clusters = ["lab"]\n') == [
        "c.toml: clusters[0]: expected a table, got a string",
        "c.toml: clusters[0].name: missing required key",
        "c.toml: clusters[0].nodes: missing required key (or a [clusters.proxmox] table: a "
        "cluster watched through the Proxmox API only)",
    ]


PROXMOX = '[clusters.proxmox]\nhost = "pve01.lab"\ntoken_id = "mon@pve!console"\n'


def test_inline_secret_is_refused(tmp_path: Path) -> None:
    text = NODE + PROXMOX + 'token_secret = "abc"\n'
    assert problems(tmp_path, text) == [
        "c.toml: clusters[0].proxmox.token_secret: inline secrets are refused: use "
        "token_secret_file (a file only you can read) or token_secret_env (a variable name)",
        "c.toml: clusters[0].proxmox.token_secret_file: missing required key (or "
        "token_secret_env)",
    ]


def test_ca_file_must_exist_and_dates_are_named(tmp_path: Path) -> None:
    text = NODE.replace('"lab"', "2026-11-25") + PROXMOX + (
        'token_secret_env = "PVE_SECRET"\nca_file = "pve-ca.pem"\n')
    assert problems(tmp_path, text) == [
        "c.toml: clusters[0].name: expected a string, got a date",
        f"c.toml: clusters[0].proxmox.ca_file: no such file: {tmp_path / 'pve-ca.pem'}",
    ]
    (tmp_path / "pve-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    config_file = tmp_path / "c.toml"
    config_file.write_text(NODE + PROXMOX + 'token_secret_env = "S"\nca_file = "pve-ca.pem"\n')
    proxmox = load_config(config_file).clusters[0].proxmox
    assert proxmox is not None and proxmox.ca_file == tmp_path / "pve-ca.pem"


def test_proxmox_field_errors(tmp_path: Path) -> None:
    text = (NODE + '[clusters.proxmox]\nhost = "pve01.lab"\ntoken_id = "console"\nport = 0\n'
            'token_secret_env = "1BAD"\ntoken_secret_file = "s"\nverify_tls = "yes"\n')
    secret = tmp_path / "s"
    secret.write_text("x")
    secret.chmod(0o600)
    assert problems(tmp_path, text) == [
        "c.toml: clusters[0].proxmox.port: port 0 is out of range 1-65535",
        "c.toml: clusters[0].proxmox.token_id: 'console' is not a token id "
        "(user@realm!tokenname)",
        "c.toml: clusters[0].proxmox.token_secret_env: '1BAD' is not an environment variable "
        "name",
        "c.toml: clusters[0].proxmox: set token_secret_file or token_secret_env, not both",
        "c.toml: clusters[0].proxmox.verify_tls: expected a boolean (true or false), got a "
        "string",
    ]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_group_or_world_readable_secret_file_is_refused(tmp_path: Path, mode: int) -> None:
    secret = tmp_path / "token.secret"
    secret.write_text("s3cret\n")
    secret.chmod(mode)
    text = NODE + PROXMOX + 'token_secret_file = "token.secret"\n'
    assert problems(tmp_path, text) == [
        f"c.toml: clusters[0].proxmox.token_secret_file: secret file {secret} is readable by "
        f"group or others (mode {mode:04o}): chmod 600 it",
    ]


def test_owner_only_secret_file_is_accepted_and_read(tmp_path: Path) -> None:
    secret = tmp_path / "token.secret"
    secret.write_text("  s3cret\n")
    secret.chmod(0o600)
    config_file = tmp_path / "c.toml"
    config_file.write_text(NODE + PROXMOX + 'token_secret_file = "token.secret"\n')
    proxmox = load_config(config_file).clusters[0].proxmox
    assert proxmox is not None
    assert proxmox.token_secret_file == secret
    assert proxmox.token_secret() == "s3cret"
    assert (proxmox.port, proxmox.verify_tls, proxmox.ca_file) == (8006, True, None)


def test_missing_or_unreadable_secret_file(tmp_path: Path) -> None:
    text = NODE + PROXMOX + 'token_secret_file = "nope.secret"\n'
    assert problems(tmp_path, text) == [
        f"c.toml: clusters[0].proxmox.token_secret_file: cannot read secret file "
        f"{tmp_path / 'nope.secret'}: No such file or directory",
    ]
    (tmp_path / "dir.secret").mkdir()
    text = NODE + PROXMOX + 'token_secret_file = "dir.secret"\n'
    assert problems(tmp_path, text) == [
        f"c.toml: clusters[0].proxmox.token_secret_file: secret file {tmp_path / 'dir.secret'} "
        "is not a regular file",
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: mode 000 cannot be tested")
def test_owner_unreadable_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "locked.secret"
    secret.write_text("x")
    secret.chmod(0o000)
    text = NODE + PROXMOX + 'token_secret_file = "locked.secret"\n'
    assert problems(tmp_path, text) == [
        f"c.toml: clusters[0].proxmox.token_secret_file: cannot read secret file {secret}: "
        "Permission denied",
    ]


def test_secret_from_environment_variable() -> None:
    proxmox = ProxmoxConfig(host="h", token_id="a@pve!b", token_secret_env="PVE_SECRET")
    assert proxmox.token_secret({"PVE_SECRET": "abc\n"}) == "abc"
    with pytest.raises(SecretUnavailableError, match="PVE_SECRET is not set or empty"):
        proxmox.token_secret({})


def test_all_problems_are_collected_in_one_error(tmp_path: Path) -> None:
    text = ('[syslog]\nport = -1\n[[clusters]]\n[[clusters.nodes]]\nname = "a b"\n'
            'address = "10.0.0.1"\nbogus = 1\n')
    found = problems(tmp_path, text)
    assert len(found) == 4
    error_text = str(ConfigError([ConfigProblem("f", "k", "p"), ConfigProblem("f", "", "q")]))
    assert error_text == "f: k: p\nf: q"
