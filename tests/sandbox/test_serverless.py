"""Serverless v1 over real HTTP: services, environments, assets, the multipart upload exactly as
twilio-labs/serverless-api sends it, builds on the clock, deployments, served twil.io assets, and
the faults that fail one route or the next build. Every JSON answer is validated against
Twilio's twilio_serverless_v1.json."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from moderator.sandbox.server import SandboxServer

from .oai import TwilioWire, needs_oai, schema_properties

pytestmark = needs_oai

SL = "https://serverless.twilio.com/v1"
UPLOAD = "https://serverless-upload.twilio.com/v1"
LOBBY_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><Say>Welcome. Please hold.</Say>'
    b'<Pause length="60"/><Say>Goodbye.</Say></Response>'
)
CRLF = b"\r\n"


def form_data(
    fields: list[tuple[str, str]], file: tuple[str, str, str, bytes]
) -> tuple[bytes, str]:
    """A multipart body byte for byte as Node's `form-data` (used by serverless-api) builds it:
    boundary of 26 dashes + 24 random digits, each part `--boundary CRLF headers CRLF CRLF value
    CRLF`, the file part with `filename` and `Content-Type`, then `--boundary--` CRLF."""
    boundary = "-" * 26 + "".join(str(random.randrange(10)) for _ in range(24))
    body = b""
    for name, value in fields:
        body += f"--{boundary}".encode() + CRLF
        body += f'Content-Disposition: form-data; name="{name}"'.encode() + CRLF + CRLF
        body += value.encode() + CRLF
    name, filename, content_type, content = file
    body += f"--{boundary}".encode() + CRLF
    body += f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'.encode() + CRLF
    body += f"Content-Type: {content_type}".encode() + CRLF + CRLF
    body += content + CRLF
    body += f"--{boundary}--".encode() + CRLF
    return body, f"multipart/form-data; boundary={boundary}"


class Deployer:
    """The steps the app (and serverless-api) take, each answer validated against the spec."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.wire = TwilioWire(sandbox)

    def call(self, method: str, url: str, data: Any = None, expected: int = 200) -> Any:
        return self.wire.call(method, url, data, expected)

    def upload(
        self,
        service: str,
        asset: str,
        path: str = "/lobby.xml",
        visibility: str = "public",
        content: bytes = LOBBY_XML,
        content_type: str = "application/xml",
        expected: int = 201,
    ) -> Any:
        body, header = form_data(
            [("Path", path), ("Visibility", visibility)],
            ("Content", path.rsplit("/", 1)[-1] or "file", content_type, content),
        )
        url = f"{UPLOAD}/Services/{service}/Assets/{asset}/Versions"
        response = self.wire.send("POST", url, data=body, headers={"Content-Type": header})
        assert response.status_code == expected, response.text
        answer = response.json()
        if expected == 201:
            assert set(answer) == schema_properties(
                "serverless_v1", "serverless.v1.service.asset.asset_version"
            )
        return answer

    def deploy(self, unique_name: str = "room-moderator-lobby", **upload: Any) -> dict[str, Any]:
        """Service → environment → asset → version → build → (clock) → deployment."""
        service = self.call(
            "POST", f"{SL}/Services", {"UniqueName": unique_name, "FriendlyName": "Lobby"}, 201
        )
        sid = service["sid"]
        environment = self.call(
            "POST",
            f"{SL}/Services/{sid}/Environments",
            {"UniqueName": "production", "DomainSuffix": "lobby"},
            201,
        )
        asset = self.call("POST", f"{SL}/Services/{sid}/Assets", {"FriendlyName": "lobby"}, 201)
        version = self.upload(sid, asset["sid"], **upload)
        build = self.call(
            "POST",
            f"{SL}/Services/{sid}/Builds",
            {
                "AssetVersions": [version["sid"]],
                "Dependencies": '"[{"name":"twilio","version":"3.29.2"}]"',
            },
            201,
        )
        self.sandbox.clock.advance(5)  # type: ignore[attr-defined]
        deployment = self.call(
            "POST",
            f"{SL}/Services/{sid}/Environments/{environment['sid']}/Deployments",
            {"BuildSid": build["sid"]},
            201,
        )
        return {
            "service": service,
            "environment": environment,
            "asset": asset,
            "version": version,
            "build": build,
            "deployment": deployment,
        }


@pytest.fixture
def deployer(sandbox: SandboxServer) -> Deployer:
    return Deployer(sandbox)


