"""Run the ingest service: `python -m services.ingest`."""

import uvicorn

from runtime.collector import tune_for_streaming
from runtime.logs import setup_logging
from services.ingest.app import create_app
from services.settings import INGEST_SECRETS, get_settings, refuse_development_defaults

settings = get_settings()
refuse_development_defaults(settings, INGEST_SECRETS)  # before anything listens
setup_logging(settings.log_level)
app = create_app(settings)
# Requests allocate tens of objects an event and the app holds ≈ 85,000 long-lived ones (FastAPI,
# pydantic schemas): frozen, they leave the collector's scans (docs/benchmarks.md, "The
# collector, and two replicas").
tune_for_streaming()
uvicorn.run(
    app,
    host=settings.host,
    port=settings.ingest_port,
    log_level=settings.log_level,
    log_config=None,  # runtime.logs set the JSON lines up
)
