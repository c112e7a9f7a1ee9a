"""TLS to the Proxmox API (issue 19): a refused certificate says why in words, reason first;
``verify_tls = false`` is a standing warning; a SHA-256 fingerprint can be pinned instead of
a CA file, checked before any request (and its token) is sent. Against the local HTTPS mock."""

from __future__ import annotations

import hashlib
import ssl
import warnings
from pathlib import Path

import pytest

from labconsole.config import ConfigError, load_config
from labconsole.sources.live import build_live
from labconsole.sources.pve_api import PveApiError, PveApiSource
from tests.fixtures.pve_api_server import MockPve, make_cert

TOKEN_ID, SECRET = "root@pam!labconsole", "0f1e2d3c-0000-4000-8000-123456789abc"


def _sha256(cert: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    return hashlib.sha256(der).hexdigest()


def _source(pve: MockPve, **kw: object) -> PveApiSource:
    return PveApiSource("127.0.0.1", TOKEN_ID, SECRET, port=pve.port, **kw)  # type: ignore[arg-type]


def test_a_refused_certificate_says_why_first(tmp_path: Path) -> None:
    with (MockPve(tmp_path, token=f"{TOKEN_ID}={SECRET}") as pve,
          pytest.raises(PveApiError) as info):
        _source(pve).get("/nodes")
    text = str(info.value)
    assert text.startswith("TLS certificate refused: self-signed certificate (code 18)"), text
    assert "ca_file or tls_fingerprint" in text[:100] and "GET /nodes on 127.0.0.1" in text
    assert pve.requests == []  # nothing was asked, so no token was sent


def test_a_pinned_fingerprint_is_trusted_without_a_ca_file(tmp_path: Path) -> None:
    with MockPve(tmp_path, token=f"{TOKEN_ID}={SECRET}") as pve:
        source = _source(pve, fingerprint=_sha256(pve.cert))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "unverified HTTPS request" warning either
            body = source.get("/nodes")
    assert [row["node"] for row in body] == ["pve01", "pve02", "pve03"]


def test_a_certificate_other_than_the_pinned_one_is_refused_before_the_request(
        tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    other, _ = make_cert(tmp_path / "other")
    with MockPve(tmp_path, token=f"{TOKEN_ID}={SECRET}") as pve:
        with pytest.raises(PveApiError) as info:
            _source(pve, fingerprint=_sha256(other)).get("/nodes")
        assert pve.requests == []
    text = str(info.value)
    assert text.startswith("TLS certificate refused: its SHA-256 fingerprint is not the "
                           f"pinned one (server presents {_sha256(pve.cert)})"), text


def _config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text('[[clusters]]\nname = "lab"\n[clusters.proxmox]\nhost = "127.0.0.1"\n'
                    f'token_id = "{TOKEN_ID}"\ntoken_secret_env = "T"\n{extra}'
                    '[[clusters.nodes]]\nname = "pve01"\naddress = "10.0.0.11"\n')
    return path


def test_verify_tls_false_is_a_standing_warning_and_the_pin_reaches_the_source(
        tmp_path: Path) -> None:
    live = build_live(load_config(_config(tmp_path, "verify_tls = false\n")), env={"T": "x"})
    assert any("TLS NOT VERIFIED" in p for p in live.problems), live.problems
    fp = "AB:" * 31 + "CD"
    live = build_live(load_config(_config(tmp_path, f'tls_fingerprint = "{fp}"\n')),
                      env={"T": "x"})
    api = next(s for s in live.sources if isinstance(s, PveApiSource))
    assert api.fingerprint == "ab" * 31 + "cd" and api.verify is True
    assert not any("TLS" in p for p in live.problems)


def test_a_bad_or_contradicting_fingerprint_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    with pytest.raises(ConfigError) as info:
        load_config(_config(tmp_path, 'tls_fingerprint = "abc"\n'))
    assert "'abc' is not a SHA-256 fingerprint (64 hex digits" in str(info.value)
    fp = "ab" * 32
    with pytest.raises(ConfigError) as info:
        load_config(_config(tmp_path, f'tls_fingerprint = "{fp}"\nca_file = "ca.pem"\n'
                                      "verify_tls = false\n"))
    assert [line.split(": ", 1)[1] for line in str(info.value).splitlines()] == [
        "clusters[0].proxmox.tls_fingerprint: set ca_file or tls_fingerprint, not both",
        "clusters[0].proxmox.tls_fingerprint: verify_tls = false turns checking off; a "
        "pinned fingerprint is checked: drop one of the two"]
