"""Classes that report the official SDK's class name and module (``openai_kit._models.official_name``).

Two kinds: a subclass under a unique identifier where the official SDK has several classes of one name
(``Group`` of organization groups; ``Message`` of threads, while ``types.responses`` has its own
``Message``), and a union member renamed in place (``OutputMessage`` is the official
``ResponseOutputMessage``). Either way ``repr``, ``type(x).__name__``, pickling, the official import
path, ``isinstance`` and pydantic's schema agree. Results come from the spec-validating server.
"""

from __future__ import annotations

import importlib
import pickle
import warnings
from typing import Any

import openai
import pydantic
import pytest

from openai_kit import OpenAI
from openai_kit.pagination import SyncPage

from .spec_server import API_KEY, SpecServer


@pytest.fixture
def official(spec_server: SpecServer) -> Any:
    c = openai.OpenAI(api_key=API_KEY, admin_api_key=API_KEY, base_url=spec_server.base_url, max_retries=0)
    yield c
    c.close()


def _same_everywhere(value: Any, name: str, module: str) -> None:
    cls = type(value)
    assert (cls.__name__, cls.__qualname__, cls.__module__) == (name, name, module)
    # the official module path serves this very class, so pickle finds it
    assert getattr(importlib.import_module(module), name) is cls
    copy = pickle.loads(pickle.dumps(value))
    assert type(copy) is cls and copy == value
    assert copy.model_dump() == value.model_dump()
    assert repr(value).startswith(f"{name}(")
    assert cls.model_json_schema()["title"] == name


def test_a_shared_official_name_is_a_class_of_its_own(client: OpenAI, official: Any) -> None:
    from openai_kit.types.admin.organization import Group as ExportedGroup

    from openai_kit.types.admin import AdminOrganizationGroup, GroupResponse

    group = client.admin.organization.groups.create(name="g")
    _same_everywhere(group, "Group", "openai_kit.types.admin.organization.group")
    assert type(group) is AdminOrganizationGroup and isinstance(group, GroupResponse)
    assert ExportedGroup is AdminOrganizationGroup  # the package re-exports it, as the official one does
    assert group.model_dump() == official.admin.organization.groups.create(name="g").model_dump()


def test_two_official_classes_of_one_name_stay_two(client: OpenAI) -> None:
    """``UserDeleteResponse`` of group users and of project users: one name, two modules, two classes."""
    group_user = client.admin.organization.groups.users.delete("user_1", group_id="group_1")
    project_user = client.admin.organization.projects.users.delete("user_1", project_id="proj_1")
    assert type(group_user).__name__ == type(project_user).__name__ == "UserDeleteResponse"
    _same_everywhere(
        group_user, "UserDeleteResponse", "openai_kit.types.admin.organization.groups.user_delete_response"
    )
    _same_everywhere(
        project_user,
        "UserDeleteResponse",
        "openai_kit.types.admin.organization.projects.user_delete_response",
    )
    assert type(group_user) is not type(project_user)


def test_thread_messages_are_messages(client: OpenAI) -> None:
    from openai_kit.types.responses import Message as ResponsesMessage

    with pytest.warns(DeprecationWarning):
        message = client.beta.threads.messages.retrieve("msg_1", thread_id="thread_1")
    _same_everywhere(message, "Message", "openai_kit.types.beta.threads.message")
    assert type(message) is not ResponsesMessage


def test_page_items_of_a_union_have_the_official_member_names(client: OpenAI, official: Any) -> None:
    from openai_kit.types.responses import InputMessageResource, ResponseInputMessageItem

    items = list(client.responses.input_items.list("resp_1").data)
    theirs = list(official.responses.input_items.list("resp_1").data)
    assert [type(i).__name__ for i in items] == [type(i).__name__ for i in theirs]
    first = items[0]
    _same_everywhere(
        first, "ResponseInputMessageItem", "openai_kit.types.responses.response_input_message_item"
    )
    # renamed in place: the spec's name and the official one are one class
    assert ResponseInputMessageItem is InputMessageResource and isinstance(first, InputMessageResource)


def test_a_renamed_member_keeps_its_name_in_other_results(client: OpenAI) -> None:
    """``OutputMessage`` is ``ResponseOutputMessage`` in a Response's ``output`` too (as officially)."""
    from openai_kit.types.responses import OutputMessage, ResponseOutputMessage

    assert OutputMessage is ResponseOutputMessage
    assert OutputMessage.__name__ == "ResponseOutputMessage"
    message = OutputMessage.model_validate(
        {"id": "m", "type": "message", "role": "assistant", "status": "completed", "content": []}
    )
    _same_everywhere(message, "ResponseOutputMessage", "openai_kit.types.responses.response_output_message")