def test_services(deployer: Deployer) -> None:
    created = deployer.call(
        "POST", f"{SL}/Services", {"UniqueName": "lobby-svc", "FriendlyName": "Lobby"}, 201
    )
    assert set(created) == schema_properties("serverless_v1", "serverless.v1.service")
    assert re.fullmatch(r"lobby-svc-\d{4}", created["domain_base"])
    assert created["url"] == f"{SL}/Services/{created['sid']}"
    assert created["include_credentials"] is True and created["ui_editable"] is False
    by_name = deployer.call("GET", f"{SL}/Services/lobby-svc")
    assert by_name["sid"] == created["sid"]
    listed = deployer.call("GET", f"{SL}/Services")
    assert [s["sid"] for s in listed["services"]] == [created["sid"]]
    assert listed["meta"]["key"] == "services"
    assert listed["meta"]["url"].startswith(f"{SL}/Services?")
    renamed = deployer.call("POST", f"{SL}/Services/lobby-svc", {"FriendlyName": "Dial-in"})
    assert renamed["friendly_name"] == "Dial-in"
    duplicate = deployer.wire.send(
        "POST", f"{SL}/Services", {"UniqueName": "lobby-svc", "FriendlyName": "Again"}
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, 20409)
    for bad in ({"FriendlyName": "no name"}, {"UniqueName": "x y", "FriendlyName": "F"}):
        refused = deployer.wire.send("POST", f"{SL}/Services", bad)
        assert (refused.status_code, refused.json()["code"]) == (400, 20001)
    assert deployer.wire.send("DELETE", f"{SL}/Services/{created['sid']}").status_code == 204
    gone = deployer.wire.send("GET", f"{SL}/Services/lobby-svc")
    assert (gone.status_code, gone.json()["code"]) == (404, 20404)


def test_environments(deployer: Deployer) -> None:
    service = deployer.call(
        "POST", f"{SL}/Services", {"UniqueName": "lobby", "FriendlyName": "Lobby"}, 201
    )
    sid = service["sid"]
    env = deployer.call(
        "POST",
        f"{SL}/Services/{sid}/Environments",
        {"UniqueName": "dial-in", "DomainSuffix": "dialin"},
        201,
    )
    assert set(env) == schema_properties("serverless_v1", "serverless.v1.service.environment")
    assert env["domain_name"] == f"{service['domain_base']}-dialin.twil.io"
    assert re.fullmatch(r"lobby-\d{4}-dialin\.twil\.io", env["domain_name"])
    assert env["build_sid"] is None
    bare = deployer.call(
        "POST", f"{SL}/Services/lobby/Environments", {"UniqueName": "production"}, 201
    )
    assert bare["domain_name"] == f"{service['domain_base']}.twil.io"
    assert bare["domain_suffix"] is None
    again = deployer.wire.send(
        "POST", f"{SL}/Services/{sid}/Environments", {"UniqueName": "x", "DomainSuffix": "dialin"}
    )
    assert (again.status_code, again.json()["code"]) == (409, 20409)
    listed = deployer.call("GET", f"{SL}/Services/{sid}/Environments")
    assert [e["sid"] for e in listed["environments"]] == [env["sid"], bare["sid"]]
    deployer.call("GET", f"{SL}/Services/{sid}/Environments/{env['sid']}")
    too_long = deployer.wire.send(
        "POST",
        f"{SL}/Services/{sid}/Environments",
        {"UniqueName": "y", "DomainSuffix": "s" * 17},
    )
    assert too_long.status_code == 400
    assert (
        deployer.wire.send("DELETE", f"{SL}/Services/{sid}/Environments/{env['sid']}").status_code
        == 204
    )


