"""Containers: files uploaded or copied from ``/files`` are stored and served back; expiry, deletes, bad
input and persistence across a restart."""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path
from typing import Any

import openai
import pytest
from server_spec_check import SpecChecker, make_client, sdk

from openai_kit.server.testing import run_server


def _content(response: Any) -> bytes:
    data = response.read()
    assert isinstance(data, bytes)
    return data


def test_container_files_round_trip(client: openai.OpenAI) -> None:
    source = client.files.create(file=("notes.txt", io.BytesIO(b"hello notes")), purpose="user_data")
    name = f"box-{uuid.uuid4().hex[:8]}"
    box = client.containers.create(
        name=name,
        file_ids=[source.id],
        expires_after={"anchor": "last_active_at", "minutes": 5},
        memory_limit="4g",
        network_policy={"type": "allowlist", "allowed_domains": ["pypi.org"]},
    )
    assert box.object == "container" and box.status == "running" and box.memory_limit == "4g"
    assert box.expires_after is not None and box.expires_after.minutes == 5
    assert [c.id for c in client.containers.list(name=name)] == [box.id]
    assert client.containers.retrieve(box.id).name == name

    copied = list(client.containers.files.list(box.id))
    assert [(f.path, f.bytes, f.source) for f in copied] == [("/mnt/data/notes.txt", 11, "user")]
    csv = b"a,b\n1,2\n"
    uploaded = client.containers.files.create(box.id, file=("dir/data.csv", io.BytesIO(csv)))
    assert uploaded.path == "/mnt/data/data.csv" and uploaded.bytes == len(csv)
    assert uploaded.container_id == box.id
    assert _content(client.containers.files.content.retrieve(uploaded.id, container_id=box.id)) == csv
    assert (
        _content(client.containers.files.content.retrieve(copied[0].id, container_id=box.id))
        == b"hello notes"
    )
    listed = client.containers.files.list(box.id, order="asc", limit=1)
    assert [f.id for f in listed.data] == [copied[0].id] and listed.has_more
    again = client.containers.files.create(box.id, file_id=source.id)  # same path: replaces the first copy
    paths = sorted(f.id for f in client.containers.files.list(box.id))
    assert paths == sorted([uploaded.id, again.id])
    assert client.containers.files.retrieve(again.id, container_id=box.id).path == "/mnt/data/notes.txt"

    errors = sdk(client)
    client.containers.files.delete(uploaded.id, container_id=box.id)
    with pytest.raises(errors.NotFoundError) as err:
        client.containers.files.retrieve(uploaded.id, container_id=box.id)
    assert err.value.param == "file_id"
    client.containers.delete(box.id)
    with pytest.raises(errors.NotFoundError) as err:
        client.containers.retrieve(box.id)
    assert err.value.param == "container_id"
    with pytest.raises(errors.NotFoundError):
        client.containers.files.content.retrieve(again.id, container_id=box.id)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "name"),
        ({"name": 3}, "name"),
        ({"name": "x", "memory_limit": "2g"}, "memory_limit"),
        ({"name": "x", "expires_after": {"anchor": "created_at", "minutes": 3}}, "expires_after.anchor"),
        ({"name": "x", "expires_after": {"anchor": "last_active_at", "minutes": 0}}, "expires_after.minutes"),
        ({"name": "x", "network_policy": {"type": "allowlist"}}, "network_policy.allowed_domains"),
        (
            {"name": "x", "skills": [{"type": "skill_reference", "skill_id": "skill_nope"}]},
            "skills[0].skill_id",
        ),
    ],
)
def test_bad_container_bodies(client: openai.OpenAI, body: dict[str, Any], param: str) -> None:
    with pytest.raises(sdk(client).BadRequestError) as err:
        client.post("/containers", body=body, cast_to=object)
    assert err.value.param == param


def test_bad_container_files(client: openai.OpenAI) -> None:
    errors = sdk(client)
    box = client.containers.create(name="bad files")
    with pytest.raises(errors.BadRequestError) as err:
        client.post(f"/containers/{box.id}/files", body={}, cast_to=object)
    assert err.value.param == "file_id"
    with pytest.raises(errors.NotFoundError) as nf:
        client.containers.create(name="x", file_ids=["file-nope"])
    assert nf.value.param == "file_ids[0]"
    with pytest.raises(errors.NotFoundError) as nf:
        client.containers.files.create(box.id, file_id="file-nope")
    assert nf.value.param == "file_id"
    with pytest.raises(errors.NotFoundError) as nf:
        client.containers.files.create("cntr_nope", file=("a.txt", io.BytesIO(b"a")))
    assert nf.value.param == "container_id"


def test_an_idle_container_expires(
    tmp_path: Path, checked: SpecChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openai_kit.server.routes import containers

    with run_server(data_dir=tmp_path) as url:
        client = make_client(url, checked)
        box = client.containers.create(name="idle", expires_after={"anchor": "last_active_at", "minutes": 1})
        kept = client.containers.files.create(box.id, file=("a.txt", io.BytesIO(b"kept")))
        client.close()
    with run_server(data_dir=tmp_path) as url:
        client = make_client(url, checked, kit=True)
        assert client.containers.retrieve(box.id).status == "running"
        assert _content(client.containers.files.content.retrieve(kept.id, container_id=box.id)) == b"kept"
        later = time.time() + 61
        monkeypatch.setattr(containers, "now", lambda: int(later))
        assert client.containers.retrieve(box.id).status == "expired"
        with pytest.raises(openai_kit_errors().BadRequestError) as err:
            client.containers.files.create(box.id, file=("b.txt", io.BytesIO(b"late")))
        assert err.value.code == "container_expired"
        assert _content(client.containers.files.content.retrieve(kept.id, container_id=box.id)) == b"kept"
        client.close()


def openai_kit_errors() -> Any:
    import openai_kit

    return openai_kit