def test_checkpoint_permission_create_is_a_page(client: OpenAI, official: Any) -> None:
    ckpt = "ft:gpt-4o-mini:org:custom:abc:ckpt-step-1"
    page = client.fine_tuning.checkpoints.permissions.create(ckpt, project_ids=["proj_1"])
    theirs = official.fine_tuning.checkpoints.permissions.create(ckpt, project_ids=["proj_1"])
    assert isinstance(page, SyncPage) and isinstance(theirs, openai.pagination.SyncPage)
    assert type(page).__name__ == type(theirs).__name__ == "SyncPage[PermissionCreateResponse]"
    assert [type(p).__name__ for p in page] == [type(p).__name__ for p in theirs] != []
    assert [p.model_dump() for p in page] == [p.model_dump() for p in theirs]


def test_the_official_raw_and_streaming_wrapper_classes(client: OpenAI) -> None:
    """``CompletionsWithRawResponse(client.chat.completions)`` and friends, from the official module path:
    each is the resource's ``with_raw_response`` / ``with_streaming_response`` view."""
    from openai_kit.resources.models import ModelsWithRawResponse, ModelsWithStreamingResponse

    raw = ModelsWithRawResponse(client.models)
    response = raw.list()
    assert type(response).__name__ == type(client.models.with_raw_response.list()).__name__
    assert response.status_code == 200 and type(response.parse()).__name__ == "SyncPage[Model]"
    with ModelsWithStreamingResponse(client.models).list() as streamed:
        assert not streamed.is_closed and type(streamed.parse()).__name__ == "SyncPage[Model]"
    assert streamed.is_closed
    # the official package exports them from the resource's package (its module has only the resource)
    assert hasattr(openai.resources.chat, "CompletionsWithRawResponse")
    chat = importlib.import_module("openai_kit.resources.chat")
    from openai_kit.resources.chat.completions import Completions, CompletionsWithRawResponse

    assert chat.CompletionsWithRawResponse is CompletionsWithRawResponse
    assert isinstance(CompletionsWithRawResponse(client.chat.completions), Completions)


async def test_the_async_wrapper_classes(spec_server: SpecServer) -> None:
    from openai_kit import AsyncOpenAI
    from openai_kit.resources.models import AsyncModelsWithRawResponse, AsyncModelsWithStreamingResponse

    async with AsyncOpenAI(api_key=API_KEY, base_url=spec_server.base_url, max_retries=0) as aclient:
        response = await AsyncModelsWithRawResponse(aclient.models).list()
        assert response.status_code == 200 and type(response.parse()).__name__ == "AsyncPage[Model]"
        async with AsyncModelsWithStreamingResponse(aclient.models).list() as streamed:
            assert not streamed.is_closed
            assert type(await streamed.parse()).__name__ == "AsyncPage[Model]"
        assert streamed.is_closed


def test_every_renamed_class_builds_and_is_served_by_its_official_path() -> None:
    """Schemas are built on first use, after the rename, resolving names in the class's module: every
    class that reports an official module still builds, and that module path serves the very class."""
    import openai_kit.types as kt

    index: dict[str, str] = kt._INDEX  # type: ignore[attr-defined]
    areas = {f"openai_kit.types.{area}" for area in index.values()} | {"openai_kit.types._base"}
    renamed = []
    for name, area in sorted(index.items()):
        cls = getattr(importlib.import_module(f"openai_kit.types.{area}"), name)
        if isinstance(cls, type) and issubclass(cls, pydantic.BaseModel) and cls.__module__ not in areas:
            renamed.append(cls)
            assert cls.model_json_schema()["title"] == cls.__name__
            assert getattr(importlib.import_module(cls.__module__), cls.__qualname__) is cls
    assert len(renamed) > 100


