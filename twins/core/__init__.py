"""The digital-twin framework: what every twin shares. See docs/twins.md, "Writing a new twin".

A twin is a ``Twin`` subclass with a ``Router`` of handlers and a ``build_state`` hook; the rest
(HTTP server, auth order, rate limits, faults, journal, clock, ids, seed data, snapshot/reset and
the ``/_twin/`` control endpoint) comes from here.
"""

from __future__ import annotations

from holdout_twins.core.clock import DEFAULT_EPOCH, Clock
from holdout_twins.core.control import control_body
from holdout_twins.core.errors import Generic, ServiceError
from holdout_twins.core.events import (
    Answer,
    Attempt,
    Deliveries,
    Delivery,
    DeliveryError,
    RetryPolicy,
    check_url,
)
from holdout_twins.core.faults import Fault, Faults
from holdout_twins.core.http import (
    FORM_TYPE,
    JSON_TYPE,
    Headers,
    Request,
    Response,
    json_response,
    sse_event,
    stream,
)
from holdout_twins.core.ids import ALNUM, LOWER_ALNUM, UPPER_ALNUM, IdSource
from holdout_twins.core.journal import Entry, Journal
from holdout_twins.core.pagination import Page, decode_cursor, encode_cursor, page
from holdout_twins.core.people import ActionRefused, Person, UnknownPerson
from holdout_twins.core.ratelimit import LimitStatus, RateLimit, RateLimits
from holdout_twins.core.router import Route, Router
from holdout_twins.core.seed import SeedError, load_seed
from holdout_twins.core.tls import LocalCA, TLSError
from holdout_twins.core.twin import Snapshot, Twin

__all__ = [
    "ALNUM",
    "DEFAULT_EPOCH",
    "FORM_TYPE",
    "JSON_TYPE",
    "LOWER_ALNUM",
    "UPPER_ALNUM",
    "ActionRefused",
    "Answer",
    "Attempt",
    "Clock",
    "Deliveries",
    "Delivery",
    "DeliveryError",
    "Entry",
    "Fault",
    "Faults",
    "Generic",
    "Headers",
    "IdSource",
    "Journal",
    "LimitStatus",
    "LocalCA",
    "Page",
    "Person",
    "RateLimit",
    "RateLimits",
    "Request",
    "Response",
    "RetryPolicy",
    "Route",
    "Router",
    "SeedError",
    "ServiceError",
    "Snapshot",
    "TLSError",
    "Twin",
    "UnknownPerson",
    "check_url",
    "control_body",
    "decode_cursor",
    "encode_cursor",
    "json_response",
    "load_seed",
    "page",
    "sse_event",
    "stream",
]
