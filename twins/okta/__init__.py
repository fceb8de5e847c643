"""The Okta twin: the Okta Management API's users, lifecycle and groups (see README.md here)."""

from __future__ import annotations

from holdout_twins.okta.twin import OktaTwin

__all__ = ["OktaTwin"]
