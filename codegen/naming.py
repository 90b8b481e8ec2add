"""Where every operation lives on the client: ``client.<resource path>.<method>``.

The default comes from the REST path (create = POST collection, list = GET collection,
retrieve = GET item, update = POST item, delete = DELETE item, ``POST item/<verb>`` = ``<verb>``,
sub-resources nest). ``OVERRIDES`` pins the names that differ in the official ``openai`` Python SDK
(and names in the same style for operations that SDK lacks).
"""

from __future__ import annotations

import re

# Path prefixes that live under another resource in the official SDK.
PREFIX_REWRITES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/organization/", ("admin", "organization")),
    ("/projects/", ("admin", "organization", "projects")),
    ("/assistants", ("beta", "assistants")),
    ("/threads", ("beta", "threads")),
    ("/chatkit/", ("beta", "chatkit")),
    ("/realtime/sessions", ("beta", "realtime", "sessions")),
    ("/realtime/transcription_sessions", ("beta", "realtime", "transcription_sessions")),
)

# Trailing path segments after an item that are actions, not sub-collections.
ACTION_VERBS = frozenset(
    {
        "cancel",
        "complete",
        "pause",
        "resume",
        "archive",
        "activate",
        "deactivate",
        "accept",
        "hangup",
        "refer",
        "reject",
        "remix",
        "submit_tool_outputs",
        "search",
        "validate",
        "run",
        "compact",
        "fork",
    }
)

# Resources that are a single object, not a collection: GET = retrieve, POST = update.
SINGLETONS = frozenset({"data_retention", "hosted_tool_permissions", "model_permissions", "spend_limit"})

# operationId -> "dotted.resource.path.method"; pins names that the rules above get wrong.
OVERRIDES: dict[str, str] = {
    # --- names taken from the official openai Python SDK ---
    "createImage": "images.generate",
    "createImageEdit": "images.edit",
    "createImageVariation": "images.create_variation",
    "downloadFile": "files.content",
    "retrieveVectorStoreFileContent": "vector_stores.files.content",
    "listFilesInVectorStoreBatch": "vector_stores.file_batches.list_files",
    "listFineTuningEvents": "fine_tuning.jobs.list_events",
    "listFineTuningJobCheckpoints": "fine_tuning.jobs.checkpoints.list",
    "createThreadAndRun": "beta.threads.create_and_run",
    "cancelEvalRun": "evals.runs.cancel",
    "RetrieveContainerFileContent": "containers.files.content.retrieve",
    "GetSkillContent": "skills.content.retrieve",
    "GetSkillVersionContent": "skills.versions.content.retrieve",
    "RetrieveVideoContent": "videos.download_content",
    "CreateVideoCharacter": "videos.create_character",
    "GetVideoCharacter": "videos.get_character",
    "CreateVideoEdit": "videos.edit",
    "CreateVideoExtend": "videos.extend",
    "Getinputtokencounts": "responses.input_tokens.count",
    "beta_Getinputtokencounts": "beta.responses.input_tokens.count",
    "ListThreadItemsMethod": "beta.chatkit.threads.list_items",
    "uploadCertificate": "admin.organization.certificates.create",
    "list-project-rate-limits": "admin.organization.projects.rate_limits.list_rate_limits",
    "update-project-rate-limits": "admin.organization.projects.rate_limits.update_rate_limit",
    "usage-costs": "admin.organization.usage.costs",
    "usage-audio-speeches": "admin.organization.usage.audio_speeches",
    "usage-audio-transcriptions": "admin.organization.usage.audio_transcriptions",
    "usage-code-interpreter-sessions": "admin.organization.usage.code_interpreter_sessions",
    "usage-completions": "admin.organization.usage.completions",
    "usage-embeddings": "admin.organization.usage.embeddings",
    "usage-file-search-calls": "admin.organization.usage.file_search_calls",
    "usage-images": "admin.organization.usage.images",
    "usage-moderations": "admin.organization.usage.moderations",
    "usage-vector-stores": "admin.organization.usage.vector_stores",
    "usage-web-search-calls": "admin.organization.usage.web_search_calls",
    "listFineTuningCheckpointPermissions": "fine_tuning.checkpoints.permissions.list",
}

_SEG_RE = re.compile(r"\{([^}]+)\}")


def is_param(seg: str) -> bool:
    return bool(_SEG_RE.fullmatch(seg))


def derive_name(method: str, path: str) -> tuple[tuple[str, ...], str]:
    """Default (resource path, method name) for an operation from its REST shape."""
    method = method.lower()
    prefix: tuple[str, ...] = ()
    beta = False
    if "?beta=true" in path:
        path = path.replace("?beta=true", "")
        beta = True
    rest = path
    for pfx, res in PREFIX_REWRITES:
        if path.startswith(pfx) or path == pfx.rstrip("/"):
            prefix = res
            rest = path[len(pfx.rstrip("/")) :]
            break
    segs = [s for s in rest.split("/") if s]
    if prefix:
        # the prefix already names the first collection (e.g. /projects/{id} -> projects)
        pass
    resource: list[str] = list(prefix)
    if beta:
        resource = ["beta", *resource]
    item = False
    action: str | None = None
    for i, seg in enumerate(segs):
        if is_param(seg):
            item = True
            continue
        last = i == len(segs) - 1
        if last and method == "post" and seg in ACTION_VERBS and (item or resource):
            action = seg
            break
        resource.append(seg)
        item = False
    if action:
        return tuple(resource), action
    if resource and resource[-1] in SINGLETONS:
        item = True
    if method == "get":
        return tuple(resource), "retrieve" if item else "list"
    if method == "post":
        return tuple(resource), "update" if item else "create"
    if method == "delete":
        return tuple(resource), "delete"
    return tuple(resource), method


def operation_name(op_id: str, method: str, path: str) -> tuple[tuple[str, ...], str]:
    if op_id in OVERRIDES:
        *res, name = OVERRIDES[op_id].split(".")
        return tuple(res), name
    return derive_name(method, path)
