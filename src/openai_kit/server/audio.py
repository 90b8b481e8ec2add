"""Speech and transcription without a speech model: a synthesized signal that carries its own text.

``synthesize`` turns text into 24 kHz 16-bit mono samples: one short voiced tone per character (the
voice sets the pitch, the character the formant), silence between words. The text itself is written
losslessly into the samples' lowest bits (a framed, CRC-checked payload), and also into the file's
comment tag for the encoded formats, so ``transcribe`` of audio this server made gives back the exact
text; other audio gets deterministic words derived from its bytes.

WAV and PCM are written here; FLAC, MP3 and Ogg Opus by soundfile (libsndfile, the ``server`` extra).
"""

from __future__ import annotations

import hashlib
import io
import struct
import wave
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Samples = npt.NDArray[np.int16]

RATE = 24000
VOICES = {
    "alloy": 140.0,
    "ash": 110.0,
    "ballad": 125.0,
    "coral": 200.0,
    "echo": 100.0,
    "fable": 160.0,
    "nova": 220.0,
    "onyx": 85.0,
    "sage": 180.0,
    "shimmer": 240.0,
    "verse": 130.0,
    "marin": 190.0,
    "cedar": 95.0,
}
#: formats written by this module or soundfile, with (container, subtype) for soundfile
SOUNDFILE_FORMATS = {"flac": ("FLAC", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III"), "opus": ("OGG", "OPUS")}
MEDIA_TYPES = {
    "wav": "audio/wav",
    "pcm": "audio/pcm",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
}
_MAGIC = b"OKT1"
_CHAR_SECONDS = 0.06
_GAP_SECONDS = 0.09
_EDGE_SECONDS = 0.1


class EncoderMissing(Exception):
    """No encoder for the requested format is installed."""


@dataclass
class Word:
    word: str
    start: float
    end: float


def layout(text: str, speed: float = 1.0) -> tuple[list[Word], float]:
    """Where each word sits in the synthesized audio, and the total duration (seconds)."""
    words: list[Word] = []
    t = _EDGE_SECONDS
    for i, word in enumerate(text.split()):
        if i:
            t += _GAP_SECONDS / speed
        length = len(word) * _CHAR_SECONDS / speed
        words.append(Word(word, round(t, 3), round(t + length, 3)))
        t += length
    return words, round(t + _EDGE_SECONDS, 3)


def synthesize(text: str, voice: str, speed: float = 1.0) -> Samples:
    import numpy as np

    words, total = layout(text, speed)
    samples = np.zeros(int(total * RATE) + 1, dtype=np.float32)
    f0 = VOICES.get(voice, 150.0)
    char_len = int(_CHAR_SECONDS / speed * RATE)
    t = np.arange(char_len, dtype=np.float32) / RATE
    envelope = np.hanning(char_len).astype(np.float32)
    for w in words:
        start = int(w.start * RATE)
        for j, ch in enumerate(w.word):
            formant = 300.0 + (ord(ch) * 37) % 1700
            tone = 0.55 * np.sin(2 * np.pi * f0 * t) + 0.35 * np.sin(2 * np.pi * formant * t)
            at = start + j * char_len
            samples[at : at + char_len] += (tone * envelope * 9000)[: len(samples) - at]
    pcm = np.clip(samples, -32768, 32767).astype(np.int16)
    return _embed(pcm, text.encode("utf-8"))


def _embed(pcm: Samples, data: bytes) -> Samples:
    import numpy as np

    payload = _MAGIC + struct.pack(">I", len(data)) + data + struct.pack(">I", zlib.crc32(data))
    bits = np.unpackbits(np.frombuffer(payload, dtype=np.uint8))
    if len(bits) > len(pcm):  # too short to carry the text: pad with silence
        pcm = np.concatenate([pcm, np.zeros(len(bits) - len(pcm), dtype=np.int16)])
    out: Samples = pcm.copy()
    out[: len(bits)] = (out[: len(bits)] & ~np.int16(1)) | bits.astype(np.int16)
    return out


def extract(pcm: Samples) -> str | None:
    """The text embedded by ``synthesize``, or ``None``."""
    import numpy as np

    if len(pcm) < 64:
        return None
    head = np.packbits((pcm[:64] & 1).astype(np.uint8)).tobytes()
    if head[:4] != _MAGIC:
        return None
    (length,) = struct.unpack(">I", head[4:8])
    end = 64 + (length + 4) * 8
    if end > len(pcm):
        return None
    body = np.packbits((pcm[64:end] & 1).astype(np.uint8)).tobytes()
    data, crc = body[:length], body[length:]
    if struct.pack(">I", zlib.crc32(data)) != crc:
        return None
    return data.decode("utf-8", "replace")


def wav_header(frames: int) -> bytes:
    size = frames * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + size)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16)
        + b"data"
        + struct.pack("<I", size)
    )


def encode(pcm: Samples, fmt: str, text: str) -> bytes:
    """The whole file in ``fmt`` (wav and pcm are better streamed with ``wav_header`` + raw samples)."""
    raw = pcm.astype("<i2").tobytes()
    if fmt == "pcm":
        return raw
    if fmt == "wav":
        return wav_header(len(pcm)) + raw
    if fmt not in SOUNDFILE_FORMATS:
        raise EncoderMissing(fmt)
    try:
        import soundfile
    except ImportError:
        raise EncoderMissing(fmt) from None
    container, subtype = SOUNDFILE_FORMATS[fmt]
    buf = io.BytesIO()
    with soundfile.SoundFile(buf, "w", samplerate=RATE, channels=1, format=container, subtype=subtype) as fh:
        fh.comment = "openai-kit:" + text.encode("utf-8").hex()
        fh.write(pcm)
    data = buf.getvalue()
    return _fixed_ogg_serial(data) if container == "OGG" else data


