"""Skills: versions uploaded as files or a zip, read from their SKILL.md, served back as zips; default and
latest versions; deletes, bad uploads and persistence across a restart."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openai
import pytest
from server_spec_check import SpecChecker, make_client, sdk

from openai_kit.server.testing import run_server


def _skill_md(name: str, description: str) -> bytes:
    return f"---\nname: {name}\ndescription: {description}\n---\n\n# {name}\nUse it well.\n".encode()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _unzip(response: Any) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(response.read())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_skill_versions_round_trip(client: openai.OpenAI) -> None:
    script = b"print('hello')\n"
    skill = client.skills.create(
        files=[
            ("greeter/SKILL.md", io.BytesIO(_skill_md("greeter", "Says hello."))),
            ("greeter/run.py", io.BytesIO(script)),
        ]
    )
    assert skill.object == "skill" and skill.name == "greeter" and skill.description == "Says hello."
    assert (skill.default_version, skill.latest_version) == ("1", "1")
    assert skill.id in [s.id for s in client.skills.list(limit=100)]
    assert _unzip(client.skills.content.retrieve(skill.id)) == {
        "greeter/SKILL.md": _skill_md("greeter", "Says hello."),
        "greeter/run.py": script,
    }

    bundle = _zip({"SKILL.md": _skill_md("greeter", "Says hi.")})
    v2 = client.skills.versions.create(skill.id, files=[("bundle.zip", io.BytesIO(bundle))])
    assert v2.object == "skill.version" and v2.version == "2" and v2.description == "Says hi."
    after = client.skills.retrieve(skill.id)
    assert (after.default_version, after.latest_version, after.description) == ("1", "2", "Says hello.")
    v3 = client.skills.versions.create(  # the new default
        skill.id, files=[("x/SKILL.md", io.BytesIO(_skill_md("greeter", "Waves.")))], default=True
    )
    assert v3.version == "3"
    current = client.skills.retrieve(skill.id)
    assert (current.default_version, current.latest_version, current.description) == ("3", "3", "Waves.")
    assert [v.version for v in client.skills.versions.list(skill.id)] == ["3", "2", "1"]
    assert client.skills.versions.retrieve("2", skill_id=skill.id).id == v2.id
    assert _unzip(client.skills.versions.content.retrieve("2", skill_id=skill.id)) == {
        "SKILL.md": _skill_md("greeter", "Says hi.")
    }
    assert _unzip(client.skills.content.retrieve(skill.id))["x/SKILL.md"] == _skill_md("greeter", "Waves.")

    errors = sdk(client)
    with pytest.raises(errors.BadRequestError) as err:
        client.skills.versions.delete("3", skill_id=skill.id)  # the default one
    assert err.value.param == "version"
    back = client.skills.update(skill.id, default_version="1")
    assert back.default_version == "1" and back.description == "Says hello."
    deleted = client.skills.versions.delete("3", skill_id=skill.id)
    assert deleted.deleted and deleted.version == "3"
    assert client.skills.retrieve(skill.id).latest_version == "2"
    with pytest.raises(errors.NotFoundError) as nf:
        client.skills.versions.retrieve("3", skill_id=skill.id)
    assert nf.value.param == "version"
    v4 = client.skills.versions.create(skill.id, files=[("SKILL.md", io.BytesIO(_skill_md("g", "Four.")))])
    assert v4.version == "4"  # numbers are never reused
    gone = client.skills.delete(skill.id)
    assert gone.deleted and gone.id == skill.id
    with pytest.raises(errors.NotFoundError) as nf:
        client.skills.retrieve(skill.id)
    assert nf.value.param == "skill_id"
    with pytest.raises(errors.NotFoundError):
        client.skills.versions.content.retrieve("1", skill_id=skill.id)


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ([("notes.txt", b"no manifest")], "SKILL.md"),
        ([("SKILL.md", b"# no front matter")], "front matter"),
        ([("SKILL.md", b"---\nname: x\n---\n")], "description"),
        ([("../SKILL.md", _skill_md("a", "b"))], "path"),
        ([("a.zip", b"PK\x03\x04 broken zip")], "zip"),
    ],
)
def test_bad_skill_uploads(client: openai.OpenAI, files: list[tuple[str, bytes]], fragment: str) -> None:
    with pytest.raises(sdk(client).BadRequestError) as err:
        client.skills.create(files=[(name, io.BytesIO(data)) for name, data in files])
    assert err.value.param == "files" and fragment in err.value.message


def test_bad_skill_requests(client: openai.OpenAI) -> None:
    errors = sdk(client)
    skill = client.skills.create(files=[("SKILL.md", io.BytesIO(_skill_md("s", "d")))])
    with pytest.raises(errors.BadRequestError) as err:
        client.post("/skills", body={"files": "SKILL.md"}, cast_to=object)
    assert err.value.param == "files"
    with pytest.raises(errors.BadRequestError) as err:
        client.post(f"/skills/{skill.id}", body={}, cast_to=object)
    assert err.value.param == "default_version"
    with pytest.raises(errors.NotFoundError) as nf:
        client.skills.update(skill.id, default_version="9")
    assert nf.value.param == "default_version"
    with pytest.raises(errors.NotFoundError):
        client.skills.versions.create("skill_nope", files=[("SKILL.md", io.BytesIO(_skill_md("s", "d")))])


def test_skills_survive_a_restart(tmp_path: Path, checked: SpecChecker) -> None:
    with run_server(data_dir=tmp_path) as url:
        client = make_client(url, checked)
        skill = client.skills.create(files=[("SKILL.md", io.BytesIO(_skill_md("keep", "Kept.")))])
        client.close()
    with run_server(data_dir=tmp_path) as url:
        client = make_client(url, checked, kit=True)
        assert client.skills.retrieve(skill.id).description == "Kept."
        assert _unzip(client.skills.versions.content.retrieve("1", skill_id=skill.id)) == {
            "SKILL.md": _skill_md("keep", "Kept.")
        }
        client.close()
