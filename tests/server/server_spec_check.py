"""Checking the local server's responses against the OpenAPI spec.

Every response the official ``openai`` client receives is checked against the OpenAPI spec by a
validating HTTP transport: JSON bodies against the operation's response schema (or ``ErrorResponse``),
and each Server-Sent Event against the operation's stream schema. Violations fail the test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2

if importlib.util.find_spec("openai_kit") is None:  # not installed: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import openai
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(
    os.environ.get("OPENAI_KIT_SPEC", Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml")
)


# -- the spec ------------------------------------------------------------------------------------


def load_spec() -> dict[str, Any]:
    """The spec as JSON, cached under the temp dir keyed by the YAML file's mtime (a YAML parse takes ~1 s)."""
    stat = SPEC_PATH.stat()
    cache = Path(tempfile.gettempdir()) / f"openai-kit-spec-{stat.st_mtime_ns}-{stat.st_size}.json"
    if cache.exists():
        try:
            spec: dict[str, Any] = json.loads(cache.read_text())
            return spec
        except ValueError:
            pass
    import yaml

    with SPEC_PATH.open() as fh:
        spec = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(spec, default=str))
    tmp.replace(cache)
    return json.loads(json.dumps(spec, default=str))  # type: ignore[no-any-return]


def repair(node: Any) -> Any:
    """The two repairs the spec needs: dedupe ``required``; turn OpenAPI 3.0 ``nullable`` into JSON Schema."""
    if isinstance(node, list):
        return [repair(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: repair(v) for k, v in node.items()}
    if isinstance(out.get("required"), list):
        out["required"] = list(dict.fromkeys(out["required"]))
    if out.get("nullable") is True:
        del out["nullable"]
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"] if "null" not in types else types
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            return {"anyOf": [out, {"type": "null"}]}
    elif "nullable" in out and out.get("nullable") is False:
        del out["nullable"]
    return out


class SpecChecker:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.registry: Registry[Any] = Registry().with_resource(
            "urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        self._validators: dict[str, Draft202012Validator] = {}
        self.routes: list[tuple[re.Pattern[str], str, dict[str, Any]]] = []
        for template, item in spec["paths"].items():
            if "?" in template:
                continue
            regex = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            self.routes.append((regex, template, item))
        self.routes.sort(key=lambda r: r[1].count("{"))
        self.failures: list[str] = []
        self.checked = 0

    def validator(self, ref: str) -> Draft202012Validator:
        if ref not in self._validators:
            self._validators[ref] = Draft202012Validator({"$ref": "urn:spec" + ref}, registry=self.registry)
        return self._validators[ref]

    def errors(self, ref: str, instance: Any) -> list[str]:
        self.checked += 1
        found = []
        for err in self.validator(ref).iter_errors(instance):
            if any(known(ref, err) for known in KNOWN_SPEC_DEFECTS):
                continue
            best = err
            if err.context:
                best = max(err.context, key=lambda e: len(list(e.relative_path)))
            found.append(f"{ref} at {list(err.absolute_path)}: {best.message[:300]}")
        return found

    def schema_ref(self, name: str) -> str:
        return f"#/components/schemas/{name}"

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for regex, template, item in self.routes:
            if regex.match(path) and method.lower() in item:
                return template, item[method.lower()]
        return None

    def response_ref(self, method: str, path: str, status: int, media: str) -> str | None:
        if status >= 400:
            return self.schema_ref("ErrorResponse")
        # the official client cancels an eval run at ``.../runs/{run_id}/cancel``, the spec at ``.../runs/{run_id}``
        path = re.sub(r"^(/evals/[^/]+/runs/[^/]+)/cancel$", r"\1", path)
        found = self.operation(method, path)
        if found is None:
            raise AssertionError(f"{method} {path} is not an operation of the spec")
        template, op = found
        content = op.get("responses", {}).get(str(status), {}).get("content", {})
        if media == "text/event-stream":
            if "/runs" in template:
                return self.schema_ref("AssistantStreamEvent")
            schema = content.get("text/event-stream", {}).get("schema") or content.get(
                "application/json", {}
            ).get("schema")
        else:
            schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return None
        ref = schema.get("$ref")
        if ref is None:
            return None
        return str(ref)

    def check(self, method: str, path: str, status: int, media: str, body: Any, what: str = "") -> None:
        ref = self.response_ref(method, path, status, media)
        if ref is None:
            return
        for err in self.errors(ref, body):
            self.failures.append(f"{method} {path} {status} {what}: {err}")


def _stored_message_role(ref: str, err: ValidationError) -> bool:
    # Stored chat completion messages are the request's messages (role "user", "system", ...), but the
    # spec reuses the assistant-reply schema, whose role enum holds only "assistant".
    return (
        ref.endswith("/ChatCompletionMessageList")
        and list(err.path)[-1:] == ["role"]
        and err.validator == "enum"
    )


def _completion_chunk_finish_reason(ref: str, err: ValidationError) -> bool:
    # The spec has no stream schema for /completions, so chunks are checked against the full response;
    # chunks before the last carry ``finish_reason: null``, as the API sends them.
    return (
        ref.endswith("/CreateCompletionResponse")
        and list(err.path)[-1:] == ["finish_reason"]
        and (err.instance is None)
    )


def _base64_embedding(ref: str, err: ValidationError) -> bool:
    # With ``encoding_format="base64"`` (the official client's default) each embedding is a base64
    # string; the spec only describes the float array.
    return (
        ref.endswith("/CreateEmbeddingResponse")
        and list(err.path)[-1:] == ["embedding"]
        and isinstance(err.instance, str)
    )


def _empty_page_ids(ref: str, err: ValidationError) -> bool:
    # An empty list page has no first or last object: the API sends ``first_id``/``last_id`` as null
    # (the official client types them Optional), the spec types them as plain strings.
    return list(err.path) in (["first_id"], ["last_id"]) and err.instance is None


def _eval_template_one_of(ref: str, err: ValidationError) -> bool:
    # An eval run's ``input_messages.template`` items are ``oneOf: [EasyInputMessage, EvalItem]`` (responses:
    # ``[{role, content}, EvalItem]``), but a plain ``{"role", "content"}`` message is valid under both, so
    # oneOf fails for the very example the docs give. Valid when that oneOf is read as anyOf.
    if list(err.path)[-1:] != ["data_source"] or err.validator != "oneOf":
        return False
    return not any(_lenient_run_data_source().iter_errors(err.instance))


_LENIENT: list[Draft202012Validator] = []


def _lenient_run_data_source() -> Draft202012Validator:
    if not _LENIENT:
        spec = repair(load_spec())
        schemas = spec["components"]["schemas"]
        branches = [schemas["CreateEvalJsonlRunDataSource"]]
        for name in ("CreateEvalCompletionsRunDataSource", "CreateEvalResponsesRunDataSource"):
            schema = json.loads(json.dumps(schemas[name]))
            for option in schema["properties"]["input_messages"]["oneOf"]:
                items = option["properties"].get("template", {}).get("items")
                if items is not None and "oneOf" in items:
                    items["anyOf"] = items.pop("oneOf")
            branches.append(schema)
        registry: Registry[Any] = Registry().with_resource(
            "urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        _LENIENT.append(
            Draft202012Validator({"oneOf": _rebase(branches)}, registry=registry)  # type: ignore[call-arg]
        )
    return _LENIENT[0]


def _rebase(node: Any) -> Any:
    """Local ``#/...`` references pointed at the registered spec."""
    if isinstance(node, list):
        return [_rebase(x) for x in node]
    if isinstance(node, dict):
        return {
            k: ("urn:spec" + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _rebase(v))
            for k, v in node.items()
        }
    return node


#: Places where the spec contradicts the API it describes; the server follows the API there.
KNOWN_SPEC_DEFECTS = (
    _stored_message_role,
    _completion_chunk_finish_reason,
    _base64_embedding,
    _empty_page_ids,
    _eval_template_one_of,
)


# -- a transport that checks every response ----------------------------------------------------


class _SSETee(httpx2.SyncByteStream):
    def __init__(self, inner: Any, checker: SpecChecker, method: str, path: str, status: int) -> None:
        self.inner = inner
        self.checker = checker
        self.method, self.path, self.status = method, path, status
        self.buffer = b""

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            self.buffer += chunk
            while b"\n\n" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\n\n", 1)
                self._event(raw.decode())
            yield chunk

    def _event(self, raw: str) -> None:
        name = None
        data = []
        for line in raw.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
        text = "\n".join(data)
        if not text:
            return
        if "/runs" in self.path:
            payload: Any = {"event": name, "data": text if text == "[DONE]" else json.loads(text)}
        elif text == "[DONE]":
            return
        else:
            payload = json.loads(text)
            if name is not None and payload.get("type") != name:
                self.checker.failures.append(
                    f"SSE event name {name!r} != payload type {payload.get('type')!r}"
                )
        self.checker.check(self.method, self.path, self.status, "text/event-stream", payload, f"event {name}")

    def close(self) -> None:
        self.inner.close()


class ValidatingTransport(httpx2.HTTPTransport):
    def __init__(self, checker: SpecChecker) -> None:
        super().__init__()
        self.checker = checker

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = super().handle_request(request)
        path = request.url.path.removeprefix("/v1")
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media == "text/event-stream":
            return httpx2.Response(
                response.status_code,
                headers=response.headers,
                request=request,
                extensions=response.extensions,
                stream=_SSETee(response.stream, self.checker, request.method, path, response.status_code),
            )
        if media == "application/json":
            raw = b"".join(response.stream)
            response.stream.close()
            self.checker.check(request.method, path, response.status_code, media, json.loads(raw))
            return httpx2.Response(
                response.status_code,
                headers=response.headers,
                content=raw,
                request=request,
                extensions=response.extensions,
            )
        return response


def make_client(
    url: str, checker: SpecChecker, api_key: str = "test-key", *, kit: bool = False, **kw: Any
) -> openai.OpenAI:
    """The official client (or, with ``kit``, openai-kit's) over a transport that checks every response."""
    http = httpx2.Client(transport=ValidatingTransport(checker), timeout=20)
    if kit:
        import openai_kit

        client: Any = openai_kit.OpenAI(base_url=url, api_key=api_key, http_client=http, max_retries=0, **kw)
        return client  # type: ignore[no-any-return]
    return openai.OpenAI(base_url=url, api_key=api_key, http_client=http, max_retries=0, **kw)


def sdk(client: Any) -> Any:
    """The package ``client`` comes from (``openai`` or ``openai_kit``): its error classes are the
    ones that client raises, as they would be for code that switched by changing the import."""
    import openai_kit

    return openai_kit if isinstance(client, openai_kit.OpenAI) else openai