def test_assets_and_the_multipart_upload(deployer: Deployer, sandbox: SandboxServer) -> None:
    sid = deployer.call(
        "POST", f"{SL}/Services", {"UniqueName": "assets", "FriendlyName": "A"}, 201
    )["sid"]
    asset = deployer.call("POST", f"{SL}/Services/{sid}/Assets", {"FriendlyName": "lobby"}, 201)
    assert set(asset) == schema_properties("serverless_v1", "serverless.v1.service.asset")
    assert asset["links"]["asset_versions"] == f"{SL}/Services/{sid}/Assets/{asset['sid']}/Versions"
    version = deployer.upload(sid, asset["sid"], visibility="protected")
    assert (version["path"], version["visibility"]) == ("/lobby.xml", "protected")
    assert version["asset_sid"] == asset["sid"]
    versions = deployer.call("GET", f"{SL}/Services/{sid}/Assets/{asset['sid']}/Versions")
    assert [v["sid"] for v in versions["asset_versions"]] == [version["sid"]]
    fetched = deployer.call(
        "GET", f"{SL}/Services/{sid}/Assets/{asset['sid']}/Versions/{version['sid']}"
    )
    assert fetched == version
    renamed = deployer.call(
        "POST", f"{SL}/Services/{sid}/Assets/{asset['sid']}", {"FriendlyName": "hold"}
    )
    assert renamed["friendly_name"] == "hold"
    assert [a["sid"] for a in deployer.call("GET", f"{SL}/Services/{sid}/Assets")["assets"]] == [
        asset["sid"]
    ]
    # Versions are created only by the upload host, never by serverless.twilio.com.
    not_here = deployer.wire.send(
        "POST",
        f"{SL}/Services/{sid}/Assets/{asset['sid']}/Versions",
        {"Path": "/x", "Visibility": "public"},
    )
    assert not_here.status_code == 405
    for path, visibility in (("lobby.xml", "public"), ("/lobby.xml", "secret")):
        deployer.upload(sid, asset["sid"], path=path, visibility=visibility, expected=400)
    missing = deployer.wire.send(
        "POST",
        f"{UPLOAD}/Services/{sid}/Assets/{asset['sid']}/Versions",
        files={"Path": (None, "/x.xml"), "Visibility": (None, "public")},
    )
    assert (missing.status_code, missing.json()["code"]) == (400, 20001)
    assert (
        deployer.wire.send("DELETE", f"{SL}/Services/{sid}/Assets/{asset['sid']}").status_code
        == 204
    )


def test_builds_move_on_the_clock(deployer: Deployer, sandbox: SandboxServer) -> None:
    sid = deployer.call(
        "POST", f"{SL}/Services", {"UniqueName": "builds", "FriendlyName": "B"}, 201
    )["sid"]
    asset = deployer.call("POST", f"{SL}/Services/{sid}/Assets", {"FriendlyName": "lobby"}, 201)
    version = deployer.upload(sid, asset["sid"])
    build = deployer.call(
        "POST",
        f"{SL}/Services/{sid}/Builds",
        {
            "AssetVersions": [version["sid"]],
            "Dependencies": '"[{"name":"twilio","version":"3.29.2"}]"',
        },
        201,
    )
    assert set(build) == schema_properties("serverless_v1", "serverless.v1.service.build")
    assert build["status"] == "building"
    assert [v["sid"] for v in build["asset_versions"]] == [version["sid"]]
    assert build["dependencies"] == [{"name": "twilio", "version": "3.29.2"}]
    status_url = f"{SL}/Services/{sid}/Builds/{build['sid']}/Status"
    status = deployer.call("GET", status_url)
    assert set(status) == schema_properties(
        "serverless_v1", "serverless.v1.service.build.build_status"
    )
    assert status["status"] == "building"
    sandbox.clock.advance(2)  # type: ignore[attr-defined]
    assert deployer.call("GET", status_url)["status"] == "building"
    sandbox.clock.advance(1.5)  # type: ignore[attr-defined]
    assert deployer.call("GET", status_url)["status"] == "completed"
    assert deployer.call("GET", f"{SL}/Services/{sid}/Builds/{build['sid']}")["status"] == (
        "completed"
    )
    listed = deployer.call("GET", f"{SL}/Services/{sid}/Builds")
    assert [b["sid"] for b in listed["builds"]] == [build["sid"]]
    # The SDK's way: repeated AssetVersions keys, plain JSON dependencies.
    client = _client(sandbox)
    sdk_build = client.serverless.v1.services(sid).builds.create(
        asset_versions=[version["sid"]], dependencies='[{"name":"twilio","version":"4.0.0"}]'
    )
    assert sdk_build.status == "building"
    assert (
        deployer.wire.send("DELETE", f"{SL}/Services/{sid}/Builds/{sdk_build.sid}").status_code
        == 204
    )


def _client(sandbox: SandboxServer) -> Client:
    from .conftest import sdk_client

    return sdk_client(sandbox)


