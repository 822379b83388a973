"""Run the ingest service: `python -m services.ingest`."""

import uvicorn

from services.ingest.app import create_app
from services.settings import get_settings

settings = get_settings()
uvicorn.run(
    create_app(settings),
    host=settings.host,
    port=settings.ingest_port,
    log_level=settings.log_level,
)
