"""Where Slack's published OpenAPI description departs from Slack's documented behaviour.

The publisher says the description does not always tell the whole truth; the twin follows the
real API, and ``follow_documented_behaviour`` patches the description to match, one commented
patch per disagreement (also listed in README.md), for the suite's schema checks and the
conformance meter alike.
"""

from __future__ import annotations

from typing import Any


def follow_documented_behaviour(document: dict[str, Any]) -> None:
    """Patch ``document`` (the Swagger 2 description) in place."""
    definitions, paths = document["definitions"], document["paths"]
    # An edited message carries "edited": {"user", "ts"} (Slack's message object documentation);
    # the description's message object does not list it.
    definitions["objs_message"]["properties"]["edited"] = {
        "type": "object",
        "properties": {"user": {"$ref": "#/definitions/defs_user_id"}, "ts": {"type": "string"}},
        "required": ["user", "ts"],
    }
    history = paths["/conversations.history"]["get"]["responses"]["200"]["schema"]
    # History pages with "response_metadata": {"next_cursor"} like every cursor-paginated method
    # (conversations.history documentation), and an empty channel has no messages at all.
    history["properties"]["response_metadata"] = {"$ref": "#/definitions/objs_response_metadata"}
    del history["properties"]["messages"]["minItems"]
    for operations in paths.values():
        for operation in operations.values():
            responses = operation["responses"]
            errors = responses["default"]["schema"].get("properties", {}).get("error")
            # Over a rate limit Slack answers HTTP 429 with "error": "ratelimited" (rate limits
            # documentation); the description spells it "rate_limited".
            if errors and "enum" in errors:
                errors["enum"].append("ratelimited")
            # Slack answers an error with HTTP 200 and "ok": false (Web API basics); the
            # description files errors under "default" only.
            success = responses["200"]["schema"]
            responses["200"]["schema"] = {"anyOf": [success, responses["default"]["schema"]]}
            # Slack reads the token from "Authorization: Bearer" (or a "token" form field), never
            # from a "token" header, which the description declares.
            operation["parameters"] = [
                parameter
                for parameter in operation.get("parameters", [])
                if (parameter.get("in"), parameter.get("name")) != ("header", "token")
            ]
