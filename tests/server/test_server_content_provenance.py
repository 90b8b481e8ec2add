"""Content provenance checks: the speech endpoint's audio is recognised by its embedded payload; images
report whether they carry a C2PA manifest store; other files get a 400."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import openai
import pytest
from server_spec_check import sdk


def _png_with(chunk_type: bytes, payload: bytes, png: bytes) -> bytes:
    chunk = (
        struct.pack(">I", len(payload))
        + chunk_type
        + payload
        + struct.pack(">I", zlib.crc32(chunk_type + payload))
    )
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def _jumbf(*labels: bytes) -> bytes:
    """A (structurally minimal) JUMBF superbox: a description box per label."""
    boxes = b"".join(
        struct.pack(">I", 8 + 17 + len(label) + 1) + b"jumd" + b"\x00" * 16 + b"\x03" + label + b"\x00"
        for label in labels
    )
    return struct.pack(">I", 8 + len(boxes)) + b"jumb" + boxes


def test_speech_audio_is_detected(client: openai.OpenAI) -> None:
    for fmt in ("wav", "flac"):
        data = client.audio.speech.create(
            model="tts-1", voice="alloy", input="provenance", response_format=fmt
        ).read()
        check = client.content_provenance_checks.create(file=(f"speech.{fmt}", io.BytesIO(data)))
        assert check.object == "content_provenance_check"
        assert [(r.type, r.outcome, r.model) for r in check.results] == [
            ("synthid", "detected", "local-speech")
        ]
    silence = (
        b"RIFF"
        + struct.pack("<I", 36 + 4000)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 24000, 48000, 2, 16)
    )
    silence += b"data" + struct.pack("<I", 4000) + b"\x00" * 4000
    other = client.content_provenance_checks.create(file=("silence.wav", io.BytesIO(silence)))
    assert [(r.type, r.outcome) for r in other.results] == [("synthid", "not_detected")]


def test_images_report_their_c2pa_manifest(client: openai.OpenAI) -> None:
    png = base64.b64decode(
        client.images.generate(model="gpt-image-1", prompt="a cat", size="1024x1024").data[0].b64_json
    )  # type: ignore[index,arg-type]

    def results(data: bytes) -> dict[str, tuple[str, str | None]]:
        check = client.content_provenance_checks.create(file=("image.png", io.BytesIO(data)))
        return {r.type: (r.outcome, getattr(r, "validation_state", None)) for r in check.results}

    assert results(png) == {"c2pa": ("not_detected", "not_present"), "synthid": ("not_detected", None)}
    signed = _png_with(b"caBX", _jumbf(b"c2pa", b"c2pa.claim", b"c2pa.signature"), png)
    assert results(signed)["c2pa"] == ("detected", "valid")
    unsigned = _png_with(b"caBX", _jumbf(b"c2pa", b"c2pa.claim"), png)
    assert results(unsigned)["c2pa"] == ("detected", "invalid")


def test_unsupported_files_are_refused(client: openai.OpenAI) -> None:
    errors = sdk(client)
    with pytest.raises(errors.BadRequestError) as err:
        client.content_provenance_checks.create(file=("notes.txt", io.BytesIO(b"just some text")))
    assert err.value.param == "file" and err.value.code == "unsupported_file"
    with pytest.raises(errors.BadRequestError) as err:
        client.post("/content_provenance_checks", body={}, cast_to=object)
    assert err.value.status_code == 400
