"""The dashboard's pages (one HTML shell, the page picked by its path) and static assets."""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from services.dashboard.assets import load_assets
from services.dashboard.client_config import client_config
from services.settings import Settings

PAGES = ("funnel", "health", "leads", "points", "risk")
# Everything comes from this origin; data goes into the DOM as text, never as markup.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none';"
    " base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def pages_router(settings: Settings) -> APIRouter:
    """GET /dashboard/… : the pages (no token needed: they hold no data) and their assets."""
    assets = load_assets()
    shell = assets.pop("index.html").body.decode()
    config = client_config(settings)
    router = APIRouter(prefix="/dashboard", include_in_schema=False)

    def page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        settings_json = json.dumps({**config, "base": f"{root}/dashboard", "api": root})
        html = shell.replace("{{ROOT}}", root).replace(
            "{{CONFIG}}", settings_json.replace("<", "\\u003c")
        )
        return HTMLResponse(html, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    @router.get("")
    @router.get("/")
    async def home(request: Request) -> RedirectResponse:
        """The funnel is the front page."""
        return RedirectResponse(f"{request.scope.get('root_path', '')}/dashboard/funnel")

    for name in PAGES:
        router.add_api_route(f"/{name}", page, methods=["GET"], name=f"dashboard_{name}")
    router.add_api_route("/leads/{lead_id}", page, methods=["GET"], name="dashboard_lead")
    router.add_api_route("/reps/{owner}", page, methods=["GET"], name="dashboard_rep")

    @router.get("/static/{name}")
    async def static(request: Request, name: str) -> Response:
        """One static file, revalidated by ETag."""
        asset = assets.get(name)
        if asset is None:
            raise HTTPException(404, f"no asset {name}")
        headers = {**SECURITY_HEADERS, "ETag": asset.etag, "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == asset.etag:
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)

    return router