def decode(data: bytes) -> tuple[Samples | None, float, str | None]:
    """(samples, duration in seconds, embedded text) of an uploaded audio file; samples are ``None``
    when the format cannot be read (the duration is then estimated from the size)."""
    import numpy as np

    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            with wave.open(io.BytesIO(data)) as wav:
                frames = wav.readframes(wav.getnframes())
                if wav.getsampwidth() == 2:
                    pcm = np.frombuffer(frames, dtype="<i2")[:: wav.getnchannels()].copy()
                    return pcm, len(pcm) / wav.getframerate(), extract(pcm)
                return None, wav.getnframes() / wav.getframerate(), None
        except (wave.Error, EOFError, ValueError):
            pass
    try:
        import soundfile

        with soundfile.SoundFile(io.BytesIO(data)) as fh:
            comment = fh.comment or ""
            pcm = fh.read(dtype="int16")
            if pcm.ndim > 1:
                pcm = pcm[:, 0].copy()
            duration = len(pcm) / fh.samplerate
        text = extract(pcm)
        if text is None and comment.startswith("openai-kit:"):
            try:
                text = bytes.fromhex(comment[len("openai-kit:") :]).decode("utf-8")
            except ValueError:
                text = None
        return pcm, duration, text
    except Exception:
        pass
    if len(data) % 2 == 0 and len(data) >= 128:  # perhaps raw 24 kHz 16-bit PCM (our ``pcm`` format)
        pcm = np.frombuffer(data, dtype="<i2").copy()
        text = extract(pcm)
        if text is not None:
            return pcm, len(pcm) / RATE, text
    return None, len(data) / 16000, None


_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "seven",
    "small",
    "birds",
    "sing",
    "softly",
    "near",
    "the",
    "old",
    "river",
    "bank",
    "and",
    "bright",
    "morning",
    "light",
    "falls",
    "across",
    "quiet",
    "green",
    "hills",
]


def invented_text(data: bytes, duration: float) -> str:
    """Deterministic words for audio this server did not make (about 2.5 words a second)."""
    count = max(1, min(400, round(duration * 2.5)))
    digest = hashlib.sha256(data).digest()
    words = []
    for i in range(count):
        if i % 32 == 0 and i:
            digest = hashlib.sha256(digest).digest()
        words.append(_WORDS[digest[i % 32] % len(_WORDS)])
    return " ".join(words).capitalize() + "."


def segments(text: str, words: list[Word]) -> list[dict[str, Any]]:
    """Sentence-sized segments (at most 12 words) with the word timings of ``layout``."""
    groups: list[list[Word]] = [[]]
    for w in words:
        groups[-1].append(w)
        if w.word.endswith((".", "!", "?")) or len(groups[-1]) == 12:
            groups.append([])
    out: list[dict[str, Any]] = []
    for group in (g for g in groups if g):
        seg_text = " " + " ".join(w.word for w in group)
        out.append(
            {
                "id": len(out),
                "seek": 0,
                "start": group[0].start,
                "end": group[-1].end,
                "text": seg_text,
                "tokens": [50364 + (zlib.crc32(w.word.encode()) % 1000) for w in group],
                "temperature": 0.0,
                "avg_logprob": -0.2,
                "compression_ratio": 1.0,
                "no_speech_prob": 0.01,
            }
        )
    return out


def timestamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def subtitles(segs: list[dict[str, Any]], kind: str) -> str:
    """SRT or WebVTT cues, one per segment."""
    sep = "," if kind == "srt" else "."
    cues = []
    for i, seg in enumerate(segs, 1):
        times = f"{timestamp(seg['start'], sep)} --> {timestamp(seg['end'], sep)}"
        head = f"{i}\n" if kind == "srt" else ""
        cues.append(f"{head}{times}\n{seg['text'].strip()}\n")
    body = "\n".join(cues)
    return body if kind == "srt" else "WEBVTT\n\n" + body


# -- Ogg: libsndfile picks a random stream serial number; a fixed one makes the bytes deterministic --

_OGG_TABLE: list[int] = []


def _ogg_crc(data: bytes) -> int:
    if not _OGG_TABLE:
        for i in range(256):
            r = i << 24
            for _ in range(8):
                r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
            _OGG_TABLE.append(r & 0xFFFFFFFF)
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_TABLE[((crc >> 24) & 0xFF) ^ byte]
    return crc


def _fixed_ogg_serial(data: bytes, serial: int = 0x6F6B6974) -> bytes:
    out = bytearray(data)
    pos = 0
    while pos + 27 <= len(out) and out[pos : pos + 4] == b"OggS":
        segments_count = out[pos + 26]
        table = out[pos + 27 : pos + 27 + segments_count]
        end = pos + 27 + segments_count + sum(table)
        out[pos + 14 : pos + 18] = struct.pack("<I", serial)
        out[pos + 22 : pos + 26] = b"\0\0\0\0"
        out[pos + 22 : pos + 26] = struct.pack("<I", _ogg_crc(bytes(out[pos:end])))
        pos = end
    return bytes(out)
