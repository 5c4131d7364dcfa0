"""The control tower (``/ui``) and the customer portal (``/portal``): server-rendered, Jinja2 + htmx.

``router`` gathers the pages: sign-in and sign-out (:mod:`.signin`), the operators' control tower
(:mod:`.tower`) with its business board (:mod:`.business`) and work queues (:mod:`.work`), partner credentials (:mod:`.credentials`), the customers' portal (:mod:`.portal`) and static files (:mod:`.assets`). Sessions,
roles and CSRF are in :mod:`.session` and :mod:`.common`; what pages show is assembled in :mod:`.views`.
The web layer reads through ``hub.store`` methods and never imports ``tradelane.store``.
"""

from __future__ import annotations

from fastapi import APIRouter

from tradelane.web import assets, credentials, portal, signin, tower, work

__all__ = ["router"]

router = APIRouter()
router.include_router(assets.router)
router.include_router(signin.router)
router.include_router(tower.router)
router.include_router(work.router)
router.include_router(credentials.router)
router.include_router(portal.router)
