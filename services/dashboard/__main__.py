"""`python -m services.dashboard`: where the dashboard is and how to open it."""

from services.settings import DEV_READ_TOKEN, get_settings

settings = get_settings()
print(
    f"""
  Dashboard    http://{settings.host}:{settings.query_port}/dashboard/
               (served by the query service; paste a read token once, e.g. {DEV_READ_TOKEN})
"""
)
