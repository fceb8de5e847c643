"""Google's OAuth 2.0 token endpoint, for clients that hold a refresh token.

``POST /token`` with ``grant_type=refresh_token``, the client's id and secret and the refresh
token answers a new access token, as ``https://oauth2.googleapis.com/token`` does; google-auth's
``Credentials`` refresh against it when their ``token_uri`` points here. ``POST /revoke`` revokes
a refresh or access token. Errors are OAuth's shape, ``{"error": ..., "error_description": ...}``,
not the APIs' envelope. ``POST /_twin/google/refresh-tokens`` (``{"email": ...}``, optional) hands
out a refresh token with the client id, secret and token URI, for software in any language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from holdout_twins.core import FORM_TYPE, Request, Response, Router, control_body, json_response

if TYPE_CHECKING:
    from holdout_twins.google.twin import GoogleTwin

router = Router()
control = Router()


def oauth_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def _fields(request: Request) -> dict[str, Any]:
    """The form body (JSON too, which Google also accepts), over the query string."""
    data = request.form() if request.content_type == FORM_TYPE else request.data()
    return {**request.query, **(data if isinstance(data, dict) else {})}


@router.post("/token", name="oauth2.token", auth=False)
def token(twin: GoogleTwin, request: Request) -> Any:
    fields = _fields(request)
    grant_type = fields.get("grant_type")
    if grant_type != "refresh_token":
        return oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    client = twin.state.clients.get(str(fields.get("client_id", "")))
    if client is None or client.client_secret != fields.get("client_secret"):
        return oauth_error(401, "invalid_client", "The OAuth client was not found.")
    grant = twin.state.refresh_tokens.get(str(fields.get("refresh_token", "")))
    if grant is None or grant.client_id != client.client_id:
        return oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
    access_token = twin.issue_access_token(grant.email)
    expires_in = int(twin.state.expiries[access_token] - twin.clock.now())
    return {
        "access_token": access_token,
        "expires_in": expires_in,
        "scope": " ".join(grant.scopes),
        "token_type": "Bearer",
    }


@router.post("/revoke", name="oauth2.revoke", auth=False)
def revoke(twin: GoogleTwin, request: Request) -> Any:
    token = str(_fields(request).get("token", ""))
    if twin.state.refresh_tokens.pop(token, None) is None and twin.tokens.pop(token, None) is None:
        return oauth_error(400, "invalid_token", "Token expired or revoked")
    return {}


@control.post("/_twin/google/refresh-tokens", name="refresh_tokens")
def refresh_tokens(twin: GoogleTwin, request: Request) -> dict[str, str]:
    email = control_body(request).get("email")
    return twin.refresh_grant(str(email) if email else None)
