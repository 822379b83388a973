"""Run the query service: `python -m services.query`."""

import uvicorn

from services.query.app import create_app
from services.settings import get_settings

settings = get_settings()
uvicorn.run(
    create_app(settings), host=settings.host, port=settings.query_port, log_level=settings.log_level
)
