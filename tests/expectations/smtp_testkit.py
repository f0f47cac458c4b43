"""A real SMTP server in the test process (aiosmtpd) and helpers to read what it received."""

from __future__ import annotations

import csv
import email
import email.policy
import io
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from aiosmtpd.controller import Controller
from openpyxl import load_workbook

from expectations.registry import load_departments_csv

from tests.expectations.expectations_testkit import DEPARTMENTS_CSV, DIM_STAFF_CSV, free_port

DEPARTMENTS = {d.department_code: d for d in load_departments_csv(DEPARTMENTS_CSV)}
QUALITY_OFFICE = next(d for d in DEPARTMENTS.values() if d.role == "quality_office")
# Recipient key → address: departments by code, counsellors as counsellor:<staff id>.
ADDRESSES = {code: d.email for code, d in DEPARTMENTS.items()} | {
    f"counsellor:{row['staff_id']}": row["email"]
    for row in csv.DictReader(DIM_STAFF_CSV.open(encoding="utf-8"))
    if row["email"]
}
KEY_OF = {address: key for key, address in ADDRESSES.items()}


@dataclass
class Received:
    recipient_key: str
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    def sheets(self) -> dict[str, list[tuple]]:
        attachments = list(self.message.iter_attachments())
        assert len(attachments) == 1 and attachments[0].get_filename().endswith(".xlsx")
        workbook = load_workbook(io.BytesIO(attachments[0].get_content()))
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}

    def everything(self) -> str:
        """Body, HTML and every attachment cell: all a recipient can read."""
        cells = "".join(str(cell) for rows in self.sheets().values() for row in rows for cell in row)
        return self.text + self.message.get_body(("html",)).get_content() + cells


class Collector:
    """Keeps what the server accepted; can refuse (451) or go down (421) on demand."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.accept_only: int | None = None  # after this many messages, answer 421 (server going down)

    async def handle_DATA(self, server, session, envelope):
        if self.accept_only is not None and len(self.received) >= self.accept_only:
            return "421 4.3.2 service shutting down"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for recipient in envelope.rcpt_tos:
            self.received.append(Received(KEY_OF.get(recipient, recipient), message))
        return "250 OK"

    def by_key(self) -> dict[str, list[Received]]:
        grouped: dict[str, list[Received]] = {}
        for item in self.received:
            grouped.setdefault(item.recipient_key, []).append(item)
        return grouped

    def take(self) -> list[Received]:
        taken, self.received = self.received, []
        return taken


@contextmanager
def smtp_server() -> Iterator[tuple[str, Collector]]:
    """(smtp url, collector) of a server listening on a free local port."""
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", collector
    finally:
        controller.stop()
