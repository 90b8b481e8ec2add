"""``/audio``: speech (a synthesized signal, streamed chunk by chunk, or as ``speech.audio.*`` events),
transcriptions and translations in every response format (streamed as ``transcript.text.*`` events on
request). Audio made by the speech endpoint transcribes back to its exact text (see ``audio``)."""

from __future__ import annotations

import base64
import math
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .. import audio
from ..bodies import read_multipart
from ..errors import invalid, missing
from ..ids import new_id
from ..params import opt_enum, opt_num, req_str
from ..sse import event, stream_response
from ..state import json_body, ok, state_of
from ..tokens import count_tokens, stream_pieces
from . import voices

SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
TRANSCRIPT_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
CHUNK_SAMPLES = 4800  # 0.2 s of audio per streamed chunk
MAX_AUDIO_BYTES = 25 * 1024 * 1024
LANGUAGES = {
    "en": "english",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "it": "italian",
    "ja": "japanese",
}


def _voice(body: dict[str, Any]) -> str:
    value = body.get("voice")
    if value is None:
        raise missing("voice")
    if isinstance(value, dict):  # a custom voice: {"id": "voice_..."}
        return req_str(value, "id", path="voice.id")
    if not isinstance(value, str):
        raise invalid(
            "voice", "Invalid type for 'voice': expected a string or an object.", code="invalid_type"
        )
    if value not in audio.VOICES:
        raise invalid(
            "voice",
            f"Invalid value: '{value}'. Supported values are: "
            + ", ".join(f"'{v}'" for v in audio.VOICES)
            + ".",
            code="invalid_value",
        )
    return value


async def speech(request: Request) -> Response:
    body = await json_body(request)
    req_str(body, "model")
    text = req_str(body, "input")
    if len(text) > 4096:
        raise invalid(
            "input",
            "Invalid 'input': string too long. Expected a string with maximum length 4096.",
            code=None,
        )
    voice = _voice(body)
    if isinstance(body.get("voice"), dict):  # a custom voice must have been created
        voices.require_voice(state_of(request), voice)
    fmt = opt_enum(body, "response_format", SPEECH_FORMATS, "mp3") or "mp3"
    speed = opt_num(body, "speed", 1.0, lo=0.25, hi=4.0) or 1.0
    stream_format = opt_enum(body, "stream_format", ("sse", "audio"), "audio")
    if body.get("instructions") is not None:
        req_str(body, "instructions")
    if fmt == "aac" or (fmt in audio.SOUNDFILE_FORMATS and not _has_soundfile()):
        raise invalid(
            "response_format",
            f"The response format '{fmt}' is not available on this local server: "
            + (
                "no AAC encoder installs offline from a package registry"
                if fmt == "aac"
                else "it needs soundfile (pip install 'openai-kit[server]')"
            )
            + ". Use wav, pcm, flac, mp3 or opus.",
            code="unsupported_value",
        )
    pcm = audio.synthesize(text, voice, speed)
    if stream_format == "sse":
        return stream_response(_speech_events(pcm, fmt, text))
    return StreamingResponse(_speech_chunks(pcm, fmt, text), media_type=audio.MEDIA_TYPES[fmt])


def _has_soundfile() -> bool:
    try:
        import soundfile  # noqa: F401
    except ImportError:
        return False
    return True


async def _speech_chunks(pcm: audio.Samples, fmt: str, text: str) -> AsyncIterator[bytes]:
    if fmt in ("wav", "pcm"):
        if fmt == "wav":
            yield audio.wav_header(len(pcm))
        for start in range(0, len(pcm), CHUNK_SAMPLES):
            yield pcm[start : start + CHUNK_SAMPLES].astype("<i2").tobytes()
        return
    data = audio.encode(pcm, fmt, text)
    for start in range(0, len(data), 16384):
        yield data[start : start + 16384]


