"""Type-checked by test_typed_helpers.py: the helper mixins' results are typed, wrong uses are errors.

Every line marked MUST-FAIL is a mypy error; no other line is. Before the helpers declared their hosts,
these results were ``Any`` and the MUST-FAIL lines passed unnoticed.
"""

from __future__ import annotations

from pathlib import Path

import openai_kit
from openai_kit.types.batches import Batch
from openai_kit.types.beta.threads import Run
from openai_kit.types.files import FileObject
from openai_kit.types.uploads import Upload
from openai_kit.types.vector_stores import VectorStoreFile
from openai_kit.types.videos import Video


def sync_usage(client: openai_kit.OpenAI, path: Path) -> None:
    run: Run = client.beta.threads.runs.create_and_poll(thread_id="t", assistant_id="a")
    polled: Run = client.beta.threads.create_and_run_poll(assistant_id="a")
    attached: VectorStoreFile = client.vector_stores.files.upload(vector_store_id="vs", file=path)
    upload: Upload = client.uploads.upload_file_chunked(file=path, mime_type="text/plain", purpose="batch")
    video: Video = client.videos.create_and_poll(prompt="a cat")
    processed: FileObject = client.files.wait_for_processing("file-1")
    batch: Batch = client.batches.wait("batch-1")
    again: Batch = batch.wait()
    cancelled: Run = run.cancel()
    seconds: int = client.videos.poll("video-1")  # MUST-FAIL: a Video, not an int
    client.beta.threads.runs.poll("run-1", thread="t")  # MUST-FAIL: the parameter is thread_id
    state = batch.results().status  # MUST-FAIL: an iterator of results has no status
    del polled, attached, upload, video, processed, again, cancelled, seconds, state


async def async_usage(client: openai_kit.AsyncOpenAI, path: Path) -> None:
    run: Run = await client.beta.threads.runs.create_and_poll(thread_id="t", assistant_id="a")
    upload: Upload = await client.uploads.upload_file_parallel(path, purpose="batch")
    waited: Run = await run.await_()
    job_id: str = (await client.fine_tuning.jobs.wait("ftjob-1")).id
    size: str = (await client.files.wait_for_processing("file-1")).bytes  # MUST-FAIL: bytes is an int
    del upload, waited, job_id, size
