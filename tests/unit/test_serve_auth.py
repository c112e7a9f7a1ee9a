"""serve's guard without a server: origins and hosts it answers to, the token, the password
file, the bind rule (the real server is in tests/e2e/test_serve.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.commands.serve_auth import (
    TOKEN_SESSION,
    Guard,
    ServeAuthError,
    bind_problem,
    is_loopback,
    read_password_file,
)


def _guard(**kw: object) -> Guard:
    args: dict = {"bind_host": "127.0.0.1", "port": 8000, "tls": False, "public_url": None,
                  "token": "t0ken"}
    args.update(kw)
    return Guard.for_server(**args)


def test_only_serves_own_origins_and_hosts() -> None:
    g = _guard()
    for ok in ("http://127.0.0.1:8000", "http://localhost:8000", None):
        assert g.origin_ok(ok)
    for bad in ("http://evil.example", "http://127.0.0.1:8001", "https://127.0.0.1:8000",
                "null", "http://127.0.0.1:8000.evil.example"):
        assert not g.origin_ok(bad), bad
    assert g.host_ok("127.0.0.1:8000") and g.host_ok("localhost:8000")
    assert not g.host_ok("evil.example:8000") and not g.host_ok(None)
    tls = _guard(tls=True, public_url="https://console.lab.example")
    assert tls.origin_ok("https://console.lab.example") and tls.host_ok("console.lab.example")
    assert not tls.origin_ok("http://127.0.0.1:8000")


def test_token_and_sessions() -> None:
    g = _guard()
    assert g.check_token("t0ken") == TOKEN_SESSION
    assert g.check_token("t0ke") is None and g.check_token("") is None
    assert g.check_token(None) is None
    cookie = g.open_session("alice")
    assert g.session_name(cookie) == "alice"
    assert g.session_name(cookie + "x") is None and g.session_name(None) is None
    assert _guard(token=None).check_token("t0ken") is None  # password mode: no token at all


def test_password_file(tmp_path: Path) -> None:
    f = tmp_path / "users"
    f.write_text("# who may log in\nalice:pw:with:colons\n\nbob: spaced \n")
    f.chmod(0o644)
    with pytest.raises(ServeAuthError, match="readable by group or others"):
        read_password_file(f)
    f.chmod(0o600)
    users = read_password_file(f)
    assert users == {"alice": "pw:with:colons", "bob": " spaced "}
    g = _guard(token=None, users=users)
    assert g.check_password("alice", "pw:with:colons") == "alice"
    assert g.check_password("alice", "pw") is None and g.check_password("eve", "x") is None
    for text, why in (("alice\n", "expected name:password"), (":pw\n", "expected"),
                      ("a:1\na:2\n", "appears twice"), ("# only\n", "no name:password")):
        f.write_text(text)
        with pytest.raises(ServeAuthError, match=why):
            read_password_file(f)


def test_bind_rule() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")
    assert bind_problem("127.0.0.1", allow_remote=False) is None
    assert "not a loopback address" in str(bind_problem("0.0.0.0", allow_remote=False))
    assert bind_problem("0.0.0.0", allow_remote=True) is None
