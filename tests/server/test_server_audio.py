"""Audio: speech in every format a player reads (streamed), transcriptions and translations in every
response format, and the speech -> transcription round trip."""

from __future__ import annotations

import base64
import io
import json
import wave

import httpx2
import numpy as np
import openai
import pytest
import soundfile
from server_spec_check import sdk

TEXT = "Hello there. The local server speaks, and then it listens again!"


def _speech(client: openai.OpenAI, fmt: str, text: str = TEXT, voice: str = "alloy", **kw: object) -> bytes:
    return client.audio.speech.create(
        model="tts-1", voice=voice, input=text, response_format=fmt, **kw
    ).read()  # type: ignore[arg-type]


def test_speech_wav_plays_and_is_deterministic(client: openai.OpenAI) -> None:
    data = _speech(client, "wav")
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        frames = wav.readframes(wav.getnframes())
        duration = wav.getnframes() / wav.getframerate()
    assert 3.0 < duration < 6.0, duration  # about 60 ms a character
    samples = np.frombuffer(frames, dtype="<i2")
    assert np.abs(samples).max() > 3000, "the signal must be audible"
    assert _speech(client, "wav") == data
    assert _speech(client, "wav", voice="onyx") != data
    fast = _speech(client, "wav", speed=2.0)
    with wave.open(io.BytesIO(fast)) as wav:
        assert wav.getnframes() < len(samples) * 0.6
    pcm = _speech(client, "pcm")
    assert pcm == frames, "pcm is the wav's samples without the header"


def test_speech_is_streamed_in_chunks(client: openai.OpenAI, server_url: str) -> None:
    long_text = " ".join(["streaming"] * 40)
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="nova", input=long_text, response_format="pcm"
    ) as response:
        assert response.headers["transfer-encoding"] == "chunked"
        streamed = b"".join(response.iter_bytes())
    assert streamed == _speech(client, "pcm", long_text, "nova")
    body = {"model": "tts-1", "voice": "nova", "input": long_text, "response_format": "wav"}
    with httpx2.stream("POST", f"{server_url}/audio/speech", json=body, timeout=10) as resp:
        first = next(resp.iter_raw())
        assert first[:4] == b"RIFF" and len(first) < len(streamed) / 2, "the header comes before the audio"


@pytest.mark.parametrize("fmt", ["flac", "mp3", "opus"])
def test_encoded_formats_decode_and_round_trip(client: openai.OpenAI, fmt: str) -> None:
    data = _speech(client, fmt, "Encoded speech test")
    info = soundfile.info(io.BytesIO(data))
    assert info.format == {"flac": "FLAC", "mp3": "MP3", "opus": "OGG"}[fmt]
    assert 1.0 < info.duration < 2.5
    assert _speech(client, fmt, "Encoded speech test") == data
    text = client.audio.transcriptions.create(
        model="whisper-1", file=(f"a.{fmt}", data), response_format="text"
    )
    assert text.strip() == "Encoded speech test"


def test_aac_is_refused_with_a_clear_error(client: openai.OpenAI) -> None:
    with pytest.raises(sdk(client).BadRequestError) as info:
        _speech(client, "aac")
    assert "aac" in str(info.value)
    with pytest.raises(sdk(client).BadRequestError) as info:
        _speech(client, "wav", voice="nobody")
    assert "voice" in str(info.value).lower() or "nobody" in str(info.value)


def test_speech_sse_events(client: openai.OpenAI, server_url: str) -> None:
    resp = httpx2.post(
        f"{server_url}/audio/speech",
        json={
            "model": "gpt-4o-mini-tts",
            "voice": "coral",
            "input": "Hi",
            "response_format": "pcm",
            "stream_format": "sse",
        },
        timeout=10,
    )
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[5:]) for line in resp.text.splitlines() if line.startswith("data:")]
    assert [e["type"] for e in events][-1] == "speech.audio.done"
    audio = b"".join(base64.b64decode(e["audio"]) for e in events if e["type"] == "speech.audio.delta")
    assert audio == _speech(client, "pcm", "Hi", "coral")
    assert events[-1]["usage"]["total_tokens"] > 0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # translations are deprecated in the SDK
def test_round_trip_in_every_response_format(client: openai.OpenAI) -> None:
    wav = _speech(client, "wav")
    file = ("speech.wav", wav, "audio/wav")
    assert client.audio.transcriptions.create(model="whisper-1", file=file).text == TEXT
    assert (
        client.audio.transcriptions.create(model="whisper-1", file=file, response_format="text").strip()
        == TEXT
    )
    verbose = client.audio.transcriptions.create(
        model="whisper-1",
        file=file,
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert verbose.text == TEXT and verbose.language == "english"
    assert verbose.words is not None and [w.word for w in verbose.words] == TEXT.split()
    assert all(a.end <= b.start for a, b in zip(verbose.words, verbose.words[1:], strict=False))
    assert verbose.segments is not None and len(verbose.segments) == 2  # two sentences
    assert abs(verbose.duration - verbose.words[-1].end) < 0.2
    srt = client.audio.transcriptions.create(model="whisper-1", file=file, response_format="srt")
    assert srt.startswith("1\n00:00:00,100 --> ") and "Hello there." in srt and "\n2\n" in srt
    vtt = client.audio.transcriptions.create(model="whisper-1", file=file, response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n00:00:00.100 --> ") and "listens again!" in vtt
    pcm = _speech(client, "pcm")
    assert client.audio.transcriptions.create(model="whisper-1", file=("a.pcm", pcm)).text == TEXT
    translated = client.audio.translations.create(
        model="whisper-1", file=file, response_format="verbose_json"
    )
    assert translated.text == TEXT and translated.segments
    assert client.audio.translations.create(model="whisper-1", file=file).text == TEXT


def test_other_audio_gets_deterministic_text_and_streaming(client: openai.OpenAI) -> None:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.sin(np.arange(32000) / 5) * 5000).astype("<i2").tobytes())
    file = ("tone.wav", buf.getvalue())
    first = client.audio.transcriptions.create(model="whisper-1", file=file, response_format="verbose_json")
    again = client.audio.transcriptions.create(model="whisper-1", file=file, response_format="verbose_json")
    assert first.text == again.text and len(first.text.split()) == 5 and abs(first.duration - 2.0) < 0.01
    events = list(client.audio.transcriptions.create(model="gpt-4o-transcribe", file=file, stream=True))
    assert events[-1].type == "transcript.text.done" and events[-1].text == first.text
    assert "".join(e.delta for e in events[:-1]) == first.text  # type: ignore[union-attr]
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.audio.transcriptions.create(model="whisper-1", file=("e.wav", b""))
    assert "file" in str(info.value)
