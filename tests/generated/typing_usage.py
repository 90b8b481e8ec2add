"""Checked by mypy (strict) in test_typing.py: typical calls type-check without casts. Not run."""

from __future__ import annotations

from openai_kit import AsyncOpenAI, OpenAI
from openai_kit.types.chat import ChatCompletion, ChatCompletionChunk
from openai_kit.types.files import FileObject


def sync_usage(client: OpenAI) -> None:
    completion: ChatCompletion = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], temperature=0.2
    )
    text: str | None = completion.choices[0].message.content
    for chunk in client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
    ):
        c: ChatCompletionChunk = chunk
        del c
    for f in client.files.list(limit=10):
        fo: FileObject = f
        print(fo.id, text)
    audio = client.audio.speech.create(model="tts-1", input="hi", voice="alloy")
    audio.write_to_file("out.mp3")
    run = client.beta.threads.runs.submit_tool_outputs("run_1", thread_id="th_1", tool_outputs=[])
    print(run.id)
    emb = client.embeddings.create(model="text-embedding-3-small", input="hi")
    print(emb.data[0].embedding)


async def async_usage(client: AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "x"}]
    )
    print(completion.choices[0].finish_reason)
    async for f in client.files.list():
        print(f.filename)
    stream = await client.responses.create(model="gpt-4.1", input="hi", stream=True)
    async for event in stream:
        print(event.type)
