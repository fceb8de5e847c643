"""``holdout twin scaffold``: a twin made from a small OpenAPI description, whose tests fail,
naming each stub, until the stubs are filled in, and pass once they are."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from holdout_twins.cli import main as twin_cli

REPO = Path(__file__).resolve().parents[2]

DESCRIPTION = {
    "openapi": "3.0.3",
    "info": {"title": "Notes API", "version": "1.0"},
    "paths": {
        "/notes": {
            "get": {
                "operationId": "listNotes",
                "summary": "List the notes",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}}
                ],
                "responses": {
                    "200": {
                        "description": "The notes",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Note"},
                                }
                            }
                        },
                    }
                },
            },
            "post": {
                "operationId": "createNote",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewNote"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "Created",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Note"}}
                        },
                    },
                    "400": {"description": "Invalid"},
                },
            },
        },
        "/notes/{note-id}": {
            "get": {
                "operationId": "getNote",
                "parameters": [
                    {
                        "name": "note-id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The note",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Note"}}
                        },
                    },
                    "404": {"description": "No such note"},
                },
            },
            "delete": {"responses": {"204": {"description": "Deleted"}}},
        },
    },
    "components": {
        "schemas": {
            "NewNote": {
                "type": "object",
                "required": ["text"],
                "properties": {"text": {"type": "string", "minLength": 1}},
            },
            "Note": {
                "type": "object",
                "required": ["id", "text"],
                "properties": {
                    "id": {"type": "string"},
                    "text": {"type": "string"},
                    "pinned": {"type": "boolean", "nullable": True},
                },
            },
        }
    },
}

# What a developer (or an agent) writes in place of each stub.
FILLED = {
    "listNotes": """\
    notes = list(twin.state.collections.get("notes", {}).values())
    return notes[: int(request.query.get("limit", len(notes) or 1))]""",
    "createNote": """\
    from holdout_twins.core import json_response

    note = {"id": f"N{len(twin.state.collections.get('notes', {})) + 1}", **request.json()}
    twin.state.collections.setdefault("notes", {})[note["id"]] = note
    return json_response(note, 201)""",
    "getNote": """\
    from holdout_twins.core import ServiceError

    note = twin.state.collections.get("notes", {}).get(request.path_params["note_id"])
    if note is None:
        raise ServiceError(404, "not_found", "no such note")
    return note""",
    "DELETE /notes/{note-id}": """\
    from holdout_twins.core import Response

    twin.state.collections.get("notes", {}).pop(request.path_params["note_id"], None)
    return Response(204)""",
}
STUB_NAMES = {
    "listNotes": "list_notes",
    "createNote": "create_note",
    "getNote": "get_note",
    "DELETE /notes/{note-id}": "delete_notes_note_id",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with the description, where the scaffold writes ``src/notes`` and ``tests``."""
    (tmp_path / "notes-api.yaml").write_text(yaml.safe_dump(DESCRIPTION), encoding="utf-8")
    return tmp_path


def scaffold_notes(project: Path, *extra: str) -> int:
    return twin_cli(
        [
            "scaffold",
            "notes",
            "--from",
            str(project / "notes-api.yaml"),
            "--operations",
            *FILLED,
            "--into",
            str(project / "src"),
            "--tests",
            str(project / "tests"),
            "--package",
            "notes",
            *extra,
        ]
    )


def run_tests(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            str(project / "tests"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def fill_in(routes: Path) -> None:
    text = routes.read_text()
    for choice, body in FILLED.items():
        operation = choice if " " not in choice else "delete_notes_note_id"
        stub = f'    raise Stub("{operation}", "{STUB_NAMES[choice]}")'
        assert stub in text, stub
        text = text.replace(stub, body)
    routes.write_text(
        text.replace(
            "from holdout_twins.core.described import Operations, Stub",
            "from holdout_twins.core.described import Operations",
        )
    )


def test_the_scaffold_writes_the_frameworks_layout(project, capsys):
    assert scaffold_notes(project) == 0

    folder = project / "src" / "notes"
    assert sorted(path.name for path in folder.iterdir()) == [
        "README.md",
        "__init__.py",
        "operations.json",
        "routes.py",
        "seed.yaml",
        "state.py",
        "twin.py",
    ]
    assert (project / "tests" / "test_notes_twin.py").is_file()
    operations = json.loads((folder / "operations.json").read_text())["operations"]
    assert [(op["id"], op["method"], op["path"]) for op in operations] == [
        ("listNotes", "GET", "/notes"),
        ("createNote", "POST", "/notes"),
        ("getNote", "GET", "/notes/{note_id}"),
        ("delete_notes_note_id", "DELETE", "/notes/{note_id}"),
    ]
    note = operations[0]["responses"]["200"]["items"]
    assert note["properties"]["pinned"]["type"] == ["boolean", "null"]  # refs inlined, nullable
    routes = (folder / "routes.py").read_text()
    assert '"""GET /notes: List the notes\n\n    Query: limit (optional).' in routes
    assert "An answer 200 looks like: []" in routes
    assert 'An answer 201 looks like: {"id": "xxxxxxx", "text": "xxxxxxx"}' in routes
    printed = capsys.readouterr().out
    assert f"wrote {folder / 'routes.py'}" in printed and "next: fill in the stubs" in printed


def test_the_generated_code_is_ruff_clean(project):
    scaffold_notes(project)
    config = [
        "--config",
        str(REPO / "pyproject.toml"),
        "--config",
        "lint.isort.known-first-party = ['holdout_twins', 'notes']",
    ]
    paths = [str(project / "src" / "notes"), str(project / "tests")]

    checked = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *config, *paths], capture_output=True, text=True
    )
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *config, *paths],
        capture_output=True,
        text=True,
    )

    assert checked.returncode == 0, checked.stdout
    assert formatted.returncode == 0, formatted.stdout


