"""The Slack Web API methods the twin implements, one handler each, under ``/api/<method>``."""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from holdout_twins.core import Request, Router, ServiceError, decode_cursor, encode_cursor, page
from holdout_twins.slack import events
from holdout_twins.slack.state import Conversation, Message

if TYPE_CHECKING:
    from holdout_twins.slack.twin import SlackTwin

T = TypeVar("T")
router = Router()

MAX_TEXT = 40_000  # characters; Slack truncates longer texts, the API answers msg_too_long
CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")
EMOJI_NAME = re.compile(r"[a-z0-9_+'-]+")


def method(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a Web API method. Slack accepts GET and POST for every method."""
    return router.route(f"/api/{name}", ("GET", "POST"), name=name)


def slack_error(code: str, **extra: Any) -> ServiceError:
    """A Slack API error: HTTP 200 with ``{"ok": false, "error": code, ...extra}``."""
    return ServiceError(200, code, extra=extra)


# --- reading parameters (form values are strings, JSON values may be typed) ----------------------
def _flag(params: dict[str, Any], name: str) -> bool:
    return params.get(name) in (True, 1, "1", "true", "True")


def _text(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    return None if value is None or value == "" else str(value)


def _json_list(params: dict[str, Any], name: str, error: str) -> list[Any] | None:
    """Blocks and attachments: a JSON array, sent as a string in a form body."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise slack_error(error) from None
    if not isinstance(value, list):
        raise slack_error(error)
    return value


def _id_list(params: dict[str, Any], name: str) -> list[str]:
    """A list of ids: comma-separated in a form, a string or an array in JSON."""
    value = params.get(name) or []
    items = value.split(",") if isinstance(value, str) else value
    return [str(item).strip() for item in items if str(item).strip()]


def _timestamp(params: dict[str, Any], name: str, default: float, error: str) -> float:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise slack_error(error) from None


def _paginate(
    items: Sequence[T], params: dict[str, Any], default: int, maximum: int, kind: str
) -> tuple[list[T], str]:
    """One page and Slack's ``next_cursor`` ("" on the last page). A limit of 0 means default."""
    try:
        limit = int(params.get("limit") or 0) or default
    except (TypeError, ValueError):
        raise slack_error("invalid_limit") from None
    if limit < 0:
        raise slack_error("invalid_limit")
    offset = 0
    cursor = params.get("cursor")
    if cursor:
        decoded = decode_cursor(str(cursor), kind)
        if decoded is None:
            raise slack_error("invalid_cursor")
        offset = decoded
    result = page(items, offset, min(limit, maximum))
    following = "" if result.next_offset is None else encode_cursor(result.next_offset, kind)
    return result.items, following


# --- finding things -------------------------------------------------------------------------------
def _conversation(twin: SlackTwin, request: Request, *, by_name: bool = False) -> Conversation:
    """The ``channel`` parameter's conversation, as the caller may see it."""
    workspace = twin.state
    wanted = _text(request.params(), "channel")
    if wanted is None:
        raise slack_error("channel_not_found")
    found = workspace.conversations.get(wanted)
    if found is None and by_name:  # chat.postMessage also takes "#general" or "general"
        name = wanted.removeprefix("#")
        found = next((c for c in workspace.conversations.values() if c.name == name), None)
    if found is None or not workspace.visible_to(found, request.principal):
        raise slack_error("channel_not_found")
    return found


def _message(conversation: Conversation, ts: str | None, error: str) -> Message:
    found = conversation.messages.get(ts or "")
    if found is None:
        raise slack_error(error)
    return found


def _window(params: dict[str, Any]) -> tuple[float, float, bool]:
    """``oldest``, ``latest`` and whether they are ``inclusive`` (by default they are not)."""
    oldest = _timestamp(params, "oldest", 0.0, "invalid_ts_oldest")
    latest = _timestamp(params, "latest", float("inf"), "invalid_ts_latest")
    return oldest, latest, _flag(params, "inclusive")


def _in_window(messages: list[Message], params: dict[str, Any]) -> list[Message]:
    """The messages inside the ``oldest``/``latest`` window."""
    oldest, latest, inclusive = _window(params)
    if inclusive:
        return [m for m in messages if oldest <= float(m.ts) <= latest]
    return [m for m in messages if oldest < float(m.ts) < latest]


def _with_cursor(body: dict[str, Any], next_cursor: str) -> dict[str, Any]:
    body["response_metadata"] = {"next_cursor": next_cursor}
    return body


# --- auth -----------------------------------------------------------------------------------------
@method("auth.test")
def auth_test(twin: SlackTwin, request: Request) -> dict[str, Any]:
    workspace = twin.state
    user = workspace.users[request.principal]
    body: dict[str, Any] = {
        "ok": True,
        "url": workspace.team.url,
        "team": workspace.team.name,
        "user": user.name,
        "team_id": workspace.team.id,
        "user_id": user.id,
        "is_enterprise_install": False,
    }
    if user.is_bot:
        body["bot_id"] = workspace.bot_id
    return body


# --- chat -----------------------------------------------------------------------------------------
@method("chat.postMessage")
def chat_post_message(twin: SlackTwin, request: Request) -> dict[str, Any]:
    params = request.params()
    conversation = _conversation(twin, request, by_name=True)
    if conversation.is_archived:
        raise slack_error("is_archived")
    if request.principal not in conversation.members:
        raise slack_error("not_in_channel")
    text = _text(params, "text") or ""
    blocks = _json_list(params, "blocks", "invalid_blocks")
    attachments = _json_list(params, "attachments", "invalid_attachments")
    if not text and not blocks and not attachments:
        raise slack_error("no_text")
    if len(text) > MAX_TEXT:
        raise slack_error("msg_too_long")
    fields: dict[str, Any] = {"blocks": blocks, "attachments": attachments}
    parent = conversation.messages.get(_text(params, "thread_ts") or "")
    if parent is not None:  # a thread_ts that names no message posts to the channel, as Slack does
        root = conversation.messages[parent.thread_ts] if parent.is_reply else parent  # type: ignore[index]
        fields["thread_ts"] = root.ts
        if _flag(params, "reply_broadcast"):
            fields["subtype"] = "thread_broadcast"
    message = twin.add_message(twin.state, conversation, request.principal, text, **fields)
    if parent is not None:
        root.thread_ts = root.ts
        root.replies.append(message.ts)
    events.message_posted(twin, conversation, message)
    return {
        "ok": True,
        "channel": conversation.id,
        "ts": message.ts,
        "message": message.to_api(twin.state.team, conversation),
    }


@method("chat.update")
def chat_update(twin: SlackTwin, request: Request) -> dict[str, Any]:
    params = request.params()
    conversation = _conversation(twin, request)
    message = _message(conversation, _text(params, "ts"), "message_not_found")
    if message.user != request.principal:
        raise slack_error("cant_update_message")
    text = _text(params, "text")
    blocks = _json_list(params, "blocks", "invalid_blocks")
    attachments = _json_list(params, "attachments", "invalid_attachments")
    if text is None and blocks is None and attachments is None:
        raise slack_error("no_text")
    if text is not None and len(text) > MAX_TEXT:
        raise slack_error("msg_too_long")
    message.text = text if text is not None else message.text
    message.blocks = blocks if blocks is not None else message.blocks
    message.attachments = attachments if attachments is not None else message.attachments
    message.edited = {"user": request.principal, "ts": twin.new_ts()}
    return {
        "ok": True,
        "channel": conversation.id,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_api(twin.state.team, conversation),
    }


@method("chat.delete")
def chat_delete(twin: SlackTwin, request: Request) -> dict[str, Any]:
    conversation = _conversation(twin, request)
    message = _message(conversation, _text(request.params(), "ts"), "message_not_found")
    if message.user != request.principal:
        raise slack_error("cant_delete_message")
    del conversation.messages[message.ts]
    if message.ts in conversation.timeline:
        conversation.timeline.remove(message.ts)
    if message.is_reply:
        conversation.messages[message.thread_ts].replies.remove(message.ts)  # type: ignore[index]
    return {"ok": True, "channel": conversation.id, "ts": message.ts}


# --- conversations --------------------------------------------------------------------------------
@method("conversations.create")
def conversations_create(twin: SlackTwin, request: Request) -> dict[str, Any]:
    params = request.params()
    name = _text(params, "name")
    if name is None:
        raise slack_error("invalid_name_required")
    if len(name) > 80:
        raise slack_error("invalid_name_maxlength")
    if not CHANNEL_NAME.fullmatch(name):
        raise slack_error("invalid_name_specials")
    if not re.search(r"[a-z0-9]", name):
        raise slack_error("invalid_name_punctuation")
    if any(existing.name == name for existing in twin.state.conversations.values()):
        raise slack_error("name_taken")
    conversation = Conversation(
        id=twin.ids.string(10, prefix="C"),
        name=name,
        creator=request.principal,
        created=int(twin.clock.now()),
        is_private=_flag(params, "is_private"),
        members=[request.principal],
    )
    twin.state.conversations[conversation.id] = conversation
    return {"ok": True, "channel": conversation.to_api(request.principal)}


@method("conversations.list")
def conversations_list(twin: SlackTwin, request: Request) -> dict[str, Any]:
    params = request.params()
    types = set(_id_list(params, "types") or ["public_channel"])
    unknown = types - {"public_channel", "private_channel", "mpim", "im"}
    if unknown:
        raise slack_error("invalid_types")
    wanted = [
        conversation
        for conversation in twin.state.conversations.values()
        if ("private_channel" if conversation.is_private else "public_channel") in types
        and twin.state.visible_to(conversation, request.principal)
        and not (conversation.is_archived and _flag(params, "exclude_archived"))
    ]
    chosen, following = _paginate(wanted, params, 100, 1000, "channels")
    channels = [conversation.to_api(request.principal) for conversation in chosen]
    return _with_cursor({"ok": True, "channels": channels}, following)


@method("conversations.info")
def conversations_info(twin: SlackTwin, request: Request) -> dict[str, Any]:
    conversation = _conversation(twin, request)
    counted = _flag(request.params(), "include_num_members")
    return {"ok": True, "channel": conversation.to_api(request.principal, num_members=counted)}


@method("conversations.history")
def conversations_history(twin: SlackTwin, request: Request) -> dict[str, Any]:
    params = request.params()
    conversation = _conversation(twin, request)
    if request.principal not in conversation.members:
        raise slack_error("not_in_channel")
    oldest, latest, inclusive = _window(params)
    timeline = conversation.timeline
    start = (bisect_left if inclusive else bisect_right)(timeline, oldest, key=float)
    end = (bisect_right if inclusive else bisect_left)(timeline, latest, key=float)
    chosen, following = _paginate(timeline[start:end][::-1], params, 100, 999, "history")
    messages = [conversation.messages[ts] for ts in chosen]
    body: dict[str, Any] = {
        "ok": True,
        "messages": [message.to_api(twin.state.team, conversation) for message in messages],
        "has_more": bool(following),
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
    }
    return _with_cursor(body, following) if following else body


@method("conversations.replies")
def conversations_replies(twin: SlackTwin, request: Request) -> dict[str, Any]:
    params = request.params()
    conversation = _conversation(twin, request)
    if request.principal not in conversation.members:
        raise slack_error("not_in_channel")
    message = _message(conversation, _text(params, "ts"), "thread_not_found")
    root = conversation.messages[message.thread_ts] if message.is_reply else message  # type: ignore[index]
    thread = [root, *(conversation.messages[ts] for ts in root.replies)]
    chosen, following = _paginate(_in_window(thread, params), params, 1000, 1000, "replies")
    body: dict[str, Any] = {
        "ok": True,
        "messages": [message.to_api(twin.state.team, conversation) for message in chosen],
        "has_more": bool(following),
    }
    return _with_cursor(body, following) if following else body


@method("conversations.join")
def conversations_join(twin: SlackTwin, request: Request) -> dict[str, Any]:
    conversation = _conversation(twin, request)
    if conversation.is_archived:
        raise slack_error("is_archived")
    body: dict[str, Any] = {"ok": True}
    if request.principal in conversation.members:
        body["warning"] = "already_in_channel"
        body["response_metadata"] = {"warnings": ["already_in_channel"]}
    else:
        conversation.members.append(request.principal)
        events.member_joined(twin, conversation, request.principal)
    body["channel"] = conversation.to_api(request.principal)
    return body


@method("conversations.invite")
def conversations_invite(twin: SlackTwin, request: Request) -> dict[str, Any]:
    conversation = _conversation(twin, request)
    if conversation.is_archived:
        raise slack_error("is_archived")
    if request.principal not in conversation.members:
        raise slack_error("not_in_channel")
    params = request.params()
    invited = list(dict.fromkeys(_id_list(params, "users")))
    if not invited:
        raise slack_error("no_user")
    problems = {
        user: _invite_problem(twin, conversation, request.principal, user) for user in invited
    }
    valid = [user for user in invited if problems[user] is None]
    first_problem = next((problem for problem in problems.values() if problem), None)
    # Without force one bad id refuses the call; with force the valid ones are still invited.
    if first_problem and (not _flag(params, "force") or not valid):
        raise slack_error(first_problem)
    conversation.members.extend(valid)
    for user in valid:
        events.member_joined(twin, conversation, user, inviter=request.principal)
    return {"ok": True, "channel": conversation.to_api(request.principal)}


def _invite_problem(
    twin: SlackTwin, conversation: Conversation, inviter: str, user: str
) -> str | None:
    if user not in twin.state.users or twin.state.users[user].deleted:
        return "user_not_found"
    if user == inviter:
        return "cant_invite_self"
    if user in conversation.members:
        return "already_in_channel"
    return None


@method("conversations.members")
def conversations_members(twin: SlackTwin, request: Request) -> dict[str, Any]:
    conversation = _conversation(twin, request)
    chosen, following = _paginate(conversation.members, request.params(), 100, 1000, "members")
    return _with_cursor({"ok": True, "members": chosen}, following)


# --- users ----------------------------------------------------------------------------------------
@method("users.list")
def users_list(twin: SlackTwin, request: Request) -> dict[str, Any]:
    users = list(twin.state.users.values())
    chosen, following = _paginate(users, request.params(), len(users) or 1, 1000, "users")
    body = {
        "ok": True,
        "members": [user.to_api(twin.state.team) for user in chosen],
        "cache_ts": int(twin.clock.now()),
    }
    return _with_cursor(body, following)


@method("users.info")
def users_info(twin: SlackTwin, request: Request) -> dict[str, Any]:
    user = twin.state.users.get(_text(request.params(), "user") or "")
    if user is None:
        raise slack_error("user_not_found")
    return {"ok": True, "user": user.to_api(twin.state.team)}


@method("users.lookupByEmail")
def users_lookup_by_email(twin: SlackTwin, request: Request) -> dict[str, Any]:
    user = twin.state.user_by_email(_text(request.params(), "email") or "")
    if user is None:
        raise slack_error("users_not_found")
    return {"ok": True, "user": user.to_api(twin.state.team)}


# --- reactions ------------------------------------------------------------------------------------
def _reacted_message(twin: SlackTwin, request: Request) -> tuple[Conversation, Message]:
    params = request.params()
    if _text(params, "channel") is None or _text(params, "timestamp") is None:
        raise slack_error("no_item_specified")
    conversation = _conversation(twin, request)
    return conversation, _message(conversation, _text(params, "timestamp"), "message_not_found")


@method("reactions.add")
def reactions_add(twin: SlackTwin, request: Request) -> dict[str, Any]:
    conversation, message = _reacted_message(twin, request)
    name = (_text(request.params(), "name") or "").strip(":")
    if not EMOJI_NAME.fullmatch(name):
        raise slack_error("invalid_name")
    users = message.reactions.setdefault(name, [])
    if request.principal in users:
        raise slack_error("already_reacted")
    users.append(request.principal)
    events.reaction_added(twin, conversation, message, request.principal, name)
    return {"ok": True}


@method("reactions.get")
def reactions_get(twin: SlackTwin, request: Request) -> dict[str, Any]:
    conversation, message = _reacted_message(twin, request)
    return {
        "ok": True,
        "type": "message",
        "channel": conversation.id,
        "message": message.to_api(twin.state.team, conversation),
    }
