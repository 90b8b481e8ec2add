"""Images: generations, edits (image + mask), variations; b64_json and url; n; formats; streaming."""

from __future__ import annotations

import base64
import io
import re
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import openai
import pytest
from PIL import Image
from server_spec_check import SpecChecker, make_client, sdk

from openai_kit.server.testing import run_server


def _decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _b64(item: object) -> bytes:
    b64 = getattr(item, "b64_json", None)
    assert isinstance(b64, str)
    return base64.b64decode(b64)


def _png(width: int, height: int, colour: tuple[int, int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (width, height), colour).save(buf, format="PNG")
    return buf.getvalue()


def test_generation_is_a_png_of_the_size_deterministic_and_prompt_dependent(client: openai.OpenAI) -> None:
    a = client.images.generate(prompt="a red fox", size="256x256", response_format="b64_json")
    b = client.images.generate(prompt="a red fox", size="256x256", response_format="b64_json")
    c = client.images.generate(prompt="a blue whale", size="256x256", response_format="b64_json")
    assert a.data and b.data and c.data
    first, again, other = _b64(a.data[0]), _b64(b.data[0]), _b64(c.data[0])
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == again
    image, image_other = _decode(first), _decode(other)
    assert image.format == "PNG" and image.size == (256, 256)
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    others = np.asarray(image_other.convert("RGB")).reshape(-1, 3)
    different = int((pixels != others).any(axis=1).sum())
    assert different > len(pixels) // 2, "different prompts must give visibly different images"
    assert len(np.unique(pixels, axis=0)) > 10, "the image must not be a flat colour"


def test_n_images_differ_and_url_is_served_by_the_server(client: openai.OpenAI) -> None:
    result = client.images.generate(prompt="three cats", n=3, size="512x512")
    assert result.data is not None and len(result.data) == 3
    urls = [d.url for d in result.data]
    assert all(u and "/v1/images/files/" in u for u in urls)
    bodies = []
    for url in urls:
        assert url is not None
        with urllib.request.urlopen(url, timeout=10) as resp:  # no API key: the url works on its own
            assert resp.headers["content-type"] == "image/png"
            bodies.append(resp.read())
    assert len(set(bodies)) == 3
    assert all(_decode(b).size == (512, 512) for b in bodies)


def test_gpt_image_formats_and_response_fields(client: openai.OpenAI) -> None:
    result = client.images.generate(
        model="gpt-image-1", prompt="a lighthouse", size="1024x1536", output_format="webp", quality="low"
    )
    assert result.output_format == "webp" and result.size == "1024x1536" and result.quality == "low"
    assert result.usage is not None and result.usage.output_tokens > 0
    assert result.data is not None
    image = _decode(_b64(result.data[0]))
    assert image.format == "WEBP" and image.size == (1024, 1536)
    jpeg = client.images.generate(model="gpt-image-1", prompt="x", output_format="jpeg", size="1024x1024")
    assert jpeg.data is not None and _decode(_b64(jpeg.data[0])).format == "JPEG"
    clear = client.images.generate(model="gpt-image-1", prompt="x", background="transparent")
    assert clear.data is not None and _decode(_b64(clear.data[0])).mode == "RGBA"


def test_edit_with_mask_fills_the_masked_area(client: openai.OpenAI) -> None:
    image = _png(64, 64, (10, 200, 30, 255))
    mask_img = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    mask_img.paste((0, 0, 0, 0), (0, 0, 32, 64))  # the left half is to be painted
    buf = io.BytesIO()
    mask_img.save(buf, format="PNG")
    result = client.images.edit(
        image=("in.png", image, "image/png"),
        mask=("mask.png", buf.getvalue(), "image/png"),
        prompt="a sunset",
        size="256x256",
        response_format="b64_json",
    )
    assert result.data is not None
    out = _decode(_b64(result.data[0])).convert("RGB")
    assert out.size == (256, 256)
    assert out.getpixel((200, 128)) == (10, 200, 30), "outside the mask the original stays"
    left = {out.getpixel((x, y)) for x in range(0, 120, 7) for y in range(0, 256, 9)}
    assert left != {(10, 200, 30)}, "inside the mask the image is painted"
    again = client.images.edit(
        image=("in.png", image, "image/png"),
        mask=("mask.png", buf.getvalue(), "image/png"),
        prompt="a sunset",
        size="256x256",
        response_format="b64_json",
    )
    assert again.data is not None and _b64(again.data[0]) == _b64(result.data[0])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # create_variation is deprecated in the SDK
def test_edit_with_several_images_and_variations(client: openai.OpenAI) -> None:
    one, two = _png(32, 32, (255, 0, 0, 255)), _png(32, 32, (0, 0, 255, 255))
    result = client.images.edit(
        model="gpt-image-1", image=[("a.png", one, "image/png"), ("b.png", two, "image/png")], prompt="mix"
    )
    assert result.data is not None and _decode(_b64(result.data[0])).size == (1024, 1024)
    var = client.images.create_variation(
        image=("a.png", one, "image/png"), n=2, size="256x256", response_format="b64_json"
    )
    assert var.data is not None and len(var.data) == 2
    assert _b64(var.data[0]) != _b64(var.data[1])
    assert _decode(_b64(var.data[1])).size == (256, 256)


def test_stream_partial_images_then_completed(client: openai.OpenAI) -> None:
    events = list(client.images.generate(model="gpt-image-1", prompt="a tree", stream=True, partial_images=2))
    assert [e.type for e in events] == [
        "image_generation.partial_image",
        "image_generation.partial_image",
        "image_generation.completed",
    ]
    final = _decode(base64.b64decode(events[-1].b64_json))
    assert final.size == (1024, 1024)
    plain = client.images.generate(model="gpt-image-1", prompt="a tree")
    assert plain.data is not None and _b64(plain.data[0]) == base64.b64decode(events[-1].b64_json)
    edit_events = list(
        client.images.edit(
            model="gpt-image-1",
            image=("a.png", _png(8, 8, (1, 2, 3, 255)), "image/png"),
            prompt="x",
            stream=True,
            partial_images=1,
        )
    )
    assert [e.type for e in edit_events] == ["image_edit.partial_image", "image_edit.completed"]


def test_bad_image_requests_get_clear_errors(client: openai.OpenAI) -> None:
    errors = sdk(client)
    with pytest.raises(errors.BadRequestError) as info:
        client.images.generate(prompt="x", size="300x300")
    assert "size" in str(info.value) and info.value.status_code == 400
    with pytest.raises(errors.BadRequestError) as info:
        client.images.generate(model="dall-e-3", prompt="x", n=2)
    assert "n=1" in str(info.value)
    with pytest.raises(errors.BadRequestError) as info:
        client.images.edit(image=("a.png", b"not an image", "image/png"), prompt="x")
    assert "image" in str(info.value)
    with pytest.raises(errors.BadRequestError) as info:
        client.images.edit(
            image=("a.png", _png(8, 8, (0, 0, 0, 255)), "image/png"),
            mask=("m.png", _png(4, 4, (0, 0, 0, 0)), "image/png"),
            prompt="x",
        )
    assert "mask" in str(info.value)
    with pytest.raises(errors.NotFoundError):
        client.get("/images/files/img-nothere.png", cast_to=object)


def test_image_urls_need_no_key_and_survive_a_restart(tmp_path: Path, checked: SpecChecker) -> None:
    with run_server(data_dir=tmp_path / "state", api_key="sk-local") as url:
        client = make_client(url, checked, api_key="sk-local")
        result = client.images.generate(prompt="kept", size="256x256")
        assert result.data is not None and result.data[0].url is not None
        image_url = result.data[0].url
        with urllib.request.urlopen(image_url, timeout=10) as resp:
            first = resp.read()
        with pytest.raises(urllib.error.HTTPError) as info:  # the rest of the API still needs the key
            urllib.request.urlopen(url + "/models", timeout=10)
        assert info.value.code == 401
        client.close()
    with run_server(data_dir=tmp_path / "state") as url:
        port = url.split(":")[2].split("/")[0]
        moved = re.sub(r":\d+/", f":{port}/", image_url)
        with urllib.request.urlopen(moved, timeout=10) as resp:
            assert resp.read() == first


def test_huge_input_image_is_refused(client: openai.OpenAI) -> None:
    buf = io.BytesIO()
    Image.new("L", (5000, 5000)).save(buf, format="PNG")  # small file, 25 megapixels
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.images.edit(image=("big.png", buf.getvalue(), "image/png"), prompt="x")
    assert "too large" in str(info.value)
