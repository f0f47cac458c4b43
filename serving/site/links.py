"""Where each page of the report site lives, so every other piece can link to it.

One page per entity at `<entity type>/<id>.html` below the site folder; the digests and
the drafts link to the same paths under the configured base URL (ZHENGAI_REPORTS_BASE_URL).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

SAFE_ID = re.compile(r"^[0-9A-Za-z_.-]+$")
# Entity types of the registry without a page of their own, and the page that shows them.
SHOWN_ON = {"department": "index.html#achievement"}


def file_name(entity_id: str) -> str:
    """The id itself when it is safe in a file name and a URL, else a readable stem plus a short hash."""
    if SAFE_ID.match(entity_id) and not entity_id.startswith("."):
        return f"{entity_id}.html"
    stem = re.sub(r"[^0-9A-Za-z_.-]+", "_", entity_id).strip("._")[:40]
    return f"{stem}-{hashlib.sha1(entity_id.encode('utf-8')).hexdigest()[:8]}.html"


def page_path(entity_type: str, entity_id: str) -> str:
    """Path of an entity's page relative to the site folder."""
    if entity_type in SHOWN_ON:
        return SHOWN_ON[entity_type]
    return f"{entity_type}/{file_name(entity_id)}"


def default_base_url(site: Path) -> str:
    return Path(site).resolve().as_uri() + "/"


def page_url(base_url: str, entity_type: str, entity_id: str) -> str:
    return base_url.rstrip("/") + "/" + page_path(entity_type, entity_id)
