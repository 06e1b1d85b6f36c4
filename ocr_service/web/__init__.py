"""Server-rendered pages (the clerk desk, the public status page): one Jinja2 environment.

Templates live in ``web/templates/``, assets in ``web/static/`` (shipped as package data; no CDN:
counters sit on closed networks). Autoescaping is on for every HTML template.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

WEB_DIR = Path(__file__).parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

templates = Jinja2Templates(directory=TEMPLATE_DIR)
"""The shared ``Jinja2Templates``; routers render with ``templates.TemplateResponse(request,
name, context)``."""