def test_invalid_builds_fail(deployer: Deployer, sandbox: SandboxServer) -> None:
    first = deployer.call("POST", f"{SL}/Services", {"UniqueName": "one", "FriendlyName": "1"}, 201)
    other = deployer.call("POST", f"{SL}/Services", {"UniqueName": "two", "FriendlyName": "2"}, 201)
    asset = deployer.call(
        "POST", f"{SL}/Services/{other['sid']}/Assets", {"FriendlyName": "x"}, 201
    )
    foreign = deployer.upload(other["sid"], asset["sid"])
    builds = f"{SL}/Services/{first['sid']}/Builds"
    wrong_service = deployer.call("POST", builds, {"AssetVersions": [foreign["sid"]]}, 201)
    unknown_function = deployer.call("POST", builds, {"FunctionVersions": ["ZN" + "1" * 32]}, 201)
    bad_dependencies = deployer.call("POST", builds, {"Dependencies": "not json"}, 201)
    sandbox.world.fail_next_build()
    told_to_fail = deployer.call("POST", builds, {}, 201)
    fine = deployer.call("POST", builds, {}, 201)
    sandbox.clock.advance(4)  # type: ignore[attr-defined]
    for build in (wrong_service, unknown_function, bad_dependencies, told_to_fail):
        assert deployer.call("GET", f"{builds}/{build['sid']}/Status")["status"] == "failed"
    assert deployer.call("GET", f"{builds}/{fine['sid']}/Status")["status"] == "completed"
    for bad in ({"AssetVersions": ["ZN123"]}, {"Runtime": "python3"}):
        refused = deployer.wire.send("POST", builds, bad)
        assert (refused.status_code, refused.json()["code"]) == (400, 20001)


def test_deployments_and_served_assets(deployer: Deployer, sandbox: SandboxServer) -> None:
    done = deployer.deploy()
    env, build, service = done["environment"], done["build"], done["service"]
    deployment = done["deployment"]
    assert set(deployment) == schema_properties(
        "serverless_v1", "serverless.v1.service.environment.deployment"
    )
    assert deployment["build_sid"] == build["sid"]
    environment_url = f"{SL}/Services/{service['sid']}/Environments/{env['sid']}"
    assert deployer.call("GET", environment_url)["build_sid"] == build["sid"]
    listed = deployer.call("GET", f"{environment_url}/Deployments")
    assert [d["sid"] for d in listed["deployments"]] == [deployment["sid"]]
    deployer.call("GET", f"{environment_url}/Deployments/{deployment['sid']}")
    url = f"https://{env['domain_name']}/lobby.xml"
    assert sandbox.world.deployed_urls() == [url]
    # Served to anyone (no credentials), GET and POST, with the uploaded content type.
    for method in ("GET", "POST"):
        served = deployer.wire.send(method, url, auth=None)
        assert served.status_code == 200
        assert served.headers["Content-Type"] == "application/xml"
        assert served.content == LOBBY_XML
    assert deployer.wire.send("GET", f"https://{env['domain_name']}/nope.xml").status_code == 404
    assert deployer.wire.send("GET", "https://nobody-1234.twil.io/lobby.xml").status_code == 404
    # A deployed build cannot be deleted; deleting the service takes the domain down.
    stuck = deployer.wire.send("DELETE", f"{SL}/Services/{service['sid']}/Builds/{build['sid']}")
    assert stuck.status_code == 409
    deployer.wire.send("DELETE", f"{SL}/Services/{service['sid']}")
    assert deployer.wire.send("GET", url).status_code == 404


def test_only_completed_builds_deploy(deployer: Deployer, sandbox: SandboxServer) -> None:
    sid = deployer.call("POST", f"{SL}/Services", {"UniqueName": "d", "FriendlyName": "D"}, 201)[
        "sid"
    ]
    env = deployer.call("POST", f"{SL}/Services/{sid}/Environments", {"UniqueName": "p"}, 201)
    build = deployer.call("POST", f"{SL}/Services/{sid}/Builds", {}, 201)
    deployments = f"{SL}/Services/{sid}/Environments/{env['sid']}/Deployments"
    early = deployer.wire.send("POST", deployments, {"BuildSid": build["sid"]})
    assert (early.status_code, early.json()["code"]) == (400, 20001)
    missing = deployer.wire.send("POST", deployments, {})
    assert missing.status_code == 400
    unknown = deployer.wire.send("POST", deployments, {"BuildSid": "ZB" + "0" * 32})
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("visibility", "status"), [("public", 200), ("protected", 401), ("private", 404)]
)
def test_visibility(deployer: Deployer, visibility: str, status: int) -> None:
    done = deployer.deploy(visibility=visibility)
    url = f"https://{done['environment']['domain_name']}/lobby.xml"
    assert deployer.wire.send("GET", url, auth=None).status_code == status


def test_served_content_type_and_assets_outlive_their_asset(
    deployer: Deployer, sandbox: SandboxServer
) -> None:
    done = deployer.deploy(path="/hold.mp3", content=b"ID3fake", content_type="audio/mpeg")
    service, asset = done["service"]["sid"], done["asset"]["sid"]
    deployer.wire.send("DELETE", f"{SL}/Services/{service}/Assets/{asset}")
    served = deployer.wire.send("GET", f"https://{done['environment']['domain_name']}/hold.mp3")
    assert served.status_code == 200 and served.headers["Content-Type"] == "audio/mpeg"


