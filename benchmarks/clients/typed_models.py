"""The smallest pydantic models that type a chat completion and a Responses API reply: what the typed
floors (``urllib3+pydantic``, ``aiohttp+pydantic``) validate. They show what returning pydantic models
costs by itself (the import of pydantic, a few model classes, validation), apart from any client.

Annotations are evaluated as each class is built (no ``from __future__ import annotations``), as in a
plain script. Hand-written and deliberately incomplete (a dozen fields where the spec has hundreds of
types): a floor, not a client. Nothing else may be imported here: the cold-start scenarios import this
module first thing.
"""

from pydantic import BaseModel


class Message(BaseModel):
    role: str
    content: str | None = None
    refusal: str | None = None


class Choice(BaseModel):
    index: int
    message: Message
    finish_reason: str | None = None


class TokenDetails(BaseModel):
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: TokenDetails | None = None
    completion_tokens_details: TokenDetails | None = None


class ChatCompletion(BaseModel):
    id: str
    object: str
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage | None = None


class OutputText(BaseModel):
    type: str
    text: str


class OutputMessage(BaseModel):
    id: str
    type: str
    role: str
    status: str | None = None
    content: list[OutputText]


class ResponseUsage(BaseModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int


class Response(BaseModel):
    id: str
    object: str
    created_at: float
    status: str | None = None
    model: str
    output: list[OutputMessage]
    usage: ResponseUsage | None = None
