"""``/organization``: the admin API, as stored state.

Most of the ~100 operations are create / retrieve / list / update / delete over a stored kind, so each
kind is one row of a table (``Collection``: its path, its ``Stored`` description, a creator, an updater,
the answers of create and delete, its list's page style) and ``_collection_routes`` turns a row into
its routes. Settings that exist once per organization or project (data retention, spend limit, model
and hosted-tool permissions) are rows of a second table (``Setting``). Every change is written to the
audit log (``GET /organization/audit_logs``); usage and costs come from ``server.usage_ledger``.

The organization starts with one owner (``user-owner``) and a ``Default project``. Invites are accepted at
once (a local server has no mailbox): the invitee becomes a user, and a member of the invite's projects.
Keys created here (admin API keys, service-account keys) are real: an admin key authenticates
``/organization`` requests (see ``authorized``); only a hash of any key is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import usage_ledger
from ..crud import Stored
from ..errors import RequestError, invalid, missing
from ..ids import new_id, now
from ..pagination import paginate, query_int
from ..params import opt_bool, opt_dict, opt_enum, opt_int, opt_list, opt_str, req_str
from ..state import ServerState, json_body, ok, state_of

Doc = dict[str, Any]
Params = Mapping[str, str]
ORG = "/organization"
OWNER_ID = "user-owner"
OWNER_EMAIL = "owner@localhost"
DEFAULT_PROJECT_ID = "proj_default"
SEED_KIND = "organization_seed"
AUDIT_KIND = "organization_audit_log"
SETTING_KIND = "organization_setting"

# -- keys ----------------------------------------------------------------------------------------


def _key_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _new_key(prefix: str) -> tuple[str, str]:
    """A new secret and its redacted form (``sk-admin...wxyz``)."""
    value = prefix + secrets.token_urlsafe(36)
    return value, value[: len(prefix) - 1] + "..." + value[-4:]


def authorized(state: ServerState, token: str) -> bool:
    """Whether ``token`` may call ``/organization``: a live admin key created through the API, else the
    server's ``admin_api_key`` (or, when none is configured, its ``api_key``; with neither, any token)."""
    if token:
        digest = _key_hash(token)
        for key in state.store.list("admin_api_key"):
            expires = key.get("expires_at")
            if secrets.compare_digest(key.get("_hash", ""), digest) and (expires is None or expires > now()):
                state.store.update("admin_api_key", key["id"], lambda d: d.__setitem__("last_used_at", now()))
                return True
    expected = state.settings.admin_api_key or state.settings.api_key
    return expected is None or secrets.compare_digest(token, expected)


# -- seed, views, audit --------------------------------------------------------------------------


def _seed(state: ServerState) -> None:
    """The organization's first owner and its default project, created on first use."""
    if state.store.get(SEED_KIND, "org") is not None:
        return
    t = now()
    state.store.insert(SEED_KIND, {"id": "org", "created_at": t})
    state.store.insert(
        "organization_user",
        {
            "object": "organization.user",
            "id": OWNER_ID,
            "name": "Local Owner",
            "email": OWNER_EMAIL,
            "role": "owner",
            "added_at": t,
        },
    )
    state.store.insert("organization_project", _project_doc(DEFAULT_PROJECT_ID, "Default project", t))


def _project_doc(project_id: str, name: str, t: int) -> Doc:
    return {
        "id": project_id,
        "object": "organization.project",
        "name": name,
        "created_at": t,
        "archived_at": None,
        "status": "active",
    }


