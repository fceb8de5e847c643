"""Setting an issue's fields: create, edit and transition share one validation.

Jira checks every field before changing any and names each bad one in ``errors``; so does the
twin: ``field_changes`` validates ``fields`` and ``update`` operations into a dict of changes,
``apply_changes`` makes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from holdout_twins.core import ServiceError
from holdout_twins.jira import adf
from holdout_twins.jira.errors import field_errors, jira_error
from holdout_twins.jira.state import Issue, Site

if TYPE_CHECKING:
    from holdout_twins.jira.twin import JiraTwin

MAX_SUMMARY = 255
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
NOT_STRING = "Operation value must be a string"
# The fields create and edit can set; anything else is "not on the appropriate screen".
SETTABLE = {
    "summary",
    "description",
    "issuetype",
    "project",
    "priority",
    "assignee",
    "reporter",
    "labels",
}


def rich_text(version: int, value: Any, field: str) -> dict[str, Any] | None:
    """A description or comment body in ``version``'s format, as ADF; None when empty."""
    if value is None:
        return None
    if version == 3:
        if not adf.is_document(value):
            raise field_errors({field: NOT_ADF})
        return None if adf.is_empty(value) else value
    if not isinstance(value, str):
        raise field_errors({field: NOT_STRING})
    return adf.from_text(value) if value.strip() else None


def reference(value: Any) -> str | None:
    """The id, key or name in a reference such as ``{"id": "10001"}`` or ``{"name": "Task"}``."""
    if isinstance(value, dict):
        for name in ("id", "key", "name", "accountId"):
            if value.get(name) not in (None, ""):
                return str(value[name])
    return None


def field_changes(
    site: Site, version: int, fields: Any, update: Any, *, creating: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate ``fields`` and ``update`` operations: the changes to make and Jira's errors."""
    if not isinstance(fields, dict) or not isinstance(update, dict):
        raise jira_error(400, "The 'fields' and 'update' members must be JSON objects.")
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, operations in update.items():
        if not isinstance(operations, list):
            errors[name] = "Field update operations must be a list."
            continue
        for operation in operations:
            _update_operation(site, version, name, operation, changes, errors)
    for name, value in fields.items():
        if name not in SETTABLE or (name == "project" and not creating):
            errors[name] = (
                f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
            )
            continue
        try:
            changes[name] = _field_value(site, version, name, value)
        except ValueError as error:
            errors[name] = str(error)
    return changes, errors


def _update_operation(
    site: Site,
    version: int,
    name: str,
    operation: Any,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    if not isinstance(operation, dict) or len(operation) != 1:
        errors[name] = "Each update operation must have exactly one verb."
        return
    ((verb, value),) = operation.items()
    if name == "labels" and verb in ("add", "remove"):
        changes.setdefault("labels+", []).append((verb, str(value)))
    elif name == "comment" and verb == "add" and isinstance(value, dict):
        try:
            changes.setdefault("comment+", []).append(rich_text(version, value.get("body"), name))
        except ServiceError as error:
            errors.update(error.extra["errors"])
    elif verb == "set" and name in SETTABLE - {"project"}:
        try:
            changes[name] = _field_value(site, version, name, value)
        except ValueError as error:
            errors[name] = str(error)
    else:
        errors[name] = f"Field '{name}' cannot be changed with the '{verb}' operation."


def _field_value(site: Site, version: int, name: str, value: Any) -> Any:
    """One field's stored value, or ValueError with Jira's message."""
    if name == "summary":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("You must specify a summary of the issue.")
        if "\n" in value or "\r" in value:
            raise ValueError("The summary is invalid because it contains newline characters.")
        if len(value) > MAX_SUMMARY:
            raise ValueError(f"Summary must be less than {MAX_SUMMARY} characters.")
        return value
    if name == "description":
        try:
            return rich_text(version, value, name)
        except ServiceError as error:
            raise ValueError(error.extra["errors"][name]) from None
    if name == "labels":
        if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
            raise ValueError("The labels must be a list of strings.")
        for label in value:
            if not label or " " in label:
                raise ValueError(f"The label '{label}' contains spaces which is invalid.")
        return list(dict.fromkeys(value))
    wanted = reference(value)
    if name in ("assignee", "reporter"):
        if value is None and name == "assignee":
            return None
        user = site.users.get(wanted or "")
        if user is None or not user.active:
            raise ValueError(f"Specify a valid value for {name}")
        return user.account_id
    if name == "project":
        project = site.project(wanted) if wanted else None
        if project is None:
            raise ValueError("Specify a valid project ID or key")
        return project.id
    if name == "issuetype":
        for issue_type in site.issue_types.values():
            if wanted in (issue_type.id, issue_type.name):
                return issue_type.id
        raise ValueError(
            "Specify an issue type" if wanted is None else "Specify a valid issue type"
        )
    for priority in site.priorities.values():  # name == "priority"
        if wanted in (priority.id, priority.name):
            return priority.id
    raise ValueError(f"The priority selected is invalid: {wanted}")


def apply_changes(twin: JiraTwin, author: str, issue: Issue, changes: dict[str, Any]) -> None:
    """Make the changes ``field_changes`` validated (nothing can fail any more)."""
    for name, value in changes.items():
        if name == "labels+":
            for verb, label in value:
                if verb == "add" and label not in issue.labels:
                    issue.labels.append(label)
                elif verb == "remove" and label in issue.labels:
                    issue.labels.remove(label)
        elif name == "comment+":
            for comment_body in value:
                if comment_body is not None:
                    twin.add_comment(issue, author, comment_body)
        else:
            setattr(issue, "issue_type" if name == "issuetype" else name, value)
    issue.updated = twin.clock.now()
