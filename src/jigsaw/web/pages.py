"""Server-rendered pages (placeholder until the web shell lands)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    return HTMLResponse(f"<h1>{title}</h1><p>{message}</p>", status_code=status)


def install(app: FastAPI) -> None:
    """Mount static assets and page routes."""
