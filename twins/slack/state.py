"""The Slack workspace a twin holds: team, users, conversations and their messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Team:
    id: str
    name: str
    domain: str

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"


@dataclass
class User:
    id: str
    name: str
    real_name: str = ""
    email: str | None = None
    is_bot: bool = False
    is_admin: bool = False
    deleted: bool = False
    tz: str = "Europe/London"
    updated: int = 0

    def to_api(self, team: Team) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "avatar_hash": "",
            "title": "",
            "phone": "",
            "skype": "",
            "status_text": "",
            "status_emoji": "",
            "fields": None,
            "team": team.id,
        }
        if self.email is not None:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": team.id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "tz": self.tz,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": self.updated,
            "profile": profile,
        }


@dataclass
class Message:
    ts: str
    user: str
    text: str
    thread_ts: str | None = None  # set on a reply, and on a parent once it has replies
    subtype: str | None = None  # "thread_broadcast" for a reply also sent to the channel
    bot_id: str | None = None
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    edited: dict[str, str] | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)  # emoji name -> user ids
    replies: list[str] = field(default_factory=list)  # ts of the replies, on a thread's parent

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(self, team: Team, conversation: Conversation) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text}
        body["ts"] = self.ts
        body["team"] = team.id
        for name in ("subtype", "bot_id", "blocks", "attachments", "edited", "thread_ts"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        if self.replies:
            authors = [conversation.messages[ts].user for ts in self.replies]
            body["reply_count"] = len(self.replies)
            body["reply_users"] = list(dict.fromkeys(authors))
            body["reply_users_count"] = len(body["reply_users"])
            body["latest_reply"] = self.replies[-1]
        if self.is_reply:
            body["parent_user_id"] = conversation.messages[self.thread_ts].user  # type: ignore[index]
        if self.reactions:
            body["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in self.reactions.items()
            ]
        return body


@dataclass
class Conversation:
    id: str
    name: str
    creator: str
    created: int
    is_private: bool = False
    is_archived: bool = False
    is_general: bool = False
    topic: str = ""
    purpose: str = ""
    members: list[str] = field(default_factory=list)  # in the order they joined
    messages: dict[str, Message] = field(default_factory=dict)  # by ts, oldest first
    # The ts of the messages history shows (top level, and replies sent to the channel too), oldest
    # first: history pages are slices of it, without a scan of every message and reply.
    timeline: list[str] = field(default_factory=list)

    def to_api(self, viewer: str, *, num_members: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_pending_ext_shared": False,
            "is_member": viewer in self.members,
            "creator": self.creator,
            "topic": {"value": self.topic, "creator": self.creator, "last_set": 0},
            "purpose": {"value": self.purpose, "creator": self.creator, "last_set": 0},
            "previous_names": [],
        }
        if num_members:
            body["num_members"] = len(self.members)
        return body


@dataclass
class App:
    """The Slack app the bot belongs to, and its Events API settings."""

    id: str
    signing_secret: str  # signs every request Slack sends the app (v0 scheme)
    verification_token: str  # the deprecated "token" field of each payload
    request_url: str | None = None  # where events go; None: the Events API is off
    events: list[str] = field(default_factory=list)  # subscribed: "app_mention", "message.channels"
    timeout: float = 3.0  # seconds the app has to answer before Slack retries


@dataclass
class Workspace:
    """The whole state of a Slack twin. ``bot_user``/``bot_id`` are who ``twin.token`` acts as."""

    team: Team
    bot_user: str
    bot_id: str
    app: App
    users: dict[str, User] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)

    def visible_to(self, conversation: Conversation, user: str) -> bool:
        """Private channels exist only for their members; public ones for everyone."""
        return not conversation.is_private or user in conversation.members

    def user_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        for user in self.users.values():
            if user.email is not None and user.email.lower() == wanted:
                return user
        return None