def test_serverless_needs_credentials_but_assets_do_not(
    deployer: Deployer, sandbox: SandboxServer
) -> None:
    done = deployer.deploy()
    assert deployer.wire.send("GET", f"{SL}/Services", auth=None).status_code == 401
    assert deployer.wire.send("GET", f"{SL}/Services", auth=("AC" + "0" * 32, "x")).status_code == (
        401
    )
    sandbox.controls.revoke_credentials()
    url = f"https://{done['environment']['domain_name']}/lobby.xml"
    assert deployer.wire.send("GET", url).status_code == 200
    sandbox.controls.restore_credentials()
    paths = [r.path for r in sandbox.request_log.entries()]
    assert "/serverless/v1/Services" in paths
    assert any(p.startswith("/serverless-upload/v1/Services/") for p in paths)
    assert any(p.startswith("/twil.io/") for p in paths)


def test_sdk_client_reaches_serverless(sandbox: SandboxServer) -> None:
    client = _client(sandbox)
    service = client.serverless.v1.services.create(unique_name="sdk", friendly_name="SDK")
    assert client.serverless.v1.services("sdk").fetch().sid == service.sid
    environment = client.serverless.v1.services(service.sid).environments.create(
        unique_name="production", domain_suffix="prod"
    )
    assert environment.domain_name.endswith("-prod.twil.io")
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services("missing").fetch()
    assert raised.value.status == 404


# ---------------------------------------------------------------------- route faults


def test_fail_one_route_once(deployer: Deployer, sandbox: SandboxServer) -> None:
    sid = deployer.call("POST", f"{SL}/Services", {"UniqueName": "f", "FriendlyName": "F"}, 201)[
        "sid"
    ]
    builds = f"{SL}/Services/{sid}/Builds"
    sandbox.controls.fail_route("POST", "/Builds", 503)
    deployer.call("GET", builds)  # other methods on the route are untouched
    failed = deployer.wire.send("POST", builds, {})
    assert failed.status_code == 503
    assert failed.json() == {
        "code": 20503,
        "message": "Service Unavailable",
        "more_info": "https://www.twilio.com/docs/errors/20503",
        "status": 503,
    }
    assert deployer.call("GET", builds)["builds"] == []  # nothing was created
    deployer.call("POST", builds, {}, 201)  # once only


def test_fail_one_route_always_then_clear(deployer: Deployer, sandbox: SandboxServer) -> None:
    controls = sandbox.controls
    pattern = "/serverless-upload/v1/Services/*/Assets/*/Versions"
    controls.fail_route("POST", pattern, 500, times=None)
    sid = deployer.call("POST", f"{SL}/Services", {"UniqueName": "g", "FriendlyName": "G"}, 201)[
        "sid"
    ]
    asset = deployer.call("POST", f"{SL}/Services/{sid}/Assets", {"FriendlyName": "a"}, 201)
    for _ in range(3):
        body = deployer.upload(sid, asset["sid"], expected=500)
        assert body["code"] == 20500
    controls.clear_route_failure("POST", pattern)
    deployer.upload(sid, asset["sid"])
    controls.fail_route("POST", "/Environments", 400, code=21999, message="nope", times=2)
    for _ in range(2):
        refused = deployer.wire.send(
            "POST", f"{SL}/Services/{sid}/Environments", {"UniqueName": "e"}
        )
        assert refused.json()["code"] == 21999 and refused.json()["message"] == "nope"
    deployer.call("POST", f"{SL}/Services/{sid}/Environments", {"UniqueName": "e"}, 201)
    controls.fail_route("GET", "/Calls.json", 429, times=None)
    limited = deployer.wire.send("GET", deployer.wire.api("/Calls.json"))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    controls.reset()
    deployer.call("GET", deployer.wire.api("/Calls.json"))


def test_fail_route_checks_its_arguments(sandbox: SandboxServer) -> None:
    with pytest.raises(ValueError):
        sandbox.controls.fail_route("POST", "/Builds", 200)
    with pytest.raises(ValueError):
        sandbox.controls.fail_route("POST", "/Builds", 500, times=0)


def test_served_asset_needs_no_auth_header(deployer: Deployer, sandbox: SandboxServer) -> None:
    done = deployer.deploy()
    host = done["environment"]["domain_name"][: -len(".twil.io")]
    served = requests.get(f"{sandbox.base_url}/twil.io/{host}/lobby.xml", timeout=10)
    assert served.status_code == 200 and served.content == LOBBY_XML
