"""The organization admin API of the local server, driven by the official client and openai-kit's."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
import pytest
from server_spec_check import SpecChecker, make_client, sdk

from openai_kit.server.testing import run_server


@pytest.fixture(scope="module", params=["openai", "openai_kit"])
def admin_client(
    request: pytest.FixtureRequest, server_url: str, spec_checker: SpecChecker
) -> Iterator[openai.OpenAI]:
    """The shared server through each client, with an admin key (the official client sends no key to
    ``/organization`` without one)."""
    client = make_client(server_url, spec_checker, kit=request.param == "openai_kit", admin_api_key="admin")
    yield client
    client.close()


@pytest.fixture
def client(admin_client: openai.OpenAI, spec_checker: SpecChecker) -> Iterator[openai.OpenAI]:
    """``admin_client``; the test fails if any response broke the spec."""
    spec_checker.failures.clear()
    yield admin_client
    failures = list(spec_checker.failures)
    spec_checker.failures.clear()
    assert not failures, "responses not valid against the spec:\n" + "\n".join(failures[:10])


def _email() -> str:
    return f"u{uuid.uuid4().hex[:10]}@example.com"


def _pem(days: int = 30) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "openai-kit test")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_projects_crud_archive_and_pagination(client: openai.OpenAI) -> None:
    org = client.admin.organization
    names = [f"p-{uuid.uuid4().hex[:6]}" for _ in range(3)]
    made = [org.projects.create(name=n) for n in names]
    assert [p.name for p in made] == names and all(p.status == "active" for p in made)
    assert org.projects.retrieve(made[0].id).name == names[0]
    listed = [p.id for p in org.projects.list(limit=1)]  # auto-paginates one at a time
    assert [p.id for p in made] == [i for i in listed if i in {p.id for p in made}]
    assert org.projects.update(made[1].id, name="renamed").name == "renamed"
    archived = org.projects.archive(made[2].id)
    assert archived.status == "archived" and archived.archived_at is not None
    assert made[2].id not in [p.id for p in org.projects.list()]
    assert made[2].id in [p.id for p in org.projects.list(include_archived=True)]
    errors = sdk(client)
    with pytest.raises(errors.BadRequestError) as bad:
        org.projects.update(made[2].id, name="again")
    assert bad.value.param == "project_id"
    with pytest.raises(errors.NotFoundError):
        org.projects.retrieve("proj_missing")
    with pytest.raises(errors.BadRequestError) as bad:
        org.projects.create(name="")
    assert bad.value.param == "name"


def test_invites_users_and_project_members(client: openai.OpenAI) -> None:
    org = client.admin.organization
    project = org.projects.create(name="team")
    email = _email()
    invite = org.invites.create(email=email, role="reader", projects=[{"id": project.id, "role": "member"}])
    assert invite.status == "accepted" and invite.email == email
    assert org.invites.retrieve(invite.id).id == invite.id
    (user,) = list(org.users.list(emails=[email]))
    assert user.role == "reader"
    members = {m.id: m for m in org.projects.users.list(project.id)}
    assert members[user.id].role == "member" and members[user.id].email == email
    assert org.projects.users.update(user.id, project_id=project.id, role="owner").role == "owner"
    assert org.projects.users.retrieve(user.id, project_id=project.id).role == "owner"
    assert org.users.update(user.id, role="owner").role == "owner"
    errors = sdk(client)
    with pytest.raises(errors.BadRequestError) as bad:
        org.invites.create(email=email, role="reader")
    assert bad.value.param == "email"
    with pytest.raises(errors.BadRequestError) as bad:
        org.invites.create(email=_email(), role="admin")  # type: ignore[arg-type]
    assert bad.value.param == "role"
    with pytest.raises(errors.NotFoundError):
        org.invites.create(email=_email(), role="reader", projects=[{"id": "proj_nope", "role": "member"}])
    assert org.projects.users.delete(user.id, project_id=project.id).deleted
    with pytest.raises(errors.NotFoundError):
        org.projects.users.retrieve(user.id, project_id=project.id)
    assert org.users.delete(user.id).deleted
    with pytest.raises(errors.NotFoundError):
        org.users.retrieve(user.id)
    assert org.invites.delete(invite.id).deleted
    with pytest.raises(errors.NotFoundError):
        org.invites.retrieve(invite.id)


def test_last_owner_stays() -> None:
    with run_server() as url, openai.OpenAI(base_url=url, api_key="k", admin_api_key="k", max_retries=0) as c:
        org = c.admin.organization
        (owner,) = list(org.users.list())
        with pytest.raises(openai.BadRequestError):
            org.users.delete(owner.id)
        with pytest.raises(openai.BadRequestError):
            org.users.update(owner.id, role="reader")
        org.invites.create(email=_email(), role="owner")
        assert org.users.update(owner.id, role="reader").role == "reader"


def test_groups_roles_and_assignments(client: openai.OpenAI) -> None:
    org = client.admin.organization
    email = _email()
    org.invites.create(email=email, role="reader")
    (user,) = list(org.users.list(emails=[email]))
    group = org.groups.create(name="eng")
    assert org.groups.retrieve(group.id).name == "eng"
    assert org.groups.update(group.id, name="platform").name == "platform"
    assert org.groups.users.create(group.id, user_id=user.id).user_id == user.id
    assert [u.id for u in org.groups.users.list(group.id)] == [user.id]
    role = org.roles.create(role_name="viewer", permissions=["api.model.read"], description="reads")
    assert role.permissions == ["api.model.read"]
    assert org.roles.update(role.id, permissions=["api.model.read", "api.files.read"]).permissions == [
        "api.model.read",
        "api.files.read",
    ]
    assigned = org.groups.roles.create(group.id, role_id=role.id)
    assert assigned.group.id == group.id and assigned.role.id == role.id
    assert [r.id for r in org.groups.roles.list(group.id)] == [role.id]
    assert org.users.roles.create(user.id, role_id=role.id).user.id == user.id
    assert [r.id for r in org.users.roles.list(user.id)] == [role.id]
    second = org.roles.create(role_name="writer", permissions=["api.files.write"])
    org.users.update(user.id, role_id=second.id)  # assigns it, as the roles endpoint does
    assert [r.id for r in org.users.roles.list(user.id)] == [role.id, second.id]
    assert org.users.roles.delete(second.id, user_id=user.id).deleted
    errors = sdk(client)
    with pytest.raises(errors.BadRequestError):
        org.groups.roles.create(group.id, role_id=role.id)
    with pytest.raises(errors.NotFoundError) as missing:
        org.groups.users.create(group.id, user_id="user-nobody")
    assert missing.value.param == "user_id"
    # more roles: the roles list pages with ``next``
    extra = [org.roles.create(role_name=f"r{i}", permissions=[]).id for i in range(3)]
    page = org.roles.list(limit=2)
    ids = [r.id for r in page]  # iterating fetches the following pages
    assert ids[-3:] == extra and len(ids) == len(set(ids)) and second.id in ids
    assert org.groups.roles.delete(role.id, group_id=group.id).deleted
    assert list(org.groups.roles.list(group.id)) == []
    assert org.roles.delete(role.id).deleted  # also drops the user's assignment
    assert list(org.users.roles.list(user.id)) == []
    assert org.groups.users.delete(user.id, group_id=group.id).deleted
    assert org.groups.delete(group.id).deleted
    with pytest.raises(errors.NotFoundError):
        org.groups.retrieve(group.id)


def test_service_accounts_and_project_keys(client: openai.OpenAI) -> None:
    org = client.admin.organization
    project = org.projects.create(name="svc")
    account = org.projects.service_accounts.create(project.id, name="bot")
    assert account.api_key is not None and account.api_key.value.startswith("sk-svcacct-")
    keys = list(org.projects.api_keys.list(project.id))
    assert [k.id for k in keys] == [account.api_key.id]
    assert account.api_key.value not in str(keys[0].model_dump())  # only the redacted form is kept
    assert keys[0].owner.service_account is not None and keys[0].owner.service_account.id == account.id
    second = org.projects.service_accounts.api_keys.create(account.id, project_id=project.id, name="ci")
    assert second.name == "ci" and second.value != account.api_key.value
    assert (
        org.projects.service_accounts.update(account.id, project_id=project.id, role="owner").role == "owner"
    )
    assert org.projects.service_accounts.retrieve(account.id, project_id=project.id).name == "bot"
    bare = org.projects.service_accounts.create(project.id, name="bare", create_service_account_only=True)
    assert bare.api_key is None
    assert org.projects.api_keys.delete(second.id, project_id=project.id).deleted
    assert org.projects.service_accounts.delete(account.id, project_id=project.id).deleted
    assert list(org.projects.api_keys.list(project.id)) == []  # the account's keys went with it
    errors = sdk(client)
    other = org.projects.create(name="other")
    with pytest.raises(errors.NotFoundError):  # an account of another project
        org.projects.service_accounts.retrieve(bare.id, project_id=other.id)


def test_certificates(client: openai.OpenAI) -> None:
    org = client.admin.organization
    project = org.projects.create(name="certs")
    pem = _pem()
    cert = org.certificates.create(certificate=pem, name="mtls")
    details: Any = cert.certificate_details
    assert details.valid_at == int(datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
    assert details.expires_at == details.valid_at + 30 * 86400
    got: Any = org.certificates.retrieve(cert.id, include=["content"]).certificate_details
    assert got.content == pem
    assert org.certificates.update(cert.id, name="renamed").name == "renamed"
    activation = org.certificates.activate(certificate_ids=[cert.id])
    assert [c.active for c in activation.data] == [True]
    errors = sdk(client)
    with pytest.raises(errors.BadRequestError):
        org.certificates.delete(cert.id)  # active
    org.certificates.deactivate(certificate_ids=[cert.id])
    org.projects.certificates.activate(project.id, certificate_ids=[cert.id])
    assert {c.id: c.active for c in org.projects.certificates.list(project.id)}[cert.id] is True
    org.projects.certificates.deactivate(project.id, certificate_ids=[cert.id])
    assert org.certificates.delete(cert.id).id == cert.id
    with pytest.raises(errors.NotFoundError):
        org.certificates.retrieve(cert.id)
    with pytest.raises(errors.BadRequestError) as bad:
        org.certificates.create(certificate="-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----")
    assert bad.value.param == "certificate"
    with pytest.raises(errors.NotFoundError) as missing:
        org.certificates.activate(certificate_ids=["cert_nope"])
    assert missing.value.param == "certificate_ids[0]"


def test_settings_alerts_and_rate_limits(client: openai.OpenAI) -> None:
    org = client.admin.organization
    project = org.projects.create(name="settings")
    assert org.projects.data_retention.retrieve(project.id).type == "organization_default"
    assert org.projects.data_retention.update(project.id, retention_type="none").type == "none"
    assert org.projects.data_retention.retrieve(project.id).type == "none"
    errors = sdk(client)
    with pytest.raises(errors.NotFoundError):
        org.projects.spend_limit.retrieve(project.id)
    limit = org.projects.spend_limit.update(
        project.id, threshold_amount=500, currency="USD", interval="month"
    )
    assert limit.threshold_amount == 500
    assert org.projects.spend_limit.retrieve(project.id).threshold_amount == 500
    assert org.projects.spend_limit.delete(project.id).deleted
    perms = org.projects.model_permissions.update(project.id, mode="allow_list", model_ids=["echo"])
    assert perms.mode == "allow_list" and org.projects.model_permissions.retrieve(project.id).model_ids == [
        "echo"
    ]
    org.projects.model_permissions.delete(project.id)
    assert org.projects.model_permissions.retrieve(project.id).mode == "deny_list"
    tools = org.projects.hosted_tool_permissions.update(project.id, web_search={"enabled": False})
    assert tools.web_search.enabled is False and tools.file_search.enabled is True
    assert org.projects.hosted_tool_permissions.retrieve(project.id).web_search.enabled is False
    channel: Any = {"type": "email", "recipients": ["ops@example.com"]}
    alert = org.spend_alerts.create(
        threshold_amount=100, currency="USD", interval="month", notification_channel=channel
    )
    assert org.spend_alerts.retrieve(alert.id).threshold_amount == 100
    changed = org.spend_alerts.update(
        alert.id, threshold_amount=200, currency="USD", interval="month", notification_channel=channel
    )
    assert changed.threshold_amount == 200
    assert alert.id in [a.id for a in org.spend_alerts.list()]
    assert org.spend_alerts.delete(alert.id).deleted
    palert = org.projects.spend_alerts.create(
        project.id, threshold_amount=5, currency="USD", interval="month", notification_channel=channel
    )
    assert [a.id for a in org.projects.spend_alerts.list(project.id)] == [palert.id]
    with pytest.raises(errors.BadRequestError) as bad:
        org.spend_alerts.create(
            threshold_amount=1,
            currency="EUR",
            interval="month",
            notification_channel=channel,  # type: ignore[arg-type]
        )
    assert bad.value.param == "currency"
    limits = list(org.projects.rate_limits.list_rate_limits(project.id))
    echo = next(rl for rl in limits if rl.model == "echo")
    updated = org.projects.rate_limits.update_rate_limit(
        echo.id, project_id=project.id, max_requests_per_1_minute=7
    )
    assert updated.max_requests_per_1_minute == 7
    again = next(rl for rl in org.projects.rate_limits.list_rate_limits(project.id) if rl.id == echo.id)
    assert again.max_requests_per_1_minute == 7
    with pytest.raises(errors.BadRequestError) as bad:
        org.projects.rate_limits.update_rate_limit(
            echo.id, project_id=project.id, max_requests_per_1_minute=-1
        )
    assert bad.value.param == "max_requests_per_1_minute"


def test_audit_log_records_changes(client: openai.OpenAI) -> None:
    org = client.admin.organization
    project = org.projects.create(name="audited")
    org.projects.update(project.id, name="audited-2")
    events = list(org.audit_logs.list(resource_ids=[project.id]))
    assert [e.type for e in events] == ["project.updated", "project.created"]  # newest first
    assert events[1].project is not None and events[1].project.id == project.id
    created = list(org.audit_logs.list(event_types=["project.created"], resource_ids=[project.id]))
    assert len(created) == 1
    later = list(org.audit_logs.list(effective_at={"gt": int(time.time()) + 60}))
    assert later == []


def test_usage_and_costs_count_what_the_server_did() -> None:
    with run_server() as url, openai.OpenAI(base_url=url, api_key="k", admin_api_key="k", max_retries=0) as c:
        usage = c.admin.organization.usage
        start = int(time.time()) // 86400 * 86400
        assert usage.completions(start_time=start).data[0].results == []
        chat = c.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "count these words"}]
        )
        c.embeddings.create(model="text-embedding-3-small", input=["one two", "three"])
        page = usage.completions(start_time=start, group_by=["model"])
        (result,) = page.data[0].results
        data: Any = result
        assert chat.usage is not None
        assert (data.input_tokens, data.output_tokens) == (
            chat.usage.prompt_tokens,
            chat.usage.completion_tokens,
        )
        assert data.num_model_requests == 1 and data.model == "echo"
        (emb,) = usage.embeddings(start_time=start).data[0].results
        assert getattr(emb, "num_model_requests", None) == 1
        cost = c.admin.organization.usage.costs(start_time=start).data[0].results
        amount: Any = cost[0].amount
        expected = chat.usage.prompt_tokens * 0.15e-6 + chat.usage.completion_tokens * 0.60e-6
        assert amount.value == pytest.approx(expected + getattr(emb, "input_tokens", 0) * 0.02e-6)
        c.images.generate(model="dall-e-2", prompt="a cat", n=2, size="256x256")
        c.audio.speech.create(model="tts-1", voice="alloy", input="twelve chars").read()
        (images,) = usage.images(start_time=start, group_by=["size", "source"]).data[0].results
        picture: Any = images
        assert (picture.images, picture.size, picture.source) == (2, "256x256", "image.generation")
        assert usage.images(start_time=start, sizes=["1024x1024"]).data[0].results == []
        (speech,) = usage.audio_speeches(start_time=start).data[0].results
        assert getattr(speech, "characters", None) == len("twelve chars")
        hourly = usage.completions(start_time=start, bucket_width="1h", limit=2)
        assert len(hourly.data) == 2 and hourly.has_more and hourly.next_page == str(start + 7200)
        with pytest.raises(openai.BadRequestError) as bad:
            usage.completions(start_time=start, group_by=["colour"])  # type: ignore[list-item]
        assert bad.value.param == "group_by[0]"


def test_admin_key_authentication(checked: SpecChecker) -> None:
    with run_server(api_key="project-key", admin_api_key="admin-key") as url:
        admin = make_client(url, checked, api_key="project-key", admin_api_key="admin-key")
        made = admin.admin.organization.admin_api_keys.create(name="ci")
        assert made.value.startswith("sk-admin-") and made.redacted_value.endswith(made.value[-4:])
        # the new key is an admin key; a project key is not
        with make_client(url, checked, api_key="project-key", admin_api_key=made.value) as fresh:
            assert fresh.admin.organization.admin_api_keys.retrieve(made.id).name == "ci"
        with (
            make_client(url, checked, api_key="project-key", admin_api_key="project-key") as wrong,
            pytest.raises(openai.AuthenticationError),
        ):
            wrong.admin.organization.projects.list()
        raw = httpx2.get(f"{url}/organization/projects", headers={"Authorization": "Bearer project-key"})
        assert raw.status_code == 401 and "project-key" not in raw.text
        assert made.id in [k.id for k in admin.admin.organization.admin_api_keys.list()]
        assert admin.admin.organization.admin_api_keys.delete(made.id).deleted
        with (
            make_client(url, checked, api_key="project-key", admin_api_key=made.value) as revoked,
            pytest.raises(openai.AuthenticationError),
        ):
            revoked.admin.organization.projects.list()
        with pytest.raises(openai.BadRequestError) as bad:
            admin.admin.organization.admin_api_keys.create(name="x", expires_in_seconds=0)
        assert bad.value.param == "expires_in_seconds"
        admin.close()


def test_state_survives_a_restart(tmp_path: Any) -> None:
    with (
        run_server(data_dir=tmp_path) as url,
        openai.OpenAI(base_url=url, api_key="k", admin_api_key="k") as c,
    ):
        project = c.admin.organization.projects.create(name="kept")
        key = c.admin.organization.admin_api_keys.create(name="kept")
    with (
        run_server(data_dir=tmp_path) as url,
        openai.OpenAI(base_url=url, api_key="k", admin_api_key=key.value) as c,
    ):
        assert c.admin.organization.projects.retrieve(project.id).name == "kept"
        assert [e.type for e in c.admin.organization.audit_logs.list(resource_ids=[project.id])] == [
            "project.created"
        ]


def test_bad_input_answers_400s_naming_the_parameter(server_url: str) -> None:
    cases: list[tuple[str, str, Any, str]] = [
        ("POST", "/organization/projects", {"name": 3}, "name"),
        ("POST", "/organization/projects", {"name": "x", "residency": "MARS"}, "residency"),
        ("POST", "/organization/roles", {"role_name": "r"}, "permissions"),
        ("POST", "/organization/roles", {"role_name": "r", "permissions": [1]}, "permissions[0]"),
        ("POST", "/organization/data_retention", {"retention_type": "forever"}, "retention_type"),
        (
            "POST",
            "/organization/spend_limit",
            {"threshold_amount": "1", "currency": "USD", "interval": "month"},
            "threshold_amount",
        ),
        ("GET", "/organization/usage/images?bucket_width=1d", None, "start_time"),
        ("GET", "/organization/usage/images?start_time=0&bucket_width=2d", None, "bucket_width"),
        ("GET", "/organization/costs?start_time=0&bucket_width=1h", None, "bucket_width"),
        ("GET", "/organization/audit_logs?effective_at[gt]=soon", None, "effective_at[gt]"),
        ("GET", "/organization/projects?include_archived=maybe", None, "include_archived"),
        (
            "GET",
            "/organization/projects/proj_default/api_keys?owner_project_access=x",
            None,
            "owner_project_access",
        ),
        ("GET", "/organization/certificates/cert_x?include[]=secret", None, "include[0]"),
    ]
    with httpx2.Client(base_url=server_url) as http:
        for method, path, body, param in cases:
            response = http.request(method, server_url + path, json=body)
            assert response.status_code == 400, (path, response.text)
            assert response.json()["error"]["param"] == param, (path, response.text)
        for path in ("/organization/projects/proj_nope/users", "/organization/groups/g/users/u"):
            response = http.get(server_url + path)
            assert response.status_code == 404 and response.json()["error"]["type"] == "invalid_request_error"
        response = http.post(server_url + "/organization/projects", content=b"{not json")
        assert response.status_code == 400
