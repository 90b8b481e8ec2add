"""Voice consents and custom voices: consent recordings are stored and listed, renamed and deleted; voices
need audio and an existing consent."""

from __future__ import annotations

import io
from pathlib import Path

import openai
import pytest
from server_spec_check import SpecChecker, make_client, sdk

from openai_kit.server.testing import run_server


def _wav(client: openai.OpenAI) -> bytes:
    return client.audio.speech.create(
        model="tts-1", voice="nova", input="I consent", response_format="wav"
    ).read()


def test_consents_and_voices(client: openai.OpenAI) -> None:
    wav = _wav(client)
    consent = client.audio.voice_consents.create(
        name="Ana", recording=("consent.wav", io.BytesIO(wav)), language="pt-BR"
    )
    assert consent.object == "audio.voice_consent" and (consent.name, consent.language) == ("Ana", "pt-BR")
    assert client.audio.voice_consents.retrieve(consent.id).name == "Ana"
    assert client.audio.voice_consents.update(consent.id, name="Ana S.").name == "Ana S."
    assert consent.id in [c.id for c in client.audio.voice_consents.list(limit=100)]
    voice = client.audio.voices.create(
        name="ana", audio_sample=("sample.wav", io.BytesIO(wav)), consent=consent.id
    )
    assert voice.object == "audio.voice" and voice.name == "ana" and voice.id.startswith("voice_")

    spoken = client.audio.speech.create(
        model="tts-1", voice={"id": voice.id}, input="custom", response_format="wav"
    )
    assert spoken.read()[:4] == b"RIFF"

    errors = sdk(client)
    with pytest.raises(errors.NotFoundError) as err:
        client.audio.speech.create(model="tts-1", voice={"id": "voice_missing"}, input="x")
    assert err.value.param == "voice.id"
    deleted = client.audio.voice_consents.delete(consent.id)
    assert deleted.deleted and deleted.id == consent.id
    with pytest.raises(errors.NotFoundError) as err:
        client.audio.voice_consents.retrieve(consent.id)
    assert err.value.param == "consent_id"
    with pytest.raises(errors.NotFoundError) as err:
        client.audio.voices.create(name="x", audio_sample=("s.wav", io.BytesIO(wav)), consent=consent.id)
    assert err.value.param == "consent"


def test_bad_uploads_name_the_field(client: openai.OpenAI) -> None:
    errors = sdk(client)
    wav = _wav(client)
    cases = [
        (dict(name="a", recording=("r.txt", io.BytesIO(b"not audio at all")), language="en"), "recording"),
        (dict(name="a", recording=("r.wav", io.BytesIO(wav)), language="english!"), "language"),
        (dict(name=" ", recording=("r.wav", io.BytesIO(wav)), language="en"), "name"),
    ]
    for kwargs, param in cases:
        with pytest.raises(errors.BadRequestError) as err:
            client.audio.voice_consents.create(**kwargs)  # type: ignore[arg-type]
        assert err.value.param == param
    with pytest.raises(errors.BadRequestError) as err:
        client.audio.voice_consents.update("cons_x", name=None)  # type: ignore[arg-type]
    assert err.value.param == "name"


def test_consents_survive_a_restart(tmp_path: Path, checked: SpecChecker) -> None:
    with run_server(data_dir=tmp_path) as url:
        client = make_client(url, checked)
        consent = client.audio.voice_consents.create(
            name="Kept", recording=("r.wav", io.BytesIO(_wav(client))), language="en"
        )
        client.close()
    with run_server(data_dir=tmp_path) as url:
        client = make_client(url, checked, kit=True)
        assert client.audio.voice_consents.retrieve(consent.id).name == "Kept"
        client.close()
