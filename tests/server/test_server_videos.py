"""``/videos`` on the local server: jobs, real MP4/WebP content, remix/edit/extend, characters, restarts."""

from __future__ import annotations

import base64
import io
import time
import warnings
from typing import Any

import av
import httpx2
import numpy as np
import openai
import pytest
from PIL import Image
from server_spec_check import sdk

from openai_kit.server import imaging
from openai_kit.server.testing import run_server

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _wait(client: openai.OpenAI, video_id: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        video = client.videos.retrieve(video_id)
        seen.append((video.status, video.progress))
        if video.status in ("completed", "failed"):
            return video, seen
        time.sleep(0.02)
    raise AssertionError(f"video {video_id} did not finish: {seen[-3:]}")


def _probe(data: bytes) -> tuple[int, int, int, float]:
    """(width, height, frames, seconds) of an MP4, decoded by FFmpeg (PyAV)."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        seconds = float(stream.duration * stream.time_base) if stream.duration else 0.0
        return stream.codec_context.width, stream.codec_context.height, frames, seconds


def test_create_poll_and_download(client: openai.OpenAI) -> None:
    video = client.videos.create(prompt="a red fox in snow", seconds="4", size="1280x720")
    assert (video.status, video.progress, video.completed_at) == ("queued", 0, None)
    done, seen = _wait(client, video.id)
    assert done.status == "completed" and done.progress == 100 and done.error is None
    assert done.completed_at is not None and done.expires_at == done.completed_at + 86400
    progress = [p for _, p in seen]
    assert progress == sorted(progress)  # only ever moves forward
    data = client.videos.download_content(video.id).read()
    assert _probe(data)[:3] == (1280, 720, 32) and _probe(data)[3] == pytest.approx(4.0, abs=0.2)
    thumb = Image.open(io.BytesIO(client.videos.download_content(video.id, variant="thumbnail").read()))
    assert (thumb.format, thumb.size) == ("WEBP", (1280, 720))
    sheet = Image.open(io.BytesIO(client.videos.download_content(video.id, variant="spritesheet").read()))
    assert (sheet.format, sheet.size) == ("WEBP", (1280, 720))  # 4x4 frames of a quarter size
    assert video.id in [v.id for v in client.videos.list()]


def test_same_prompt_same_pictures_and_remix_differs(client: openai.OpenAI) -> None:
    ids = [
        client.videos.create(prompt=p, size="720x1280").id for p in ("a calm lake", "a calm lake", "a city")
    ]
    for video_id in ids:
        _wait(client, video_id)
    thumbs = [client.videos.download_content(i, variant="thumbnail").read() for i in ids]
    assert thumbs[0] == thumbs[1] and thumbs[0] != thumbs[2]
    remix = client.videos.remix(ids[0], prompt="at night")
    assert remix.remixed_from_video_id == ids[0] and remix.prompt == "at night"
    assert _wait(client, remix.id)[0].status == "completed"
    assert client.videos.download_content(remix.id, variant="thumbnail").read() != thumbs[0]


def test_edit_extend_and_characters(client: openai.OpenAI, server_url: str) -> None:
    source = client.videos.create(prompt="waves", seconds="4")
    _wait(client, source.id)
    mp4 = client.videos.download_content(source.id).read()
    edited = client.videos.edit(prompt="purple waves", video=("clip.mp4", mp4, "video/mp4"))
    extended = client.videos.extend(prompt="and more", video=("clip.mp4", mp4, "video/mp4"), seconds="4")
    assert extended.seconds == "8"
    # by reference to a stored video (JSON body; the official client can only upload)
    by_ref = httpx2.post(
        f"{server_url}/videos/extensions",
        json={"prompt": "longer", "video": {"id": source.id}, "seconds": "4"},
    ).json()
    assert by_ref["seconds"] == "8" and by_ref["size"] == source.size
    for video_id in (edited.id, extended.id, by_ref["id"]):
        assert _wait(client, video_id)[0].status == "completed"
    assert _probe(client.videos.download_content(extended.id).read())[2] == 64
    character = client.videos.create_character(name="Surfer", video=("c.mp4", mp4, "video/mp4"))
    assert client.videos.get_character(character.id).name == "Surfer"
    errors = sdk(client)
    with pytest.raises(errors.BadRequestError) as bad:
        client.videos.create_character(name="x", video=("c.mp4", b"not a video", "video/mp4"))
    assert bad.value.param == "video"
    with pytest.raises(errors.NotFoundError):
        client.videos.get_character("char_missing")


def test_input_reference_is_the_first_frame(client: openai.OpenAI, server_url: str) -> None:
    picture = imaging.render(b"reference", 64, 36)
    png = imaging.png(picture)
    video = client.videos.create(
        prompt="animate", size="1280x720", input_reference=("ref.png", png, "image/png")
    )
    _wait(client, video.id)
    thumb = np.asarray(
        Image.open(io.BytesIO(client.videos.download_content(video.id, variant="thumbnail").read())).convert(
            "RGB"
        )
    )
    expected = imaging.resize(picture, 1280, 720)[..., :3]
    assert np.abs(thumb.astype(int) - expected.astype(int)).mean() < 8
    # the same reference as a data URL, and as an uploaded file's id, gives the same pictures
    file_id = client.files.create(file=("ref.png", png), purpose="vision").id
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    # (JSON: the official client can only upload ``input_reference``)
    same = [
        httpx2.post(
            f"{server_url}/videos", json={"prompt": "animate", "size": "1280x720", "input_reference": ref}
        ).json()["id"]
        for ref in ({"image_url": data_url}, {"file_id": file_id})
    ]
    first = client.videos.download_content(video.id, variant="thumbnail").read()
    for video_id in same:
        _wait(client, video_id)
        assert client.videos.download_content(video_id, variant="thumbnail").read() == first


def test_delete_and_bad_input(client: openai.OpenAI, server_url: str) -> None:
    errors = sdk(client)
    video = client.videos.create(prompt="short")
    _wait(client, video.id)
    assert client.videos.delete(video.id).deleted
    with pytest.raises(errors.NotFoundError):
        client.videos.retrieve(video.id)
    with pytest.raises(errors.NotFoundError):
        client.videos.remix("video_missing", prompt="x")
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/videos", {"prompt": "x", "size": "1x1"}, "size"),
        ("/videos", {"prompt": "x", "seconds": "5"}, "seconds"),
        ("/videos", {"prompt": "x", "model": "veo"}, "model"),
        ("/videos", {"size": "720x1280"}, "prompt"),
        (
            "/videos",
            {"prompt": "x", "input_reference": {"image_url": "https://example.com/a.png"}},
            "input_reference.image_url",
        ),
        (
            "/videos",
            {"prompt": "x", "input_reference": {"image_url": "data:image/png;base64,AAAA"}},
            "input_reference",
        ),
        ("/videos/extensions", {"prompt": "x", "video": {"id": "video_x"}}, "seconds"),
        ("/videos/edits", {"prompt": "x"}, "video"),
    ]
    for path, body, param in cases:
        response = httpx2.post(server_url + path, json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["param"] == param, (body, response.text)
    response = httpx2.post(server_url + "/videos/edits", json={"prompt": "x", "video": {"id": "video_x"}})
    assert response.status_code == 404 and response.json()["error"]["param"] == "video.id"
    other = client.videos.create(prompt="variant")
    _wait(client, other.id)
    response = httpx2.get(f"{server_url}/videos/{other.id}/content?variant=poster")
    assert response.status_code == 400 and response.json()["error"]["param"] == "variant"


def test_unfinished_videos_resume_after_a_restart(tmp_path: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with (
            run_server(data_dir=tmp_path, work_delay=30) as url,
            openai.OpenAI(base_url=url, api_key="k") as c,
        ):
            video = c.videos.create(prompt="interrupted")
            assert c.videos.retrieve(video.id).status in ("queued", "in_progress")
            with pytest.raises(openai.BadRequestError) as bad:
                c.videos.download_content(video.id)
            assert bad.value.param == "video_id"
            with pytest.raises(openai.BadRequestError):
                c.videos.remix(video.id, prompt="too early")
        with (
            run_server(data_dir=tmp_path, work_delay=0.01) as url,
            openai.OpenAI(base_url=url, api_key="k") as c,
        ):
            done, _ = _wait(c, video.id)
            assert done.status == "completed"
            assert _probe(c.videos.download_content(video.id).read())[2] == 32