def test_its_tests_fail_naming_each_stub_until_filled_in_then_pass(project):
    scaffold_notes(project)

    unfilled = run_tests(project)
    assert unfilled.returncode == 1, unfilled.stdout
    for choice, handler in STUB_NAMES.items():
        operation = choice if " " not in choice else "delete_notes_note_id"
        assert f"{operation} is a stub: fill in {handler} in routes.py" in unfilled.stdout
    # The request checks are generated, not stubs: they hold from the start.
    assert "1 passed" in unfilled.stdout.splitlines()[-1]

    fill_in(project / "src" / "notes" / "routes.py")
    filled = run_tests(project)

    assert filled.returncode == 0, filled.stdout
    assert "5 passed" in filled.stdout.splitlines()[-1]


def test_the_twin_refuses_requests_that_do_not_fit_the_description(project, monkeypatch, send):
    scaffold_notes(project, "--package", "scaffolded_notes")
    (project / "src" / "notes").rename(project / "src" / "scaffolded_notes")
    fill_in(project / "src" / "scaffolded_notes" / "routes.py")
    monkeypatch.syspath_prepend(str(project / "src"))
    from scaffolded_notes import NotesTwin

    with NotesTwin() as notes:
        empty = send(notes, "POST", "/notes", {"text": ""})
        wrong = send(notes, "GET", "/notes?limit=zero")
        created = send(notes, "POST", "/notes", {"text": "hello"})
        fetched = send(notes, "GET", "/notes/N1")

    assert empty.status == 400 and "body['text']" in empty.json()["message"]
    assert wrong.status == 400 and "query parameter 'limit'" in wrong.json()["message"]
    assert created.status == 201 and fetched.json() == {"id": "N1", "text": "hello"}


@pytest.mark.parametrize(
    ("description", "operations", "message"),
    [
        ("notes-api.yaml", ["archiveNote"], "no operation 'archiveNote'"),
        ("notes-api.yaml", ["listNotes", "GET /notes"], "'GET /notes' is chosen twice"),
        ("missing.yaml", ["listNotes"], "missing.yaml: cannot read the description"),
    ],
)
def test_a_wrong_choice_is_one_line_naming_it(project, capsys, description, operations, message):
    argv = ["scaffold", "notes", "--from", str(project / description), "--operations"]
    argv += [*operations, "--into", str(project / "src"), "--tests", str(project / "tests")]

    status = twin_cli(argv)

    error = capsys.readouterr().err
    assert status == 1
    assert error.startswith("holdout twin scaffold: ") and message in error
    assert len(error.strip().splitlines()) == 1
    assert not (project / "src" / "notes").exists()


def test_an_existing_twin_is_kept_unless_forced(project, capsys):
    assert scaffold_notes(project) == 0
    routes = project / "src" / "notes" / "routes.py"
    routes.write_text("# filled in by hand\n")

    assert scaffold_notes(project) == 1
    assert "exists already (--force replaces it)" in capsys.readouterr().err
    assert routes.read_text() == "# filled in by hand\n"
    assert scaffold_notes(project, "--force") == 0
    assert "raise Stub" in routes.read_text()


def test_a_swagger_2_description_works_too(tmp_path, api_specs):
    status = twin_cli(
        [
            "scaffold",
            "slackish",
            "--from",
            str(api_specs / "slack-web-openapi-v2.json"),
            "--operations",
            "chat_postMessage",
            "GET /conversations.list",
            "--into",
            str(tmp_path / "src"),
            "--tests",
            str(tmp_path / "tests"),
        ]
    )

    assert status == 0
    (post, listed) = json.loads((tmp_path / "src" / "slackish" / "operations.json").read_text())[
        "operations"
    ]
    assert (post["method"], post["path"]) == ("POST", "/chat.postMessage")
    assert {"name": "channel", "in": "form"}.items() <= next(
        p for p in post["parameters"] if p["name"] == "channel"
    ).items()
    assert listed["id"] == "conversations_list"
    assert listed["responses"]["200"]["type"] == "object"


def test_the_documented_service_runs_end_to_end(tmp_path):
    section = (REPO / "docs" / "twins.md").read_text().split("## Scaffolding a new twin", 1)[1]
    section = section.split("\n## ", 1)[0]
    description = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    filled = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "todo-api.yaml").write_text(description)
    # Imported as "todo" here; the documented routes name holdout_twins.todo for type checkers only.
    argv = ["scaffold", "todo", "--from", str(tmp_path / "todo-api.yaml"), "--package", "todo"]
    argv += ["--operations", "createTodo", "getTodo"]
    argv += ["--into", str(tmp_path / "src"), "--tests", str(tmp_path / "tests")]
    assert twin_cli(argv) == 0

    unfilled = run_tests(tmp_path)
    (tmp_path / "src" / "todo" / "routes.py").write_text(filled)
    done = run_tests(tmp_path)

    assert "createTodo is a stub: fill in create_todo in routes.py" in unfilled.stdout
    assert "getTodo is a stub: fill in get_todo in routes.py" in unfilled.stdout
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[-1].startswith("3 passed")