async def _speech_events(pcm: audio.Samples, fmt: str, text: str) -> AsyncIterator[bytes]:
    async for chunk in _speech_chunks(pcm, fmt, text):
        yield event(
            {"type": "speech.audio.delta", "audio": base64.b64encode(chunk).decode()}, "speech.audio.delta"
        )
    tokens_in = count_tokens(text)
    tokens_out = math.ceil(len(pcm) / audio.RATE * 20)
    usage = {"input_tokens": tokens_in, "output_tokens": tokens_out, "total_tokens": tokens_in + tokens_out}
    yield event({"type": "speech.audio.done", "usage": usage}, "speech.audio.done")


async def _transcribe(request: Request, translate: bool) -> Response:
    state = state_of(request)
    dest = state.store.blob_path(new_id("audio-"))
    limit = min(state.settings.max_upload_bytes, MAX_AUDIO_BYTES + 64 * 1024)
    form = await read_multipart(request, limit, dest)
    try:
        upload = form.files.get("file")
        if upload is None:
            raise missing("file")
        data = upload.path.read_bytes()
    finally:
        dest.unlink(missing_ok=True)
    fields = form.fields
    if not fields.get("model"):
        raise missing("model")
    if not data:
        raise invalid("file", "Invalid 'file': the audio file is empty.", code="invalid_value")
    fmt = opt_enum(fields, "response_format", TRANSCRIPT_FORMATS, "json") or "json"
    granularities = [
        v for k, v in form.field_parts if k in ("timestamp_granularities[]", "timestamp_granularities")
    ]
    for g in granularities:
        if g not in ("word", "segment"):
            raise invalid(
                "timestamp_granularities",
                f"Invalid value: '{g}'. Supported values are: 'word' and 'segment'.",
                code="invalid_value",
            )
    if granularities and fmt != "verbose_json":
        raise invalid(
            "timestamp_granularities",
            "timestamp_granularities is only supported with response_format 'verbose_json'.",
            code=None,
        )
    language = fields.get("language") or "en"
    stream = not translate and fields.get("stream", "").strip().lower() == "true"
    _, duration, text = audio.decode(data)
    if text is not None:
        words, _ = audio.layout(text)
    else:
        text = audio.invented_text(data, duration)
        words, _ = audio.layout(text, speed=max(0.25, audio.layout(text)[1] / max(duration, 0.1)))
    if stream and not fields["model"].startswith("whisper"):
        return stream_response(_transcript_events(text, duration))
    segs = audio.segments(text, words)
    if fmt == "text":
        return Response(text + "\n", media_type="text/plain; charset=utf-8")
    if fmt in ("srt", "vtt"):
        return Response(audio.subtitles(segs, fmt), media_type="text/plain; charset=utf-8")
    if fmt == "json":
        return ok({"text": text, "usage": {"type": "duration", "seconds": math.ceil(duration)}})
    body: dict[str, Any] = {
        "task": "translate" if translate else "transcribe",
        "language": "english" if translate else LANGUAGES.get(language, language),
        "duration": round(duration, 3),
        "text": text,
        "segments": segs if (translate or not granularities or "segment" in granularities) else [],
    }
    if not translate:
        if "word" in granularities:
            body["words"] = [{"word": w.word, "start": w.start, "end": w.end} for w in words]
        body["usage"] = {"type": "duration", "seconds": math.ceil(duration)}
    return ok(body)


async def _transcript_events(text: str, duration: float) -> AsyncIterator[bytes]:
    for piece in stream_pieces(text):
        yield event({"type": "transcript.text.delta", "delta": piece}, "transcript.text.delta")
    tokens_in = math.ceil(duration * 10)
    tokens_out = count_tokens(text)
    usage = {
        "type": "tokens",
        "input_tokens": tokens_in,
        "input_token_details": {"text_tokens": 0, "audio_tokens": tokens_in},
        "output_tokens": tokens_out,
        "total_tokens": tokens_in + tokens_out,
    }
    yield event({"type": "transcript.text.done", "text": text, "usage": usage}, "transcript.text.done")


async def transcriptions(request: Request) -> Response:
    return await _transcribe(request, translate=False)


async def translations(request: Request) -> Response:
    return await _transcribe(request, translate=True)


ROUTES = [
    Route("/audio/speech", speech, methods=["POST"]),
    Route("/audio/transcriptions", transcriptions, methods=["POST"]),
    Route("/audio/translations", translations, methods=["POST"]),
]
