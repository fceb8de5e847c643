"""The Slack twin: Slack's authentication, error shape, rate limits and token format."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from holdout_twins.core import (
    ALNUM,
    Delivery,
    Generic,
    RateLimit,
    Request,
    Response,
    ServiceError,
    Twin,
    check_url,
    json_response,
)
from holdout_twins.slack import events as slack_events
from holdout_twins.slack.control import control_router
from holdout_twins.slack.description import follow_documented_behaviour
from holdout_twins.slack.people import SlackPerson
from holdout_twins.slack.routes import router, slack_error
from holdout_twins.slack.state import App, Conversation, Message, Team, User, Workspace

# Slack's documented tiers, in calls per minute per method and workspace.
TIER_2, TIER_3, TIER_4 = RateLimit(20, 60.0), RateLimit(50, 60.0), RateLimit(100, 60.0)

# What the core's own errors look like in Slack: HTTP status and ``error`` code.
_GENERIC_ERRORS: dict[str, tuple[int | None, str]] = {
    Generic.NOT_FOUND: (404, "unknown_method"),
    Generic.METHOD_NOT_ALLOWED: (405, "method_not_allowed"),
    Generic.INVALID_JSON: (200, "invalid_json"),
    Generic.JSON_NOT_OBJECT: (200, "json_not_object"),
    Generic.INVALID_FORM: (200, "invalid_form_data"),
    Generic.BAD_REQUEST: (400, "invalid_form_data"),
    Generic.UNSUPPORTED_MEDIA_TYPE: (200, "invalid_post_type"),
    Generic.PAYLOAD_TOO_LARGE: (413, "request_too_large"),
    Generic.RATE_LIMITED: (429, "ratelimited"),
    Generic.INJECTED_FAULT: (None, "fatal_error"),  # None: keep the injected status
    Generic.INTERNAL: (500, "fatal_error"),
}


class SlackTwin(Twin):
    """The Slack Web API under ``/api/<method>``, for ``WebClient(base_url=base_url + "/api/")``.

    ``twin.token`` is a bot token (``xoxb-``) acting as the workspace's bot user;
    ``twin.issue_token("U...")`` gives a user token (``xoxp-``) acting as that user.
    ``twin.subscribe(url)`` turns the Events API on; ``twin.act_as("alice")`` acts as a person.
    """

    name = "slack"
    router = router
    control_router = control_router
    person_class = SlackPerson
    api_description = "slack-web-openapi-v2.json"

    @classmethod
    def correct_description(cls, document: dict[str, Any]) -> None:
        follow_documented_behaviour(document)

    seed_path = Path(__file__).with_name("seed.yaml")
    default_rate_limits: ClassVar[dict[str, RateLimit]] = {
        "auth.test": TIER_4,
        "chat.postMessage": RateLimit(60, 60.0),  # "about one message per second per channel"
        "chat.update": TIER_3,
        "chat.delete": TIER_3,
        "conversations.create": TIER_2,
        "conversations.list": TIER_2,
        "conversations.info": TIER_3,
        "conversations.history": TIER_3,
        "conversations.replies": TIER_3,
        "conversations.join": TIER_3,
        "conversations.invite": TIER_3,
        "conversations.members": TIER_4,
        "users.list": TIER_2,
        "users.info": TIER_4,
        "users.lookupByEmail": TIER_3,
        "reactions.add": TIER_3,
        "reactions.get": TIER_3,
    }
    state: Workspace

    def build_state(self, seed_data: dict[str, Any]) -> Workspace:
        now = int(self.clock.now())
        bot = seed_data["bot"]
        app = App(**{"events": list(slack_events.EVENT_TYPES), **seed_data["app"]})
        if app.request_url is not None:  # a seeded URL was verified when it was saved
            check_url(app.request_url)
        workspace = Workspace(Team(**seed_data["team"]), bot["user"], bot["bot_id"], app)
        workspace.users[bot["user"]] = User(
            bot["user"], bot["name"], bot.get("real_name", bot["name"]), is_bot=True, updated=now
        )
        for fields in seed_data.get("users", []):
            workspace.users[fields["id"]] = User(**fields, updated=now)
        for fields in seed_data.get("channels", []):
            fields = dict(fields)
            messages = fields.pop("messages", [])
            conversation = Conversation(**{"creator": bot["user"], "created": now, **fields})
            workspace.conversations[conversation.id] = conversation
            for message in messages:
                self.add_message(workspace, conversation, message["user"], message["text"])
        return workspace

    def default_principal(self) -> str:
        return self.state.bot_user

    # --- the Events API ---------------------------------------------------------------------------
    def subscribe(
        self, request_url: str, events: Iterable[str] | None = None, *, timeout: float | None = None
    ) -> Delivery:
        """Deliver ``events`` (default: every type the twin knows) to ``request_url`` once it
        passes the ``url_verification`` challenge, which this returns (``SubscriptionError`` if
        it fails). ``timeout``: the seconds the app has to answer (3 by default, as on Slack)."""
        return slack_events.subscribe(self, request_url, events, timeout)

    @property
    def signing_secret(self) -> str:
        """The app's signing secret: what the app verifies the twin's requests with."""
        return self.state.app.signing_secret

    def new_token(self, principal: Any) -> str:
        kind = "xoxb" if principal == self.state.bot_user else "xoxp"
        digits = "0123456789"
        return (
            f"{kind}-{self.ids.string(12, digits)}-{self.ids.string(13, digits)}-"
            f"{self.ids.string(24, ALNUM)}"
        )

    def authenticate(self, request: Request) -> str:
        """Slack takes the token from ``Authorization: Bearer`` or a ``token`` parameter."""
        token = request.bearer_token() or request.params().get("token")
        if not token:
            raise slack_error("not_authed")
        if token not in self.tokens:
            raise slack_error("invalid_auth")
        return self.tokens[token]

    def error_response(self, error: ServiceError) -> Response:
        status, code = _GENERIC_ERRORS.get(error.code, (error.status, error.code))
        body: dict[str, Any] = {"ok": False, "error": code, **error.extra}
        if error.code == Generic.NOT_FOUND:
            body["req_method"] = error.message.rsplit("/", 1)[-1]
        return json_response(body, error.status if status is None else status, error.headers)

    # --- used by the handlers and the seed --------------------------------------------------------
    def new_ts(self) -> str:
        """A message timestamp, ``"<seconds>.<6 digits>"``, unique even on the frozen clock."""
        second = int(self.clock.now())
        return f"{second}.{self.ids.next(f'ts:{second}'):06d}"

    def add_message(
        self, workspace: Workspace, conversation: Conversation, user: str, text: str, **fields: Any
    ) -> Message:
        """A new message at the end of ``conversation``, with a fresh ``ts``."""
        bot_id = workspace.bot_id if user == workspace.bot_user else None
        message = Message(self.new_ts(), user, text, bot_id=bot_id, **fields)
        conversation.messages[message.ts] = message
        if not message.is_reply or message.subtype == "thread_broadcast":
            conversation.timeline.append(message.ts)
        return message
