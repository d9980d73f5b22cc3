"""The OpenAPI schema: valid, complete, and enough for a generated client to use the API."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from commitments.models import ThreadEntry

VENV_BIN = Path(sys.executable).parent


def test_the_schema_validates_without_warnings(tmp_path):
    # The same check as `manage.py spectacular --validate --fail-on-warn` in `make test`.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text(encoding="utf-8")
    for needle in ("/api/v1/commitments/", "name: thread", "name: cursor", "name: page_size", "ChangeKindEnum"):
        assert needle in text


@pytest.mark.django_db(transaction=True)
def test_a_client_generated_from_the_schema_alone_lists_a_threads_commitments(live_server, seeded, tmp_path):
    schema = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\nproject_name_override: tracker-client\npackage_name_override: tracker_client\n")
    subprocess.run(
        [
            VENV_BIN / "openapi-python-client",
            "generate",
            "--path",
            schema,
            "--config",
            config,
            "--output-path",
            tmp_path / "client",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    expected = sorted(
        ThreadEntry.objects.filter(thread__slug="africa-focus").values_list("commitment__slug", flat=True)
    )

    sys.path.insert(0, str(tmp_path / "client"))
    try:
        client_module = importlib.import_module("tracker_client")
        commitments_list = importlib.import_module("tracker_client.api.commitments.commitments_list")
        with client_module.Client(base_url=live_server.url) as client:
            page = commitments_list.sync(client=client, thread="africa-focus", page_size=100)
    finally:
        sys.path.remove(str(tmp_path / "client"))
        for name in [m for m in sys.modules if m == "tracker_client" or m.startswith("tracker_client.")]:
            del sys.modules[name]

    assert sorted(c.slug for c in page.results) == expected
    assert {c.meeting.slug for c in page.results} == {
        "paris-2019-small-group",
        "copenhagen-2020-small-group",
        "rome-2021-ministerial",
    }
