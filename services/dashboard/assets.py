"""The dashboard's static files (HTML, ES modules, CSS), read once and served from memory."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True, slots=True)
class Asset:
    """One static file: its bytes, content type and a strong ETag."""

    body: bytes
    media_type: str
    etag: str


def load_assets(folder: Path = STATIC) -> dict[str, Asset]:
    """Every servable file of the folder by name; nothing outside it can ever be asked for."""
    assets = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in TYPES:
            body = path.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            assets[path.name] = Asset(body, TYPES[path.suffix], etag)
    return assets
