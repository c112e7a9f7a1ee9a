"""Issue 19 item 6: a secret is masked in every form it leaves in; a secret file of more than
one non-empty line is refused by ``check`` and at start (naming the file, never the secret);
recordings and the audit log are created 0600 in a 0700 directory."""

from __future__ import annotations

import json
import shlex
import stat
import traceback
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labconsole.config import ConfigError, SecretUnavailableError, load_config
from labconsole.config.redact import REDACTOR, Redactor, register_secret
from labconsole.events import ConnectionChange
from labconsole.runbook.audit import AuditEntry, AuditLog
from labconsole.sources.live import build_live
from labconsole.sources.pve_api import PveApiError, PveApiSource
from labconsole.sources.recording import Recorder
from tests.fixtures.pve_api_server import MockPve

TOKEN_ID = "root@pam!labconsole"
FIRST, SECOND = "5ec7e7-7a11-4bad", "8000-c0ffee123456"
PASTED = f"{FIRST}\n{SECOND}"  # a secret file with an inner newline (the reproduced leak)
T0 = datetime(2026, 3, 2, 6, 19, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    REDACTOR.clear()
    yield
    REDACTOR.clear()


def _forms(secret: str) -> list[str]:
    return [secret, repr(secret), json.dumps(secret), secret.encode("unicode_escape").decode(),
            shlex.quote(secret), quote(secret, safe=""), quote(secret), quote_plus(secret),
            f'"{secret}"', f"token={quote_plus(secret)}&x=1"]


@pytest.mark.parametrize("secret", [PASTED, "s3cr3t with space", "a'b\"c\\d&e=f/g+h%i",
                                    "ünï-cödé-sëcret", "tab\there-and-more"])
def test_every_form_of_the_secret_is_masked(secret: str) -> None:
    redactor = Redactor()
    redactor.add(secret)
    for form in _forms(secret):
        out = redactor.redact(f"error: bad header value {form} (end)")
        assert "***" in out and out.startswith("error: bad header value ") and out.endswith(
            " (end)"), (form, out)
        for piece in [secret, *(p for p in secret.splitlines() if len(p) >= 6)]:
            assert piece not in out, (form, out)


@given(st.text(min_size=8, max_size=40).filter(lambda s: s.strip() == s and s.isprintable()),
       st.text(max_size=30), st.text(max_size=30))
def test_property_raw_repr_json_and_url_forms_never_survive(secret: str, before: str,
                                                             after: str) -> None:
    redactor = Redactor()
    redactor.add(secret)
    for form in (secret, repr(secret)[1:-1], json.dumps(secret)[1:-1],
                 quote(secret, safe=""), quote_plus(secret)):
        assert form not in redactor.redact(before + form + after)


def _config(tmp_path: Path, secret_text: str) -> Path:
    secret = tmp_path / "token.secret"
    secret.write_text(secret_text)
    secret.chmod(0o600)
    path = tmp_path / "config.toml"
    path.write_text('[[clusters]]\nname = "lab"\n[clusters.proxmox]\nhost = "127.0.0.1"\n'
                    f'token_id = "{TOKEN_ID}"\ntoken_secret_file = "token.secret"\n'
                    '[[clusters.nodes]]\nname = "pve01"\naddress = "10.0.0.11"\n')
    return path


def test_a_secret_file_of_two_lines_is_refused_by_check_naming_the_file(tmp_path: Path
                                                                        ) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_config(tmp_path, PASTED + "\n"))
    text = str(info.value)
    assert f"secret file {tmp_path / 'token.secret'} has 2 non-empty lines" in text
    assert FIRST not in text and SECOND not in text
    # blank lines around one line are fine (an editor's trailing newline)
    config = load_config(_config(tmp_path, f"\n  {FIRST}  \n\n"))
    api = config.clusters[0].proxmox
    assert api is not None and api.token_secret() == FIRST


def test_a_secret_file_made_two_lines_after_check_is_refused_at_start(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, FIRST + "\n"))
    (tmp_path / "token.secret").write_text(PASTED)
    api = config.clusters[0].proxmox
    assert api is not None
    with pytest.raises(SecretUnavailableError, match="has 2 non-empty lines") as info:
        api.token_secret()
    assert FIRST not in str(info.value) and SECOND not in str(info.value)
    live = build_live(config)
    assert any("Proxmox API disabled" in p and "token.secret has 2 non-empty lines" in p
               for p in live.problems), live.problems
    assert not any(isinstance(s, PveApiSource) for s in live.sources)
    assert all(FIRST not in p and SECOND not in p for p in live.problems)


def test_the_http_librarys_escaped_header_never_shows_the_secret(tmp_path: Path) -> None:
    """The reproduced leak: requests refuses a header with a newline and quotes it with repr
    ('...\\n...'), which raw replacement did not match. Against the local HTTPS server."""
    with MockPve(tmp_path) as pve:
        source = PveApiSource("127.0.0.1", TOKEN_ID, PASTED, port=pve.port,
                              verify=str(pve.cert))
        with pytest.raises(PveApiError) as info:
            source.get("/nodes")
    text = "".join(traceback.format_exception(info.value))
    assert "GET /nodes" in text
    for piece in (FIRST, SECOND, repr(PASTED)[1:-1], quote(PASTED, safe="")):
        assert piece not in text, text


def test_recordings_and_audit_mask_registered_secrets_and_are_private(tmp_path: Path) -> None:
    register_secret(PASTED)
    rec_dir = tmp_path / "rec" / "sub"
    recorder = Recorder(rec_dir / "session.jsonl")
    recorder.write(ConnectionChange(at=T0, source="pve_api:lab", node=None, state="failed",
                                    detail=f"bad header {PASTED!r} / {quote_plus(PASTED)}"))
    recorder.close()
    audit_dir = tmp_path / "audit"
    log = AuditLog(audit_dir / "audit.jsonl")
    log.append(AuditEntry(at=T0.isoformat(), operator="root", runbook="r", step="s",
                          kind="note", node=None, iface=None,
                          command=f"curl -H 'X: {FIRST}'", dry_run=False, exit_status=0,
                          output=SECOND, result="done"))
    for directory, file in ((rec_dir, rec_dir / "session.jsonl"),
                            (audit_dir, audit_dir / "audit.jsonl")):
        data = file.read_text()
        assert FIRST not in data and SECOND not in data and "***" in data
        json.loads(data.splitlines()[-1])  # still one valid JSON line
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory


def test_reports_are_private_and_masked(tmp_path: Path) -> None:
    from labconsole.commands.report import write_atomic

    register_secret(PASTED)
    out = tmp_path / "report.md"
    write_atomic(out, f"# Incident\n\nerror: {PASTED!r} and {quote(FIRST)}\n")
    text = out.read_text()
    assert FIRST not in text and SECOND not in text and "***" in text
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


async def test_a_source_that_dies_quoting_the_secret_shows_it_masked() -> None:
    from labconsole.pipeline import Pipeline

    class Leaky:
        name = "pve_api:lab"

        async def run(self, emit: object) -> None:
            raise ValueError(f"Invalid header value b'PVEAPIToken={TOKEN_ID}={PASTED}'")

    register_secret(PASTED)
    pipeline = Pipeline(sources=[Leaky()])  # type: ignore[list-item]
    await pipeline._run_one(Leaky())  # type: ignore[arg-type]
    shown = "\n".join([*pipeline.failures,
                       *(h.detail for h in pipeline.state.health.values())])
    assert "ValueError" in shown and FIRST not in shown and SECOND not in shown
