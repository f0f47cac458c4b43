"""Getting a composed e-mail out: an outbox folder of .eml files, or an SMTP server.

SMTP URLs: `smtp://host:25`, `smtp+starttls://user:pass@host:587`, `smtps://user:pass@host:465`,
each optionally with `?from=address` (the sender; otherwise the user name if it is an address).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

SECURITY_BY_SCHEME = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "ssl"}
DEFAULT_PORTS = {"plain": 25, "starttls": 587, "ssl": 465}


class DeliveryError(RuntimeError):
    """The e-mail could not be delivered; nothing was marked as sent."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # 'plain', 'starttls' or 'ssl'
    username: str | None = None
    password: str | None = None
    sender: str | None = None

    def __repr__(self) -> str:  # never print the password into logs
        return f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, username={self.username!r}, sender={self.sender!r})"


def parse_smtp_url(url: str) -> SmtpSettings:
    parts = urlsplit(url)
    security = SECURITY_BY_SCHEME.get(parts.scheme.lower())
    if security is None:
        raise ValueError(f"不支持的 SMTP 地址协议 {parts.scheme!r}：应为 smtp、smtp+starttls 或 smtps")
    if not parts.hostname:
        raise ValueError("SMTP 地址缺少主机名")
    query = parse_qs(parts.query)
    username = unquote(parts.username) if parts.username else None
    sender = query.get("from", [None])[0]
    if sender is None and username and "@" in username:
        sender = username
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[security],
        security=security,
        username=username,
        password=unquote(parts.password) if parts.password else None,
        sender=sender,
    )


def write_to_outbox(message: EmailMessage, outbox: Path, file_stem: str) -> Path:
    """Write `<outbox>/<file_stem>.eml` atomically: readers never see half a file."""
    outbox = Path(outbox)
    outbox.mkdir(parents=True, exist_ok=True)
    target = outbox / f"{file_stem}.eml"
    descriptor, temporary = tempfile.mkstemp(dir=outbox, prefix=f".{file_stem}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(message.as_bytes(policy=SMTP_POLICY))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _is_transient(error: Exception) -> bool:
    """Worth another try: the network, a dropped connection or a 4xx reply."""
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, (OSError, smtplib.SMTPServerDisconnected))


def server_unavailable(error: BaseException) -> bool:
    """The server itself is unreachable or closing (not one recipient refused): trying the
    next recipient now would only wait through the same retries."""
    cause = error.__cause__ if isinstance(error, DeliveryError) and error.__cause__ else error
    if isinstance(cause, smtplib.SMTPResponseException):
        return cause.smtp_code == 421
    return isinstance(cause, OSError)


def _send_once(message: EmailMessage, settings: SmtpSettings, timeout: float) -> None:
    if settings.security == "ssl":
        connection = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with connection:
        if settings.security == "starttls":
            connection.starttls(context=ssl.create_default_context())
        if settings.username:
            connection.login(settings.username, settings.password or "")
        connection.send_message(message)


def send_via_smtp(
    message: EmailMessage,
    settings: SmtpSettings,
    retries: int = 3,
    backoff_seconds: float = 2.0,
    timeout: float = 30.0,
) -> None:
    """Send with up to `retries` further attempts on transient errors, waiting longer each time."""
    for attempt in range(retries + 1):
        try:
            _send_once(message, settings, timeout)
            return
        except (smtplib.SMTPException, OSError) as error:
            if not _is_transient(error) or attempt == retries:
                raise DeliveryError(
                    f"发送到 {message['To']} 失败（{settings.host}:{settings.port}，第 {attempt + 1} 次尝试）：{error}"
                ) from error
            time.sleep(backoff_seconds * 2**attempt)


def deliver(
    message: EmailMessage,
    outbox: Path,
    settings: SmtpSettings | None,
    file_stem: str,
    *,
    retries: int = 3,
    backoff_seconds: float = 2.0,
) -> Path | None:
    """Over SMTP when configured, else into the outbox; returns the .eml path in the outbox case.

    Raises DeliveryError (or OSError for the outbox) when it could not be delivered.
    """
    if settings is None:
        return write_to_outbox(message, outbox, file_stem)
    send_via_smtp(message, settings, retries=retries, backoff_seconds=backoff_seconds)
    return None