def _public(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _public_view(state: ServerState, doc: Doc) -> Doc:
    return _public(doc)


_ACTOR = {
    "type": "api_key",
    "api_key": {"id": "key_local", "type": "user", "user": {"id": OWNER_ID, "email": OWNER_EMAIL}},
}


def audit(state: ServerState, event: str, target: Any, project: str | None = None, **details: Any) -> None:
    """Record one audit-log event (``project.created``, ``api_key.deleted``...) about the object ``target``."""
    entry: Doc = {
        "id": new_id("audit_log-"),
        "type": event,
        "effective_at": now(),
        "actor": _ACTOR,
        event: {"id": target, **details} if target else details,
    }
    if project is not None:
        doc = state.store.get("organization_project", project)
        entry["project"] = {"id": project, "name": (doc or {}).get("name") or ""}
    state.store.insert(AUDIT_KIND, entry)


def _purge(state: ServerState, kind: str, field_name: str, value: str) -> None:
    """Delete every document of ``kind`` whose ``field_name`` is ``value`` (a membership of a deleted object)."""
    for doc in state.store.list(kind):
        if doc.get(field_name) == value:
            state.store.delete(kind, doc["id"])


def _query_list(request: Request, name: str) -> list[str]:
    """An array query parameter, sent as ``name[]=a&name[]=b`` (the SDKs) or ``name=a&name=b``."""
    q = request.query_params
    return [v for v in (*q.getlist(name + "[]"), *q.getlist(name)) if v]


def _query_bool(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise invalid(name, f"Invalid '{name}': expected a boolean, but got '{raw}'.", code="invalid_type")


def _str_list(body: Doc, name: str, *, required: bool = False, non_empty: bool = False) -> list[str] | None:
    values = opt_list(body, name, max_items=1000)
    if values is None:
        if required:
            raise missing(name)
        return None
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise invalid(
                f"{name}[{i}]", f"Invalid type for '{name}[{i}]': expected a string.", code="invalid_type"
            )
    if non_empty and not values:
        raise invalid(name, f"Invalid '{name}': expected at least one item.", code="empty_array")
    return [str(v) for v in values]


def _req_int(body: Doc, name: str, lo: int = 0) -> int:
    if body.get(name) is None:
        raise missing(name)
    value = opt_int(body, name, lo=lo)
    assert value is not None
    return value


def _req_enum(body: Doc, name: str, allowed: Iterable[str]) -> str:
    if body.get(name) is None:
        raise missing(name)
    value = opt_enum(body, name, tuple(allowed))
    assert value is not None
    return value


# -- the table -----------------------------------------------------------------------------------

#: makes the document to store from the path parameters and the body, and the answer to the create
Creator = Callable[[ServerState, Params, Doc], tuple[Doc, Doc]]
#: changes a stored document in place from the body (raises a 400 for bad input before any change)
Updater = Callable[[ServerState, Params, Doc, Doc], None]


@dataclass(frozen=True)
class Collection:
    stored: Stored
    #: the collection's path; an item is at ``path + "/{" + stored.param + "}"``
    path: str
    create: Creator | None = None
    update: Updater | None = None
    #: ``ids`` pages carry ``first_id``/``last_id``; ``next`` pages carry ``next`` (the next ``after``)
    page: str = "ids"
    #: the list's filter from the query (checked once per request, even when the list is empty)
    keep: Callable[[Request], Callable[[Doc], bool]] | None = None
    retrieve: bool = True
    #: the delete answer, from the path parameters; ``None``: no delete operation
    deleted: Callable[[Params], Doc] | None = None
    #: audit-log events of update and delete
    updated_event: str = ""
    deleted_event: str = ""
    #: a check before a delete (a 400 when the object must stay)
    before_delete: Callable[[ServerState, Doc], None] | None = None
    #: clean-up of documents that refer to a deleted one
    on_delete: Callable[[ServerState, Params], None] | None = None
    #: documents of the list, when they are not the stored kind's children of the parent (a computed list)
    source: Callable[[ServerState, Params], list[Doc]] | None = None
    extra_routes: list[Route] = field(default_factory=list)

    def parent_key(self, params: Params) -> str | None:
        return None if self.stored.parent is None else params[self.stored.parent.param]

    def project_of(self, params: Params) -> str | None:
        return params.get("project_id")

    async def create_handler(self, request: Request) -> Response:
        assert self.create is not None
        state = state_of(request)
        _seed(state)
        params = request.path_params
        if self.stored.parent is not None:
            self.stored.parent.require(state, params)
        body = await json_body(request)
        doc, answer = self.create(state, params, body)
        state.store.insert(self.stored.kind, doc, parent=self.parent_key(params))
        return ok(answer)

    async def list_handler(self, request: Request) -> Response:
        state = state_of(request)
        _seed(state)
        params = request.path_params
        if self.stored.parent is not None:
            self.stored.parent.require(state, params)
        docs = (
            self.source(state, params)
            if self.source is not None
            else state.store.list(self.stored.kind, parent=self.parent_key(params))
        )
        keep = self.keep(request) if self.keep is not None else None
        views = [self.stored.show(state, d) for d in docs if keep is None or keep(d)]
        page = paginate(views, request.query_params, default_order="asc")
        if self.page == "next":
            page = {
                "object": "list",
                "data": page["data"],
                "has_more": page["has_more"],
                "next": page["last_id"] if page["has_more"] else None,
            }
        return ok(page)

    async def retrieve_handler(self, request: Request) -> Response:
        state = state_of(request)
        _seed(state)
        return ok(self.stored.show(state, self.stored.require(state, request.path_params)))

    async def update_handler(self, request: Request) -> Response:
        assert self.update is not None
        state = state_of(request)
        _seed(state)
        params = request.path_params
        body = await json_body(request, allow_empty=True)
        doc = self.stored.require(state, params)
        self.update(state, params, doc, body)
        state.store.put(self.stored.kind, doc)
        if self.updated_event:
            audit(
                state,
                self.updated_event,
                params[self.stored.param],
                self.project_of(params),
                changes_requested=body,
            )
        return ok(self.stored.show(state, doc))

    async def delete_handler(self, request: Request) -> Response:
        assert self.deleted is not None
        state = state_of(request)
        _seed(state)
        params = request.path_params
        doc = self.stored.require(state, params)
        if self.before_delete is not None:
            self.before_delete(state, doc)
        state.store.delete(self.stored.kind, self.stored.store_key(params))
        if self.on_delete is not None:
            self.on_delete(state, params)
        if self.deleted_event:
            audit(state, self.deleted_event, params[self.stored.param], self.project_of(params))
        return ok(self.deleted(params))

    def routes(self) -> list[Route]:
        item = f"{self.path}/{{{self.stored.param}}}"
        out = list(self.extra_routes)
        out.append(Route(self.path, self.list_handler, methods=["GET"]))
        if self.create is not None:
            out.append(Route(self.path, self.create_handler, methods=["POST"]))
        if self.retrieve:
            out.append(Route(item, self.retrieve_handler, methods=["GET"]))
        if self.update is not None:
            out.append(Route(item, self.update_handler, methods=["POST"]))
        if self.deleted is not None:
            out.append(Route(item, self.delete_handler, methods=["DELETE"]))
        return out


def _deleted(obj: str, param: str | None = None) -> Callable[[Params], Doc]:
    """A delete answer: ``{"object": obj, "deleted": true}`` plus ``id`` when ``param`` names it."""

    def answer(params: Params) -> Doc:
        out: Doc = {"object": obj, "deleted": True}
        if param is not None:
            out["id"] = params[param]
        return out

    return answer


# -- users and roles -----------------------------------------------------------------------------

USERS = Stored("organization_user", "user", "user_id", view=_public_view)
GROUPS = Stored("organization_group", "group", "group_id", view=_public_view)
PROJECTS = Stored("organization_project", "project", "project_id", view=_public_view)


def _user_by_email(state: ServerState, email: str) -> Doc | None:
    return next(
        (u for u in state.store.list(USERS.kind) if u.get("email", "").lower() == email.lower()), None
    )


def _new_user(state: ServerState, email: str, role: str) -> Doc:
    user = {
        "object": "organization.user",
        "id": new_id("user-"),
        "name": email.split("@", 1)[0],
        "email": email,
        "role": role,
        "added_at": now(),
    }
    state.store.insert(USERS.kind, user)
    audit(state, "user.added", user["id"], data={"role": role})
    return user


def _update_user(state: ServerState, params: Params, doc: Doc, body: Doc) -> None:
    role = opt_enum(body, "role", ("owner", "reader"))
    role_id = opt_str(body, "role_id")
    technical_level = opt_str(body, "technical_level", max_len=256)
    persona = opt_str(body, "developer_persona", max_len=256)
    if role_id is not None:
        ROLES.find(state, role_id, "role_id")
    if role is not None and role != "owner" and doc.get("role") == "owner":
        _require_other_owner(state, doc["id"])
    for name, value in (("role", role), ("technical_level", technical_level), ("developer_persona", persona)):
        if value is not None:
            doc[name] = value
    key = f"{doc['id']}/{role_id}"
    if role_id is not None and state.store.get("organization_user_role", key) is None:
        # ``role_id`` assigns that role, as ``POST /organization/users/{user_id}/roles`` does
        assignment = {"id": key, "_role_id": role_id, "_user_id": doc["id"], "created_at": now()}
        state.store.insert("organization_user_role", assignment, parent=doc["id"])


def _require_other_owner(state: ServerState, user_id: str) -> None:
    if not any(u["role"] == "owner" and u["id"] != user_id for u in state.store.list(USERS.kind)):
        raise invalid("user_id", "The organization must keep at least one owner.", code="last_owner")


def _check_user_delete(state: ServerState, user: Doc) -> None:
    if user.get("role") == "owner":
        _require_other_owner(state, user["id"])


def _user_deleted(state: ServerState, params: Params) -> None:
    uid = params["user_id"]
    _purge(state, "organization_group_user", "_user_id", uid)
    state.store.delete_children("organization_user_role", uid)
    _purge(state, "organization_project_user", "_user_id", uid)


def _user_keep(request: Request) -> Callable[[Doc], bool]:
    emails = _query_list(request, "emails")
    return lambda doc: not emails or doc.get("email") in emails


def _role_view(state: ServerState, doc: Doc) -> Doc:
    return {
        "object": "role",
        "id": doc["id"],
        "name": doc["name"],
        "description": doc.get("description"),
        "permissions": doc["permissions"],
        "resource_type": doc["resource_type"],
        "predefined_role": False,
    }


def _create_role(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
    name = req_str(body, "role_name")
    permissions = _str_list(body, "permissions", required=True)
    description = opt_str(body, "description", max_len=1024)
    t = now()
    doc = {
        "id": new_id("role_"),
        "name": name,
        "description": description,
        "permissions": permissions,
        "resource_type": "api.organization",
        "created_at": t,
        "updated_at": t,
    }
    audit(
        state,
        "role.created",
        doc["id"],
        role_name=name,
        permissions=permissions,
        resource_type="api.organization",
    )
    return doc, _role_view(state, doc)


def _update_role(state: ServerState, params: Params, doc: Doc, body: Doc) -> None:
    name = opt_str(body, "role_name")
    if name == "":
        raise invalid("role_name", "Invalid 'role_name': empty string.", code="empty_string")
    permissions = _str_list(body, "permissions")
    description = opt_str(body, "description", max_len=1024)
    for key, value in (("name", name), ("permissions", permissions), ("description", description)):
        if value is not None:
            doc[key] = value
    doc["updated_at"] = now()


def _role_deleted(state: ServerState, params: Params) -> None:
    rid = params["role_id"]
    _purge(state, "organization_group_role", "_role_id", rid)
    _purge(state, "organization_user_role", "_role_id", rid)


ROLES = Stored("organization_role", "role", "role_id", view=_role_view)


def _assigned_role(state: ServerState, role_id: str) -> Doc:
    role = state.store.get(ROLES.kind, role_id) or {}
    return {
        **_role_view(state, role),
        "created_at": role.get("created_at"),
        "updated_at": role.get("updated_at"),
        "created_by": OWNER_ID,
        "created_by_user_obj": None,
        "metadata": None,
        "assignment_sources": None,
    }


def _assignment_view(state: ServerState, doc: Doc) -> Doc:
    view = _assigned_role(state, doc["_role_id"])
    view.pop("object", None)
    return view


def _group_brief(doc: Doc) -> Doc:
    return {
        "object": "group",
        "id": doc["id"],
        "name": doc["name"],
        "created_at": doc["created_at"],
        "scim_managed": False,
    }


def _role_assigner(owner: Stored, obj: str) -> Creator:
    """``POST /organization/{groups|users}/{id}/roles``: assign a role to the group or user."""

    def create(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
        role_id = req_str(body, "role_id")
        ROLES.find(state, role_id, "role_id")
        principal = owner.require(state, params)
        key = f"{principal['id']}/{role_id}"
        kind = "organization_group_role" if obj == "group.role" else "organization_user_role"
        if state.store.get(kind, key) is not None:
            raise invalid("role_id", f"The role '{role_id}' is already assigned.", code="already_assigned")
        doc = {
            "id": key,
            "_role_id": role_id,
            owner.parent_field or f"_{owner.param}": principal["id"],
            "created_at": now(),
        }
        audit(
            state,
            "role.assignment.created",
            key,
            principal_id=principal["id"],
            principal_type=obj.split(".")[0],
            resource_id="org",
            resource_type="api.organization",
        )
        subject = _group_brief(principal) if obj == "group.role" else _public(principal)
        return doc, {
            "object": obj,
            obj.split(".")[0]: subject,
            "role": _role_view(state, state.store.get(ROLES.kind, role_id) or {}),
        }

    return create


def _assignment_collection(owner: Stored, kind: str, obj: str) -> Collection:
    stored = Stored(
        kind,
        "role assignment",
        "role_id",
        parent=owner,
        parent_field=f"_{owner.param}",
        key=lambda p: f"{p[owner.param]}/{p['role_id']}",
        view=_assignment_view,
    )
    return Collection(
        stored,
        f"{ORG}/{'groups' if obj == 'group.role' else 'users'}/{{{owner.param}}}/roles",
        create=_role_assigner(owner, obj),
        page="next",
        deleted=_deleted(f"{obj}.deleted"),
        deleted_event="role.assignment.deleted",
    )


# -- groups --------------------------------------------------------------------------------------


def _create_group(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
    name = req_str(body, "name")
    doc = {
        "id": new_id("group_"),
        "name": name,
        "created_at": now(),
        "is_scim_managed": False,
        "group_type": "group",
    }
    audit(state, "group.created", doc["id"], data={"group_name": name})
    return doc, doc


def _update_group(state: ServerState, params: Params, doc: Doc, body: Doc) -> None:
    doc["name"] = req_str(body, "name")


def _group_deleted(state: ServerState, params: Params) -> None:
    gid = params["group_id"]
    state.store.delete_children("organization_group_user", gid)
    state.store.delete_children("organization_group_role", gid)
    _purge(state, "organization_project_group", "_group_id", gid)


def _group_user_view(state: ServerState, doc: Doc) -> Doc:
    user = state.store.get(USERS.kind, doc["_user_id"]) or {}
    return {
        "id": doc["_user_id"],
        "name": user.get("name") or "",
        "email": user.get("email"),
        "picture": None,
        "is_service_account": False,
        "user_type": "user",
    }


def _add_group_user(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
    user_id = req_str(body, "user_id")
    USERS.find(state, user_id, "user_id")
    gid = params["group_id"]
    key = f"{gid}/{user_id}"
    if state.store.get("organization_group_user", key) is not None:
        raise invalid("user_id", f"The user '{user_id}' is already in this group.", code="already_member")
    doc = {"id": key, "_group_id": gid, "_user_id": user_id, "created_at": now()}
    return doc, {"object": "group.user", "user_id": user_id, "group_id": gid}


GROUP_USERS = Stored(
    "organization_group_user",
    "group user",
    "user_id",
    parent=GROUPS,
    parent_field="_group_id",
    key=lambda p: f"{p['group_id']}/{p['user_id']}",
    view=_group_user_view,
)


# -- invites -------------------------------------------------------------------------------------


def _invite_projects(state: ServerState, body: Doc) -> list[Doc]:
    projects = opt_list(body, "projects", max_items=100) or []
    out = []
    for i, item in enumerate(projects):
        where = f"projects[{i}]"
        if not isinstance(item, dict):
            raise invalid(where, f"Invalid type for '{where}': expected an object.", code="invalid_type")
        pid = req_str(item, "id", path=f"{where}.id")
        role = opt_enum(item, "role", ("member", "owner"), path=f"{where}.role")
        if role is None:
            raise missing(f"{where}.role")
        PROJECTS.find(state, pid, f"{where}.id")
        out.append({"id": pid, "role": role})
    return out


def _create_invite(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
    email = req_str(body, "email")
    if "@" not in email.strip("@") or any(c.isspace() for c in email):
        raise invalid("email", f"Invalid 'email': '{email}' is not an email address.", code="invalid_email")
    role = _req_enum(body, "role", ("reader", "owner"))
    projects = _invite_projects(state, body)
    if _user_by_email(state, email) is not None:
        raise invalid("email", f"'{email}' is already a member of this organization.", code="already_member")
    t = now()
    doc = {
        "object": "organization.invite",
        "id": new_id("invite-"),
        "email": email,
        "role": role,
        "status": "accepted",
        "created_at": t,
        "expires_at": t + 7 * 86400,
        "accepted_at": t,
        "projects": projects,
    }
    audit(state, "invite.sent", doc["id"], data={"email": email, "role": role})
    audit(state, "invite.accepted", doc["id"])
    user = _new_user(state, email, role)
    for project in projects:
        _add_project_user(state, project["id"], user, project["role"])
    return doc, doc


# -- projects ------------------------------------------------------------------------------------

RESIDENCIES = (
    "GLOBAL",
    "US_STORAGE_PROCESSING",
    "EU_STORAGE_PROCESSING",
    "JP_STORAGE",
    "KR_STORAGE",
    "CA_STORAGE",
    "SG_STORAGE",
    "IN_STORAGE",
    "AU_STORAGE",
    "GB_STORAGE",
    "AE_STORAGE",
    "AE_STORAGE_PROCESSING",
)


def _create_project(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
    name = req_str(body, "name")
    residency = opt_enum(body, "residency", RESIDENCIES)
    external_key_id = opt_str(body, "external_key_id")
    doc = _project_doc(new_id("proj_"), name, now())
    if residency is not None:
        doc["residency"] = residency
    if external_key_id is not None:
        doc["external_key_id"] = external_key_id
    audit(state, "project.created", doc["id"], doc["id"], data={"name": name, "title": name})
    return doc, doc


def _active_project(state: ServerState, params: Params) -> Doc:
    project = PROJECTS.require(state, params)
    if project.get("status") == "archived":
        raise invalid("project_id", f"The project '{project['id']}' is archived.", code="project_archived")
    return project


def _update_project(state: ServerState, params: Params, doc: Doc, body: Doc) -> None:
    name = opt_str(body, "name")
    external_key_id = opt_str(body, "external_key_id")
    _active_project(state, params)
    if name == "":
        raise invalid("name", "Invalid 'name': empty string.", code="empty_string")
    if name is not None:
        doc["name"] = name
    if external_key_id is not None:
        doc["external_key_id"] = external_key_id


async def archive_project(request: Request) -> Response:
    state = state_of(request)
    _seed(state)
    project = PROJECTS.require(state, request.path_params)
    if project.get("status") != "archived":
        project["status"] = "archived"
        project["archived_at"] = now()
        state.store.put(PROJECTS.kind, project)
        audit(state, "project.archived", project["id"], project["id"])
    return ok(_public(project))


def _project_keep(request: Request) -> Callable[[Doc], bool]:
    archived = bool(_query_bool(request, "include_archived"))
    return lambda doc: archived or doc.get("status") != "archived"


# -- project users -------------------------------------------------------------------------------


def _add_project_user(state: ServerState, project_id: str, user: Doc, role: str) -> Doc:
    doc = {
        "id": f"{project_id}/{user['id']}",
        "_project_id": project_id,
        "_user_id": user["id"],
        "role": role,
        "added_at": now(),
    }
    state.store.insert("organization_project_user", doc, parent=project_id)
    audit(state, "user.added", user["id"], project_id, data={"role": role})
    return doc


def _project_user_view(state: ServerState, doc: Doc) -> Doc:
    user = state.store.get(USERS.kind, doc["_user_id"]) or {}
    return {
        "object": "organization.project.user",
        "id": doc["_user_id"],
        "name": user.get("name"),
        "email": user.get("email"),
        "role": doc["role"],
        "added_at": doc["added_at"],
    }


def _create_project_user(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
    user_id = opt_str(body, "user_id")
    email = opt_str(body, "email")
    role = _req_enum(body, "role", ("owner", "member"))
    project_id = _active_project(state, params)["id"]
    if user_id:
        user = USERS.find(state, user_id, "user_id")
    elif email:
        found = _user_by_email(state, email)
        if found is None:
            raise invalid(
                "email",
                f"No user of this organization has the email '{email}'.",
                code="not_found",
                status=404,
            )
        user = found
    else:
        raise missing("user_id")
    if state.store.get("organization_project_user", f"{project_id}/{user['id']}") is not None:
        raise invalid(
            "user_id", f"The user '{user['id']}' is already in this project.", code="already_member"
        )
    doc = {
        "id": f"{project_id}/{user['id']}",
        "_project_id": project_id,
        "_user_id": user["id"],
        "role": role,
        "added_at": now(),
    }
    audit(state, "user.added", user["id"], project_id, data={"role": role})
    return doc, _project_user_view(state, doc)


def _update_project_user(state: ServerState, params: Params, doc: Doc, body: Doc) -> None:
    role = opt_enum(body, "role", ("owner", "member"))
    if role is not None:
        doc["role"] = role


PROJECT_USERS = Stored(
    "organization_project_user",
    "project user",
    "user_id",
    parent=PROJECTS,
    parent_field="_project_id",
    key=lambda p: f"{p['project_id']}/{p['user_id']}",
    view=_project_user_view,
)


# -- service accounts and project API keys -------------------------------------------------------

SERVICE_ACCOUNTS = Stored(
    "organization_service_account",
    "service account",
    "service_account_id",
    parent=PROJECTS,
    parent_field="_project_id",
    view=_public_view,
)
PROJECT_KEYS = Stored(
    "organization_project_api_key",
    "API key",
    "api_key_id",
    parent=PROJECTS,
    parent_field="_project_id",
    view=_public_view,
)


def _service_account_key(state: ServerState, account: Doc, name: str, scopes: list[str] | None) -> Doc:
    """Create a project API key owned by ``account``; the answer holds its only copy of the secret."""
    value, redacted = _new_key("sk-svcacct-")
    t = now()
    key = {
        "object": "organization.project.api_key",
        "id": new_id("key_"),
        "name": name,
        "redacted_value": redacted,
        "created_at": t,
        "last_used_at": None,
        "owner_project_access": "active",
        "owner": {
            "type": "service_account",
            "service_account": {
                "id": account["id"],
                "name": account["name"],
                "created_at": account["created_at"],
                "role": account["role"],
            },
        },
        "_project_id": account["_project_id"],
        "_service_account_id": account["id"],
        "_hash": _key_hash(value),
        "_scopes": scopes or [],
    }
    state.store.insert(PROJECT_KEYS.kind, key, parent=account["_project_id"])
    audit(state, "api_key.created", key["id"], account["_project_id"], data={"scopes": scopes or []})
    return {
        "object": "organization.project.service_account.api_key",
        "value": value,
        "name": name,
        "created_at": t,
        "id": key["id"],
    }


def _create_service_account(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
    name = req_str(body, "name")
    only = opt_bool(body, "create_service_account_only")
    project_id = _active_project(state, params)["id"]
    doc = {
        "object": "organization.project.service_account",
        "id": new_id("svc_acct_"),
        "name": name,
        "role": "member",
        "created_at": now(),
        "_project_id": project_id,
    }
    audit(state, "service_account.created", doc["id"], project_id, data={"role": "member"})
    api_key = None if only else _service_account_key(state, doc, "Secret Key", None)
    return doc, {**_public(doc), "api_key": api_key}


def _update_service_account(state: ServerState, params: Params, doc: Doc, body: Doc) -> None:
    name = opt_str(body, "name")
    role = opt_enum(body, "role", ("member", "owner"))
    if name == "":
        raise invalid("name", "Invalid 'name': empty string.", code="empty_string")
    for key, value in (("name", name), ("role", role)):
        if value is not None:
            doc[key] = value


def _service_account_deleted(state: ServerState, params: Params) -> None:
    _purge(state, PROJECT_KEYS.kind, "_service_account_id", params["service_account_id"])


async def create_service_account_key(request: Request) -> Response:
    state = state_of(request)
    _seed(state)
    body = await json_body(request, allow_empty=True)
    name = opt_str(body, "name", "Secret Key", max_len=256) or "Secret Key"
    scopes = _str_list(body, "scopes")
    account = SERVICE_ACCOUNTS.require(state, request.path_params)
    _active_project(state, request.path_params)
    return ok(_service_account_key(state, account, name, scopes))


def _project_key_keep(request: Request) -> Callable[[Doc], bool]:
    access = request.query_params.get("owner_project_access") or "any"
    if access not in ("active", "inactive", "any"):
        raise invalid(
            "owner_project_access",
            f"Invalid value: '{access}'. Supported values are: 'active', 'inactive' and 'any'.",
            code="invalid_value",
        )
    return lambda doc: access == "any" or doc.get("owner_project_access") == access


# -- rate limits ---------------------------------------------------------------------------------

RATE_LIMIT_FIELDS = (
    "max_requests_per_1_minute",
    "max_tokens_per_1_minute",
    "max_images_per_1_minute",
    "max_audio_megabytes_per_1_minute",
    "max_requests_per_1_day",
    "batch_1_day_max_input_tokens",
)
_DEFAULT_LIMITS = (500, 200_000, 50, 100, 10_000, 2_000_000)


def _rate_limits(state: ServerState, params: Params) -> list[Doc]:
    """A project's rate limits: one per model the server serves, made on first reading."""
    project_id = params["project_id"]
    stored = state.store.list("organization_rate_limit", parent=project_id)
    have = {d["model"] for d in stored}
    for info in state.models.infos:
        if info.id not in have:
            doc = {
                "object": "project.rate_limit",
                "id": f"rl-{info.id}",
                "model": info.id,
                **dict(zip(RATE_LIMIT_FIELDS, _DEFAULT_LIMITS, strict=True)),
            }
            state.store.insert(
                "organization_rate_limit",
                {**doc, "id": f"{project_id}/{doc['id']}", "_project_id": project_id},
                parent=project_id,
            )
            stored.append({**doc, "id": f"{project_id}/{doc['id']}", "_project_id": project_id})
    return stored


def _rate_limit_view(state: ServerState, doc: Doc) -> Doc:
    return {**_public(doc), "id": doc["id"].split("/", 1)[1]}


RATE_LIMITS = Stored(
    "organization_rate_limit",
    "rate limit",
    "rate_limit_id",
    parent=PROJECTS,
    parent_field="_project_id",
    key=lambda p: f"{p['project_id']}/{p['rate_limit_id']}",
    view=_rate_limit_view,
)


async def update_rate_limit(request: Request) -> Response:
    state = state_of(request)
    _seed(state)
    params = request.path_params
    PROJECTS.require(state, params)
    _rate_limits(state, params)
    body = await json_body(request, allow_empty=True)
    changes = {name: opt_int(body, name, lo=0) for name in RATE_LIMIT_FIELDS}
    changes = {k: v for k, v in changes.items() if v is not None}
    doc = RATE_LIMITS.require(state, params)
    doc.update(changes)
    state.store.put(RATE_LIMITS.kind, doc)
    audit(
        state, "rate_limit.updated", params["rate_limit_id"], params["project_id"], changes_requested=changes
    )
    return ok(_rate_limit_view(state, doc))


# -- project groups ------------------------------------------------------------------------------


def _project_group_view(state: ServerState, doc: Doc) -> Doc:
    group = state.store.get(GROUPS.kind, doc["_group_id"]) or {}
    return {
        "object": "project.group",
        "id": doc["_group_id"],
        "project_id": doc["_project_id"],
        "group_id": doc["_group_id"],
        "group_name": group.get("name", ""),
        "group_type": group.get("group_type", "group"),
        "role": doc["role"],
        "created_at": doc["created_at"],
    }


def _create_project_group(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
    group_id = req_str(body, "group_id")
    role = req_str(body, "role")
    project_id = _active_project(state, params)["id"]
    GROUPS.find(state, group_id, "group_id")
    key = f"{project_id}/{group_id}"
    if state.store.get("organization_project_group", key) is not None:
        raise invalid(
            "group_id", f"The group '{group_id}' is already in this project.", code="already_member"
        )
    doc = {"id": key, "_project_id": project_id, "_group_id": group_id, "role": role, "created_at": now()}
    audit(
        state,
        "role.assignment.created",
        key,
        project_id,
        principal_id=group_id,
        principal_type="group",
        resource_id=project_id,
        resource_type="api.project",
    )
    return doc, _project_group_view(state, doc)


async def _retrieve_project_group(request: Request) -> Response:
    opt_enum(dict(request.query_params), "group_type", ("group", "tenant_group"))
    state = state_of(request)
    _seed(state)
    return ok(PROJECT_GROUPS.show(state, PROJECT_GROUPS.require(state, request.path_params)))


PROJECT_GROUPS = Stored(
    "organization_project_group",
    "project group",
    "group_id",
    parent=PROJECTS,
    parent_field="_project_id",
    key=lambda p: f"{p['project_id']}/{p['group_id']}",
    view=_project_group_view,
)


# -- spend alerts --------------------------------------------------------------------------------


def _alert_fields(body: Doc) -> Doc:
    threshold = _req_int(body, "threshold_amount", lo=1)
    currency = _req_enum(body, "currency", ("USD",))
    interval = _req_enum(body, "interval", ("month",))
    channel = opt_dict(body, "notification_channel")
    if channel is None:
        raise missing("notification_channel")
    kind = opt_enum(channel, "type", ("email",), path="notification_channel.type")
    if kind is None:
        raise missing("notification_channel.type")
    recipients = _str_list(channel, "recipients", required=True, non_empty=True)
    prefix = opt_str(channel, "subject_prefix", path="notification_channel.subject_prefix", max_len=256)
    return {
        "threshold_amount": threshold,
        "currency": currency,
        "interval": interval,
        "notification_channel": {"type": kind, "recipients": recipients, "subject_prefix": prefix},
    }


def _alert_creator(obj: str) -> Creator:
    def create(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
        doc: Doc = {"id": new_id("spend_alert_"), "object": obj, **_alert_fields(body)}
        if "project_id" in params:
            doc["_project_id"] = params["project_id"]
        return doc, _public(doc)

    return create


def _update_alert(state: ServerState, params: Params, doc: Doc, body: Doc) -> None:
    doc.update(_alert_fields(body))


# -- certificates --------------------------------------------------------------------------------


def _parse_certificate(pem: str) -> Doc:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except (ValueError, TypeError):
        raise invalid(
            "certificate",
            "Invalid 'certificate': expected a PEM-encoded X.509 certificate.",
            code="invalid_certificate",
        ) from None
    return {
        "valid_at": int(cert.not_valid_before_utc.timestamp()),
        "expires_at": int(cert.not_valid_after_utc.timestamp()),
    }


def _certificate_view(obj: str) -> Callable[[ServerState, Doc], Doc]:
    def view(state: ServerState, doc: Doc) -> Doc:
        return {**_public(doc), "object": obj}

    return view


def _create_certificate(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
    name = opt_str(body, "name", max_len=256)
    pem = req_str(body, "certificate")
    details = _parse_certificate(pem)
    doc: Doc = {
        "object": "certificate",
        "id": new_id("cert_"),
        "name": name,
        "created_at": now(),
        "certificate_details": details,
        "active": False,
        "_content": pem,
        "_projects": [],
    }
    audit(state, "certificate.created", doc["id"], name=name or "")
    return doc, _public(doc)


def _update_certificate(state: ServerState, params: Params, doc: Doc, body: Doc) -> None:
    name = opt_str(body, "name", max_len=256)
    if name is not None:
        doc["name"] = name


CERTIFICATES = Stored(
    "organization_certificate",
    "certificate",
    "certificate_id",
    view=_certificate_view("organization.certificate"),
)


async def retrieve_certificate(request: Request) -> Response:
    state = state_of(request)
    _seed(state)
    include = _query_list(request, "include")
    for i, value in enumerate(include):
        if value != "content":
            raise invalid(
                f"include[{i}]",
                f"Invalid value: '{value}'. Supported values are: 'content'.",
                code="invalid_value",
            )
    doc = CERTIFICATES.require(state, request.path_params)
    out = {**_public(doc), "object": "certificate"}
    if include:
        out["certificate_details"] = {**out["certificate_details"], "content": doc["_content"]}
    return ok(out)


async def _modify_certificate(request: Request) -> Response:
    state = state_of(request)
    _seed(state)
    body = await json_body(request, allow_empty=True)
    doc = CERTIFICATES.require(state, request.path_params)
    _update_certificate(state, request.path_params, doc, body)
    state.store.put(CERTIFICATES.kind, doc)
    audit(state, "certificate.updated", doc["id"], name=doc.get("name") or "")
    return ok({**_public(doc), "object": "certificate"})


async def _delete_certificate(request: Request) -> Response:
    state = state_of(request)
    _seed(state)
    doc = CERTIFICATES.require(state, request.path_params)
    if doc.get("active") or doc.get("_projects"):
        raise invalid(
            "certificate_id",
            "The certificate is active; deactivate it before deleting it.",
            code="certificate_active",
        )
    state.store.delete(CERTIFICATES.kind, doc["id"])
    audit(state, "certificate.deleted", doc["id"], name=doc.get("name") or "")
    return ok({"object": "certificate.deleted", "id": doc["id"]})


def _toggle(active: bool, scoped: bool) -> Callable[[Request], Any]:
    """``.../certificates/activate`` and ``/deactivate``, for the organization or (``scoped``) a project."""

    async def handler(request: Request) -> Response:
        state = state_of(request)
        _seed(state)
        project_id = _active_project(state, request.path_params)["id"] if scoped else None
        body = await json_body(request)
        ids = _str_list(body, "certificate_ids", required=True, non_empty=True)
        assert ids is not None
        docs = [CERTIFICATES.find(state, cid, f"certificate_ids[{i}]") for i, cid in enumerate(ids)]
        out = []
        for doc in docs:
            if project_id is None:
                doc["active"] = active
            else:
                projects = [p for p in doc["_projects"] if p != project_id]
                doc["_projects"] = [*projects, project_id] if active else projects
            state.store.put(CERTIFICATES.kind, doc)
            out.append(
                _project_certificate(doc, project_id)
                if project_id
                else {**_public(doc), "object": "organization.certificate"}
            )
        audit(
            state,
            "certificates.activated" if active else "certificates.deactivated",
            "",
            project_id,
            certificates=[{"id": d["id"], "name": d.get("name") or ""} for d in docs],
        )
        prefix = "organization.project.certificate" if scoped else "organization.certificate"
        return ok({"object": f"{prefix}.{'activation' if active else 'deactivation'}", "data": out})

    return handler


def _project_certificate(doc: Doc, project_id: str) -> Doc:
    return {
        **_public(doc),
        "object": "organization.project.certificate",
        "active": project_id in doc["_projects"],
    }


def _project_certificates(state: ServerState, params: Params) -> list[Doc]:
    return [
        {**d, "active": params["project_id"] in d["_projects"]} for d in state.store.list(CERTIFICATES.kind)
    ]


# -- admin API keys ------------------------------------------------------------------------------


def _create_admin_key(state: ServerState, params: Params, body: Doc) -> tuple[Doc, Doc]:
    name = req_str(body, "name")
    expires_in = opt_int(body, "expires_in_seconds", lo=1, hi=10 * 365 * 86400)
    value, redacted = _new_key("sk-admin-")
    t = now()
    owner = state.store.get(USERS.kind, OWNER_ID) or {"name": "Local Owner", "added_at": t}
    doc = {
        "object": "organization.admin_api_key",
        "id": new_id("key_"),
        "name": name,
        "redacted_value": redacted,
        "created_at": t,
        "expires_at": None if expires_in is None else t + expires_in,
        "last_used_at": None,
        "owner": {
            "type": "user",
            "object": "organization.user",
            "id": OWNER_ID,
            "name": owner["name"],
            "created_at": owner["added_at"],
            "role": "owner",
        },
        "_hash": _key_hash(value),
    }
    audit(
        state, "api_key.created", doc["id"], data={"scopes": ["api.management.read", "api.management.write"]}
    )
    return doc, {**_public(doc), "value": value}


# -- settings (one per organization or project) --------------------------------------------------


@dataclass(frozen=True)
class Setting:
    path: str
    #: the setting's name in the store (per project when the path has ``{project_id}``)
    name: str
    #: the answer when nothing was set; ``None``: a 404 (the setting does not exist until set)
    default: Callable[[], Doc] | None
    #: the stored value from a body (validated)
    parse: Callable[[Doc], Doc]
    #: the answer of a delete; ``None``: no delete operation
    deleted: Doc | None = None
    label: str = ""

    def key(self, state: ServerState, params: Params) -> str:
        project_id = params.get("project_id")
        if project_id is None:
            return self.name
        _active_project(state, params)
        return f"{project_id}/{self.name}"

    async def get(self, request: Request) -> Response:
        state = state_of(request)
        _seed(state)
        doc = state.store.get(SETTING_KIND, self.key(state, request.path_params))
        if doc is not None:
            return ok(doc["value"])
        if self.default is None:
            raise RequestError(404, f"No {self.label} is set.", code="not_found")
        return ok(self.default())

    async def set(self, request: Request) -> Response:
        state = state_of(request)
        _seed(state)
        key = self.key(state, request.path_params)
        value = self.parse(await json_body(request, allow_empty=True))
        if state.store.get(SETTING_KIND, key) is None:
            state.store.insert(SETTING_KIND, {"id": key, "value": value})
        else:
            state.store.put(SETTING_KIND, {"id": key, "value": value})
        audit(
            state, "organization.updated", key, request.path_params.get("project_id"), changes_requested=value
        )
        return ok(value)

    async def delete(self, request: Request) -> Response:
        assert self.deleted is not None
        state = state_of(request)
        _seed(state)
        key = self.key(state, request.path_params)
        if not state.store.delete(SETTING_KIND, key) and self.default is None:
            raise RequestError(404, f"No {self.label} is set.", code="not_found")
        return ok(self.deleted)

    def routes(self) -> list[Route]:
        out = [Route(self.path, self.get, methods=["GET"]), Route(self.path, self.set, methods=["POST"])]
        if self.deleted is not None:
            out.append(Route(self.path, self.delete, methods=["DELETE"]))
        return out


ORG_RETENTION = (
    "zero_data_retention",
    "modified_abuse_monitoring",
    "enhanced_zero_data_retention",
    "enhanced_modified_abuse_monitoring",
)
HOSTED_TOOLS = ("file_search", "web_search", "image_generation", "mcp", "code_interpreter")


def _retention(obj: str, allowed: tuple[str, ...]) -> Callable[[Doc], Doc]:
    def parse(body: Doc) -> Doc:
        return {"object": obj, "type": _req_enum(body, "retention_type", allowed)}

    return parse


def _spend_limit(obj: str) -> Callable[[Doc], Doc]:
    def parse(body: Doc) -> Doc:
        return {
            "object": obj,
            "threshold_amount": _req_int(body, "threshold_amount", lo=1),
            "currency": _req_enum(body, "currency", ("USD",)),
            "interval": _req_enum(body, "interval", ("month",)),
            "enforcement": {"status": "enforcing"},
        }

    return parse


def _model_permissions(body: Doc) -> Doc:
    mode = _req_enum(body, "mode", ("allow_list", "deny_list"))
    model_ids = _str_list(body, "model_ids", required=True)
    return {"object": "project.model_permissions", "mode": mode, "model_ids": model_ids}


def _hosted_tools_default() -> Doc:
    return {tool: {"enabled": True} for tool in HOSTED_TOOLS}


class _HostedTools(Setting):
    async def set(self, request: Request) -> Response:
        state = state_of(request)
        _seed(state)
        key = self.key(state, request.path_params)
        body = await json_body(request, allow_empty=True)
        current = state.store.get(SETTING_KIND, key)
        value = current["value"] if current is not None else _hosted_tools_default()
        for tool in HOSTED_TOOLS:
            change = opt_dict(body, tool)
            if change is not None:
                if "enabled" not in change:
                    raise missing(f"{tool}.enabled")
                value[tool] = {"enabled": opt_bool(change, "enabled")}
        if current is None:
            state.store.insert(SETTING_KIND, {"id": key, "value": value})
        else:
            state.store.put(SETTING_KIND, {"id": key, "value": value})
        audit(
            state, "organization.updated", key, request.path_params.get("project_id"), changes_requested=body
        )
        return ok(value)


P = f"{ORG}/projects/{{project_id}}"
SETTINGS = (
    Setting(
        f"{ORG}/data_retention",
        "data_retention",
        lambda: {"object": "organization.data_retention", "type": "zero_data_retention"},
        _retention("organization.data_retention", ORG_RETENTION),
    ),
    Setting(
        f"{P}/data_retention",
        "data_retention",
        lambda: {"object": "project.data_retention", "type": "organization_default"},
        _retention("project.data_retention", ("organization_default", "none", *ORG_RETENTION)),
    ),
    Setting(
        f"{ORG}/spend_limit",
        "spend_limit",
        None,
        _spend_limit("organization.spend_limit"),
        {"object": "organization.spend_limit.deleted", "deleted": True},
        "spend limit for this organization",
    ),
    Setting(
        f"{P}/spend_limit",
        "spend_limit",
        None,
        _spend_limit("project.spend_limit"),
        {"object": "project.spend_limit.deleted", "deleted": True},
        "spend limit for this project",
    ),
    Setting(
        f"{P}/model_permissions",
        "model_permissions",
        lambda: {"object": "project.model_permissions", "mode": "deny_list", "model_ids": []},
        _model_permissions,
        {"object": "project.model_permissions.deleted", "deleted": True},
    ),
    _HostedTools(
        f"{P}/hosted_tool_permissions", "hosted_tool_permissions", _hosted_tools_default, lambda b: b
    ),
)


# -- audit logs ----------------------------------------------------------------------------------


def _audit_keep(request: Request) -> Callable[[Doc], bool]:
    q = request.query_params
    bounds = {}
    for op in ("gt", "gte", "lt", "lte"):
        name = f"effective_at[{op}]"
        if q.get(name):
            bounds[op] = query_int(q, name, 0, 0, 2**62)
    projects = set(_query_list(request, "project_ids"))
    types = set(_query_list(request, "event_types"))
    actors = set(_query_list(request, "actor_ids"))
    emails = set(_query_list(request, "actor_emails"))
    resources = set(_query_list(request, "resource_ids"))
    _query_bool(request, "tenant_only")

    def keep(doc: Doc) -> bool:
        t = doc["effective_at"]
        if ("gt" in bounds and not t > bounds["gt"]) or ("gte" in bounds and not t >= bounds["gte"]):
            return False
        if ("lt" in bounds and not t < bounds["lt"]) or ("lte" in bounds and not t <= bounds["lte"]):
            return False
        user = doc["actor"]["api_key"]["user"]
        return (
            (not projects or doc.get("project", {}).get("id") in projects)
            and (not types or doc["type"] in types)
            and (not actors or user["id"] in actors or doc["actor"]["api_key"]["id"] in actors)
            and (not emails or user["email"] in emails)
            and (not resources or doc[doc["type"]].get("id") in resources)
        )

    return keep


async def list_audit_logs(request: Request) -> Response:
    state = state_of(request)
    _seed(state)
    keep = _audit_keep(request)
    docs = [d for d in state.store.list(AUDIT_KIND) if keep(d)]
    return ok(paginate(docs, request.query_params, default_order="desc", ordered=False))


# -- the routes ----------------------------------------------------------------------------------

COLLECTIONS = (
    Collection(
        Stored("admin_api_key", "admin API key", "key_id", view=_public_view),
        f"{ORG}/admin_api_keys",
        create=_create_admin_key,
        deleted=_deleted("organization.admin_api_key.deleted", "key_id"),
        deleted_event="api_key.deleted",
    ),
    Collection(
        CERTIFICATES,
        f"{ORG}/certificates",
        create=_create_certificate,
        retrieve=False,
        extra_routes=[
            Route(f"{ORG}/certificates/activate", _toggle(True, False), methods=["POST"]),
            Route(f"{ORG}/certificates/deactivate", _toggle(False, False), methods=["POST"]),
            Route(f"{ORG}/certificates/{{certificate_id}}", retrieve_certificate, methods=["GET"]),
            Route(f"{ORG}/certificates/{{certificate_id}}", _modify_certificate, methods=["POST"]),
            Route(f"{ORG}/certificates/{{certificate_id}}", _delete_certificate, methods=["DELETE"]),
        ],
    ),
    Collection(
        Stored(
            CERTIFICATES.kind,
            "certificate",
            "certificate_id",
            view=_certificate_view("organization.project.certificate"),
        ),
        f"{P}/certificates",
        retrieve=False,
        source=_project_certificates,
        extra_routes=[
            Route(f"{P}/certificates/activate", _toggle(True, True), methods=["POST"]),
            Route(f"{P}/certificates/deactivate", _toggle(False, True), methods=["POST"]),
        ],
    ),
    Collection(
        GROUPS,
        f"{ORG}/groups",
        create=_create_group,
        update=_update_group,
        page="next",
        deleted=_deleted("group.deleted", "group_id"),
        updated_event="group.updated",
        deleted_event="group.deleted",
        on_delete=_group_deleted,
    ),
    Collection(
        GROUP_USERS,
        f"{ORG}/groups/{{group_id}}/users",
        create=_add_group_user,
        page="next",
        deleted=_deleted("group.user.deleted"),
    ),
    _assignment_collection(GROUPS, "organization_group_role", "group.role"),
    _assignment_collection(USERS, "organization_user_role", "user.role"),
    Collection(
        Stored("organization_invite", "invite", "invite_id", view=_public_view),
        f"{ORG}/invites",
        create=_create_invite,
        deleted=_deleted("organization.invite.deleted", "invite_id"),
        deleted_event="invite.deleted",
    ),
    Collection(
        PROJECTS,
        f"{ORG}/projects",
        create=_create_project,
        update=_update_project,
        keep=_project_keep,
        updated_event="project.updated",
        extra_routes=[Route(f"{P}/archive", archive_project, methods=["POST"])],
    ),
    Collection(
        PROJECT_KEYS,
        f"{P}/api_keys",
        keep=_project_key_keep,
        deleted=_deleted("organization.project.api_key.deleted", "api_key_id"),
        deleted_event="api_key.deleted",
    ),
    Collection(
        PROJECT_GROUPS,
        f"{P}/groups",
        create=_create_project_group,
        page="next",
        retrieve=False,
        deleted=_deleted("project.group.deleted"),
        deleted_event="role.assignment.deleted",
        extra_routes=[Route(f"{P}/groups/{{group_id}}", _retrieve_project_group, methods=["GET"])],
    ),
    Collection(
        RATE_LIMITS,
        f"{P}/rate_limits",
        retrieve=False,
        source=_rate_limits,
        extra_routes=[Route(f"{P}/rate_limits/{{rate_limit_id}}", update_rate_limit, methods=["POST"])],
    ),
    Collection(
        SERVICE_ACCOUNTS,
        f"{P}/service_accounts",
        create=_create_service_account,
        update=_update_service_account,
        deleted=_deleted("organization.project.service_account.deleted", "service_account_id"),
        updated_event="service_account.updated",
        deleted_event="service_account.deleted",
        on_delete=_service_account_deleted,
        extra_routes=[
            Route(
                f"{P}/service_accounts/{{service_account_id}}/api_keys",
                create_service_account_key,
                methods=["POST"],
            )
        ],
    ),
    Collection(
        Stored(
            "organization_project_spend_alert",
            "spend alert",
            "alert_id",
            parent=PROJECTS,
            parent_field="_project_id",
            view=_public_view,
        ),
        f"{P}/spend_alerts",
        create=_alert_creator("project.spend_alert"),
        update=_update_alert,
        deleted=_deleted("project.spend_alert.deleted", "alert_id"),
    ),
    Collection(
        PROJECT_USERS,
        f"{P}/users",
        create=_create_project_user,
        update=_update_project_user,
        deleted=_deleted("organization.project.user.deleted", "user_id"),
        updated_event="user.updated",
        deleted_event="user.deleted",
    ),
    Collection(
        ROLES,
        f"{ORG}/roles",
        create=_create_role,
        update=_update_role,
        page="next",
        deleted=_deleted("role.deleted", "role_id"),
        updated_event="role.updated",
        deleted_event="role.deleted",
        on_delete=_role_deleted,
    ),
    Collection(
        Stored("organization_spend_alert", "spend alert", "alert_id", view=_public_view),
        f"{ORG}/spend_alerts",
        create=_alert_creator("organization.spend_alert"),
        update=_update_alert,
        deleted=_deleted("organization.spend_alert.deleted", "alert_id"),
    ),
    Collection(
        USERS,
        f"{ORG}/users",
        update=_update_user,
        keep=_user_keep,
        deleted=_deleted("organization.user.deleted", "user_id"),
        updated_event="user.updated",
        deleted_event="user.deleted",
        before_delete=_check_user_delete,
        on_delete=_user_deleted,
    ),
)


ROUTES: list[Route] = [Route(f"{ORG}/audit_logs", list_audit_logs, methods=["GET"])]
for _setting in SETTINGS:
    ROUTES.extend(_setting.routes())
for _collection in COLLECTIONS:
    ROUTES.extend(_collection.routes())
ROUTES.extend(usage_ledger.ROUTES)
