"""Each alert sink against a real local server: HTTP (webhook, ntfy, Gotify), SMTP
(aiosmtpd) and a real command; a sink that is down is retried and its failure shown."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timezone
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path

import pytest

from labconsole.alert.command import CommandSink
from labconsole.alert.dispatch import AlertDispatcher, AlertPolicy, Delivery
from labconsole.alert.http import GotifySink, NtfySink, WebhookSink
from labconsole.alert.mail import MailSink
from labconsole.alert.message import IncidentAlert
from labconsole.alert.sink import DeliveryError
from labconsole.alert.text import body, subject
from tests.alert_servers import closed_port, http_server, smtp_server

T0 = datetime(2025, 11, 8, 6, 19, 2, tzinfo=timezone.utc)
HOSTILE = "e1000e eno1: Detected\x1b]0;pwned\x07 Hang\r\n06:30 FAKE; $(touch PWNED) `id` \u202e"


def alert(change: str = "started", evidence: tuple[str, ...] = ()) -> IncidentAlert:
    return IncidentAlert(
        change=change, incident_id="incident-20251108T061902Z", number=2, start=T0,  # type: ignore[arg-type]
        at=T0, status="ongoing", cause_kind="stuck_tx_ring",
        cause="stuck TX ring on pve03 eno1 (e1000e), TDH frozen at <f6> for 5 reports",
        evidence=evidence or ("06:19:02-06:19:10 5 x 'Detected Hardware Unit Hang' on pve03",
                              HOSTILE),
        nodes=("pve03",), outstanding=("pve03 out of the votes",))


def test_text_shows_control_characters_as_escapes() -> None:
    text = body(alert())
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert "\\x1b]0;pwned\\x07" in text and "\\r\\n06:30 FAKE" in text and "<U+202E>" in text
    assert subject(alert()).startswith("labconsole: incident 2 started: stuck TX ring on pve03")


async def test_webhook_posts_the_alert_as_json() -> None:
    with http_server() as srv:
        await WebhookSink("hook", srv.url + "/hook").send(alert())
    (req,) = srv.requests
    assert req.path == "/hook" and req.headers["Content-Type"] == "application/json"
    data = json.loads(req.body)
    assert data["source"] == "labconsole"
    assert data["alert"]["change"] == "started"
    assert data["alert"]["cause_kind"] == "stuck_tx_ring"
    assert data["alert"]["evidence"][1] == HOSTILE  # JSON carries the text as data
    assert data["subject"] == subject(alert())


async def test_ntfy_posts_text_with_title_priority_and_token(tmp_path: Path) -> None:
    with http_server() as srv:
        await NtfySink("phone", srv.url + "/labconsole", token=lambda: "tk_secret").send(
            alert())
    (req,) = srv.requests
    assert req.path == "/labconsole"
    assert req.headers["Title"].startswith("labconsole: incident 2 started: stuck TX ring")
    assert req.headers["Priority"] == "high"
    assert req.headers["Authorization"] == "Bearer tk_secret"
    text = req.body.decode()
    assert "cause: stuck TX ring on pve03 eno1" in text and "\x1b" not in text


async def test_gotify_posts_to_message_with_app_token() -> None:
    with http_server() as srv:
        await GotifySink("gotify", srv.url + "/", token=lambda: "AppTok").send(alert("ended"))
    (req,) = srv.requests
    assert req.path == "/message" and req.headers["X-Gotify-Key"] == "AppTok"
    data = json.loads(req.body)
    assert data["title"].startswith("labconsole: incident 2 ended")
    assert data["priority"] == 4 and "evidence:" in data["message"]


async def test_http_error_status_is_a_failed_attempt_named_with_its_status() -> None:
    with http_server(statuses=[503]) as srv, pytest.raises(DeliveryError, match="HTTP 503"):
        await WebhookSink("hook", srv.url).send(alert())


async def test_smtp_sends_one_mail_with_cause_and_evidence() -> None:
    with smtp_server() as srv:
        sink = MailSink("mail", srv.host, "labconsole@lab.example", ("ops@lab.example",),
                        port=srv.port, security="none")
        await sink.send(alert())
        await asyncio.sleep(0)
    (env,) = srv.messages
    assert env.mail_from == "labconsole@lab.example" and env.rcpt_tos == ["ops@lab.example"]
    msg = message_from_bytes(env.content, policy=email_policy)
    assert str(msg["Subject"]).startswith("labconsole: incident 2 started: stuck TX ring")
    assert msg["X-Labconsole-Incident"] == "incident-20251108T061902Z"
    text = msg.get_content()
    assert "cause: stuck TX ring on pve03 eno1" in text and "\x1b" not in text


async def test_smtp_server_down_is_a_delivery_error() -> None:
    sink = MailSink("mail", "127.0.0.1", "a@lab.example", ("b@lab.example",),
                    port=closed_port(), security="none", timeout=5)
    with pytest.raises(DeliveryError, match=r"SMTP 127\.0\.0\.1"):
        await sink.send(alert())


def hook_script(tmp_path: Path, exit_status: int = 0) -> tuple[list[str], Path]:
    out = tmp_path / "hook-out.json"
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, os, sys\n"
        f"out = {str(out)!r}\n"
        "data = sys.stdin.read()\n"
        "env = {k: v for k, v in os.environ.items() if k.startswith('LABCONSOLE_')}\n"
        "json.dump({'argv': sys.argv[1:], 'stdin': data, 'env': env}, open(out, 'w'))\n"
        f"sys.stderr.write('paging failed\\x1b[2J')\n"
        f"sys.exit({exit_status})\n")
    return [sys.executable, str(script), "--fixed", "$(not expanded)"], out


async def test_command_gets_the_alert_as_data_never_in_argv(tmp_path: Path) -> None:
    argv, out = hook_script(tmp_path)
    await CommandSink("hook", tuple(argv)).send(alert())
    seen = json.loads(out.read_text())
    assert seen["argv"] == ["--fixed", "$(not expanded)"]  # exactly the configured list
    assert json.loads(seen["stdin"])["evidence"][1] == HOSTILE
    assert seen["env"]["LABCONSOLE_ALERT_CHANGE"] == "started"
    assert seen["env"]["LABCONSOLE_ALERT_CAUSE_KIND"] == "stuck_tx_ring"
    assert "\x1b" not in json.dumps(seen["env"])
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


async def test_command_failure_names_its_exit_status(tmp_path: Path) -> None:
    argv, _ = hook_script(tmp_path, exit_status=3)
    with pytest.raises(DeliveryError, match=r"exited with status 3: paging failed\\x1b\[2J"):
        await CommandSink("hook", tuple(argv)).send(alert())


async def test_command_that_hangs_is_killed_at_its_timeout(tmp_path: Path) -> None:
    sink = CommandSink("slow", (sys.executable, "-c", "import time; time.sleep(60)"),
                       timeout=0.5)
    with pytest.raises(DeliveryError, match=r"did not finish within 0\.5 s"):
        await sink.send(alert())


class _Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def dispatch(sinks: list, policy: AlertPolicy, alerts: list[IncidentAlert]
                   ) -> tuple[list[Delivery], _Sleeps]:
    results: list[Delivery] = []

    async def on_result(d: Delivery) -> None:
        results.append(d)

    sleeps = _Sleeps()
    dispatcher = AlertDispatcher(sinks, on_result, policy=policy, sleep=sleeps)
    dispatcher.start()
    for a in alerts:
        dispatcher.submit(a)
    await dispatcher.drain()
    await dispatcher.stop()
    return results, sleeps


async def test_a_sink_that_is_down_is_retried_with_backoff_then_reported_failed() -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook"
    policy = AlertPolicy(retries=3, retry_delay=1.0, retry_max_delay=3.0)
    results, sleeps = await dispatch([WebhookSink("hook", url, timeout=5)], policy, [alert()])
    (d,) = results
    assert d.outcome == "failed" and d.attempts == 4 and d.sink == "hook"
    assert "cannot reach" in d.error and "Connection refused" in d.error
    assert sleeps.delays == [1.0, 2.0, 3.0]  # doubled each time, capped


async def test_a_sink_that_recovers_gets_the_alert_on_a_retry() -> None:
    with http_server(statuses=[500, 502, 200]) as srv:
        results, sleeps = await dispatch([WebhookSink("hook", srv.url)],
                                         AlertPolicy(retries=4, retry_delay=0.5), [alert()])
    (d,) = results
    assert d.outcome == "delivered" and d.attempts == 3
    assert len(srv.requests) == 3 and len(sleeps.delays) == 2


async def test_duplicates_are_dropped_and_the_rate_limit_suppresses() -> None:
    started = alert("started")
    others = [alert("cause_changed"), alert("ended")]
    with http_server() as srv:
        results, _ = await dispatch([WebhookSink("hook", srv.url)],
                                    AlertPolicy(rate_limit=2, rate_window=3600),
                                    [started, started, *others])
    outcomes = sorted((d.alert.change, d.outcome) for d in results)
    assert outcomes == [("cause_changed", "delivered"), ("ended", "suppressed"),
                        ("started", "delivered"), ("started", "duplicate")]
    assert len(srv.requests) == 2


async def test_one_sink_down_does_not_stop_the_others() -> None:
    with http_server() as srv:
        down = WebhookSink("down", f"http://127.0.0.1:{closed_port()}/", timeout=5)
        results, _ = await dispatch([down, WebhookSink("up", srv.url)],
                                    AlertPolicy(retries=1, retry_delay=0.1), [alert()])
    by_sink = {d.sink: d.outcome for d in results}
    assert by_sink == {"down": "failed", "up": "delivered"}
    assert len(srv.requests) == 1