def _model_names(value: Any, path: str = "") -> dict[str, str]:
    """Class name of every model inside ``value`` by field path (list items as ``[]``)."""
    out: dict[str, str] = {}
    if isinstance(value, pydantic.BaseModel):
        out[path] = type(value).__name__
        for name in type(value).model_fields:
            out.update(_model_names(getattr(value, name, None), f"{path}.{name}"))
    elif isinstance(value, list):
        for item in value[:3]:
            out.update(_model_names(item, path + "[]"))
    return out


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        ),
        lambda c: c.embeddings.create(model="text-embedding-3-small", input="hi"),
        lambda c: c.moderations.create(input="hi"),
        lambda c: c.batches.retrieve("batch_1"),
        lambda c: c.fine_tuning.jobs.retrieve("ftjob_1"),
        lambda c: c.vector_stores.retrieve("vs_1"),
        lambda c: c.vector_stores.files.retrieve("file_1", vector_store_id="vs_1"),
        lambda c: c.responses.create(model="gpt-4o-mini", input="hi"),
        lambda c: c.beta.threads.messages.retrieve("msg_1", thread_id="thread_1"),
        lambda c: c.beta.threads.runs.steps.retrieve("step_1", thread_id="thread_1", run_id="run_1"),
    ],
    ids=[
        "chat",
        "embeddings",
        "moderations",
        "batch",
        "fine_tuning_job",
        "vector_store",
        "vector_store_file",
        "response",
        "thread_message",
        "run_step",
    ],
)
def test_classes_inside_a_result_have_the_official_names(client: OpenAI, official: Any, call: Any) -> None:
    """``reply.choices[0].message`` is a ``ChatCompletionMessage`` with both clients (the spec calls it
    ``ChatCompletionResponseMessage``), ``choices[0]`` a ``Choice``... at every field path both results
    hold a model, side by side against the spec-validating server."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # (the Assistants API)
        ours, theirs = _model_names(call(client)), _model_names(call(official))
    shared, differ = _compare_names(ours, theirs)
    assert shared, (ours, theirs)
    assert len(shared) - len(differ) >= 2  # the root and at least one nested class agree


def _compare_names(ours: dict[str, str], theirs: dict[str, str]) -> tuple[set[str], dict[str, Any]]:
    """The field paths both hold a model at, and those where the class names differ; fails on a
    difference that ``NESTED_NAME_DIFFERENCES`` does not list. (A union position differs only when
    the example holds a member whose name differs.)"""
    shared = set(ours) & set(theirs)
    differ = {p: (ours[p], theirs[p]) for p in shared if ours[p] != theirs[p]}
    assert {p: names for p, names in differ.items() if (p, names) not in NESTED_NAME_DIFFERENCES} == {}
    return shared, differ


#: field paths where our class keeps another name than the official one (see docs/DECISIONS.md)
NESTED_NAME_DIFFERENCES: set[tuple[str, tuple[str, str]]] = {
    # one class of ours where the official SDK has one per position (input and output results)
    (".moderation.input", ("ChatCompletionModerationResults", "ModerationInputModerationResults")),
    (".moderation.input.results[]", ("ModerationResultBody", "ModerationInputModerationResultsResult")),
    (".moderation.output", ("ChatCompletionModerationResults", "ModerationOutputModerationResults")),
    (".moderation.output.results[]", ("ModerationResultBody", "ModerationOutputModerationResultsResult")),
    # the same in a Response (whose moderation results are the official classes' items directly)
    (".moderation.input", ("ModerationResultBody", "ModerationInputModerationResult")),
    (".moderation.output", ("ModerationResultBody", "ModerationOutputModerationResult")),
}


def test_a_renamed_nested_class_pickles_and_imports_from_the_official_path(client: OpenAI) -> None:
    from openai_kit.types.chat import ChatCompletionMessage, ChatCompletionResponseMessage

    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    _same_everywhere(reply.choices[0], "Choice", "openai_kit.types.chat.chat_completion")
    message = reply.choices[0].message
    _same_everywhere(message, "ChatCompletionMessage", "openai_kit.types.chat.chat_completion_message")
    # the spec's name and the official one are one class
    assert ChatCompletionMessage is ChatCompletionResponseMessage and isinstance(
        message, ChatCompletionMessage
    )
    assert repr(reply).startswith("ChatCompletion(") and "ChatCompletionMessage(" in repr(reply)


def test_classes_inside_streamed_chunks_have_the_official_names(client: OpenAI, official: Any) -> None:
    """``chunk.choices[0]`` is the ``Choice`` of ``chat_completion_chunk``, its ``delta`` a ``ChoiceDelta``
    ... with both clients, chunk by chunk."""
    messages = [{"role": "user", "content": "hi"}]
    ours = [
        _model_names(c) for c in client.chat.completions.create(model="m", messages=messages, stream=True)
    ]
    theirs = [
        _model_names(c) for c in official.chat.completions.create(model="m", messages=messages, stream=True)
    ]
    assert ours and len(ours) == len(theirs)
    compared = 0
    for mine, official_names in zip(ours, theirs, strict=True):
        compared += len(_compare_names(mine, official_names)[0])
    assert compared > len(ours)  # nested classes were compared, not only the chunks
    from openai_kit.types.chat.chat_completion_chunk import Choice, ChoiceDelta

    assert Choice.__name__ == "Choice" and ChoiceDelta.__name__ == "ChoiceDelta"
