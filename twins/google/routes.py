"""Every route of the Google twin: the token endpoint, then Drive, Docs and Sheets."""

from __future__ import annotations

from holdout_twins.core import Router
from holdout_twins.google import oauth
from holdout_twins.google.docs.routes import router as docs
from holdout_twins.google.drive.routes import router as drive
from holdout_twins.google.sheets.routes import router as sheets

router = Router()
for api in (oauth.router, drive, docs, sheets):
    router.routes.extend(api.routes)
