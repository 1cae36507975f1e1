"""Serverless v1: Services, Environments, Assets, Asset Versions, Builds, Deployments, and the
public assets a deployment serves on its `*.twil.io` domain.

Written from Twilio's Serverless API reference and its OpenAPI file (twilio_serverless_v1.json)
and from how Twilio's own deploy tool, twilio-labs/serverless-api, drives it:

- An Asset Version is created only by the upload endpoint on serverless-upload.twilio.com, a
  multipart/form-data POST with fields `Path`, `Visibility` and a file part `Content`
  (src/api/assets.ts `createAssetVersion`).
- A Build takes `AssetVersions` / `FunctionVersions` (repeated form keys, `querystring.stringify`)
  and `Dependencies` (a JSON list of {name, version}, which that tool sends wrapped in an extra
  pair of double quotes); its status moves `building` → `completed` or `failed`, which the tool
  polls on `/Builds/{sid}/Status` (src/api/builds.ts).
- An environment's `domain_name` is `{service domain_base}-{DomainSuffix}.twil.io` (or
  `{domain_base}.twil.io` without a suffix), `domain_base` being `{unique_name}-{4 digits}`.
  A Deployment of a completed build on an environment sets that environment's `build_sid`;
  from then on the build's assets are served there.
- Twilio's Assets guide: public assets are served to anyone with the URL; protected ones
  "require a valid Twilio request signature" (Twilio's own webhook requests carry one, so an
  inbound call may fetch them); private ones are not served by URL.

Duplicates answer 409 / 20409 ("Environment with this UniqueName or DomainSuffix already
exists", as Twilio words it); other invalid parameters 400 / 20001.
"""

from __future__ import annotations

import json
import mimetypes
import re
from typing import TypeVar
from urllib.parse import urlsplit

from moderator.sandbox.errors import ApiError
from moderator.sandbox.world.serverless_records import (
    Asset,
    AssetVersion,
    Build,
    Deployment,
    Environment,
    Served,
    Service,
)
from moderator.sandbox.world.state import WorldState

__all__ = [
    "BUILD_SECONDS",
    "RUNTIMES",
    "TWIL_IO",
    "VISIBILITIES",
    "Asset",
    "AssetVersion",
    "Build",
    "Deployment",
    "Environment",
    "Served",
    "Serverless",
    "Service",
]

BUILD_SECONDS = 3.0
"""Clock seconds a build spends `building` (Twilio takes seconds too)."""
TWIL_IO = "twil.io"
VISIBILITIES = ("public", "protected", "private")
RUNTIMES = ("node8", "node10", "node12", "node14", "node16", "node18", "node20", "node22")
DEFAULT_RUNTIME = "node18"
SERVERLESS_BASE = "https://serverless.twilio.com/v1"
_URL_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_VERSION_SID = re.compile(r"^ZN[0-9a-fA-F]{32}$")


_Child = TypeVar("_Child", Environment, Asset, Build)
_Record = TypeVar("_Record", Service, Environment, Asset, AssetVersion, Build, Deployment)


def _bad(message: str) -> ApiError:
    return ApiError(400, 20001, message)


def _required(name: str, value: str | None, max_length: int) -> str:
    if value is None or not value.strip():
        raise _bad(f"Missing required parameter {name} in the post body")
    if len(value) > max_length:
        raise _bad(f"{name} can be a maximum of {max_length} characters")
    return value


def parse_dependencies(raw: str | None) -> list[dict[str, str]]:
    """Dependencies as sent by the SDK or by serverless-api (JSON wrapped in extra quotes)."""
    if raw is None or not raw.strip():
        return []
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    value = json.loads(text)
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and isinstance(item.get("name"), str) for item in value
    ):
        raise ValueError("Dependencies must be a list of {name, version} objects")
    return [{"name": item["name"], "version": str(item.get("version", ""))} for item in value]


class Serverless:
    """Every Serverless resource of the account, and the twil.io domains they serve."""

    def __init__(self, state: WorldState) -> None:
        self._state = state
        self._services: dict[str, Service] = {}
        self._environments: dict[str, Environment] = {}
        self._assets: dict[str, Asset] = {}
        self._versions: dict[str, AssetVersion] = {}
        self._builds: dict[str, Build] = {}
        self._deployments: dict[str, Deployment] = {}
        self._fail_next_builds: list[str] = []
        self.build_seconds = BUILD_SECONDS

    # ------------------------------------------------------------------ lookups

    def _service(self, sid_or_name: str) -> Service:
        """A service by ZS… SID or by unique name (Twilio accepts either in the path)."""
        service = self._services.get(sid_or_name)
        if service is None:
            service = next(
                (s for s in self._services.values() if s.unique_name == sid_or_name), None
            )
        if service is None:
            raise ApiError.not_found(f"/v1/Services/{sid_or_name}")
        return service

    def _child(self, table: dict[str, _Child], service: Service, sid: str, kind: str) -> _Child:
        record = table.get(sid)
        if record is None or record.service_sid != service.sid:
            raise ApiError.not_found(f"/v1/Services/{service.sid}/{kind}/{sid}")
        return record

    def _ordered(self, records: list[_Record]) -> list[_Record]:
        return sorted(records, key=lambda record: record.seq)

    # ------------------------------------------------------------------ services

    def create_service(
        self,
        unique_name: str | None,
        friendly_name: str | None,
        include_credentials: bool = True,
        ui_editable: bool = False,
    ) -> Service:
        """POST /v1/Services: UniqueName (≤ 50, URL-friendly, unique) and FriendlyName."""
        name = _required("UniqueName", unique_name, 50)
        friendly = _required("FriendlyName", friendly_name, 255)
        if not _URL_NAME.match(name) or (name.startswith(("ZS", "zs")) and len(name) == 34):
            raise _bad(f"UniqueName {name!r} must be letters, digits and hyphens")
        state = self._state
        with state.locked():
            if any(s.unique_name == name for s in self._services.values()):
                raise ApiError(409, 20409, f"Service with UniqueName {name!r} already exists")
            now = state.now()
            service = Service(
                sid=state.sids.new("ZS"),
                seq=state.next_seq(),
                unique_name=name,
                friendly_name=friendly,
                include_credentials=include_credentials,
                ui_editable=ui_editable,
                domain_base=f"{name}-{state.rng.randint(1000, 9999)}",
                created_at=now,
                updated_at=now,
            )
            self._services[service.sid] = service
            return service

    def find_service(self, sid_or_name: str) -> Service:
        """GET /v1/Services/{sid or unique name}."""
        with self._state.locked():
            return self._service(sid_or_name)

    def list_services(self) -> list[Service]:
        """GET /v1/Services, oldest first."""
        with self._state.locked():
            return self._ordered(list(self._services.values()))

    def update_service(
        self,
        sid_or_name: str,
        friendly_name: str | None = None,
        include_credentials: bool | None = None,
        ui_editable: bool | None = None,
    ) -> Service:
        """POST /v1/Services/{sid}: FriendlyName, IncludeCredentials, UiEditable."""
        with self._state.locked():
            service = self._service(sid_or_name)
            if friendly_name is not None:
                service.friendly_name = _required("FriendlyName", friendly_name, 255)
            if include_credentials is not None:
                service.include_credentials = include_credentials
            if ui_editable is not None:
                service.ui_editable = ui_editable
            service.updated_at = self._state.now()
            return service

    def delete_service(self, sid_or_name: str) -> None:
        """DELETE /v1/Services/{sid}: the service and everything in it; its domains go dark."""
        with self._state.locked():
            service = self._service(sid_or_name)
            for table in (
                self._environments,
                self._assets,
                self._versions,
                self._builds,
                self._deployments,
            ):
                for sid in [sid for sid, r in table.items() if r.service_sid == service.sid]:
                    del table[sid]
            del self._services[service.sid]

    # ------------------------------------------------------------------ environments

    def create_environment(
        self, service_ref: str, unique_name: str | None, domain_suffix: str | None
    ) -> Environment:
        """POST /v1/Services/{S}/Environments: UniqueName (≤ 100), DomainSuffix (≤ 16)."""
        name = _required("UniqueName", unique_name, 100)
        suffix = domain_suffix.strip() if domain_suffix else None
        if suffix is not None and (len(suffix) > 16 or not _URL_NAME.match(suffix)):
            raise _bad(f"DomainSuffix {suffix!r}: up to 16 letters, digits and hyphens")
        state = self._state
        with state.locked():
            service = self._service(service_ref)
            for other in self._environments.values():
                if other.service_sid == service.sid and (
                    other.unique_name == name or other.domain_suffix == suffix
                ):
                    raise ApiError(
                        409,
                        20409,
                        "Environment with this UniqueName or DomainSuffix already exists",
                    )
            host = f"{service.domain_base}-{suffix}" if suffix else service.domain_base
            now = state.now()
            environment = Environment(
                sid=state.sids.new("ZE"),
                seq=state.next_seq(),
                service_sid=service.sid,
                unique_name=name,
                domain_suffix=suffix,
                domain_name=f"{host}.{TWIL_IO}",
                created_at=now,
                updated_at=now,
            )
            self._environments[environment.sid] = environment
            return environment

    def find_environment(self, service_ref: str, sid: str) -> Environment:
        """GET /v1/Services/{S}/Environments/{ZE}."""
        with self._state.locked():
            service = self._service(service_ref)
            return self._child(self._environments, service, sid, "Environments")

    def list_environments(self, service_ref: str) -> list[Environment]:
        """GET /v1/Services/{S}/Environments, oldest first."""
        with self._state.locked():
            service = self._service(service_ref)
            return self._ordered(
                [e for e in self._environments.values() if e.service_sid == service.sid]
            )

    def delete_environment(self, service_ref: str, sid: str) -> None:
        """DELETE /v1/Services/{S}/Environments/{ZE}: its domain stops serving."""
        with self._state.locked():
            service = self._service(service_ref)
            environment = self._child(self._environments, service, sid, "Environments")
            del self._environments[environment.sid]

    # ------------------------------------------------------------------ assets

    def create_asset(self, service_ref: str, friendly_name: str | None) -> Asset:
        """POST /v1/Services/{S}/Assets: FriendlyName (≤ 255)."""
        friendly = _required("FriendlyName", friendly_name, 255)
        state = self._state
        with state.locked():
            service = self._service(service_ref)
            now = state.now()
            asset = Asset(
                sid=state.sids.new("ZH"),
                seq=state.next_seq(),
                service_sid=service.sid,
                friendly_name=friendly,
                created_at=now,
                updated_at=now,
            )
            self._assets[asset.sid] = asset
            return asset

    def find_asset(self, service_ref: str, sid: str) -> Asset:
        """GET /v1/Services/{S}/Assets/{ZH}."""
        with self._state.locked():
            return self._child(self._assets, self._service(service_ref), sid, "Assets")

    def list_assets(self, service_ref: str) -> list[Asset]:
        """GET /v1/Services/{S}/Assets, oldest first."""
        with self._state.locked():
            service = self._service(service_ref)
            return self._ordered([a for a in self._assets.values() if a.service_sid == service.sid])

    def update_asset(self, service_ref: str, sid: str, friendly_name: str | None) -> Asset:
        """POST /v1/Services/{S}/Assets/{ZH}: FriendlyName."""
        friendly = _required("FriendlyName", friendly_name, 255)
        with self._state.locked():
            asset = self._child(self._assets, self._service(service_ref), sid, "Assets")
            asset.friendly_name = friendly
            asset.updated_at = self._state.now()
            return asset

    def delete_asset(self, service_ref: str, sid: str) -> None:
        """DELETE /v1/Services/{S}/Assets/{ZH}; builds made from its versions keep them."""
        with self._state.locked():
            asset = self._child(self._assets, self._service(service_ref), sid, "Assets")
            del self._assets[asset.sid]
            for version_sid in [v.sid for v in self._versions.values() if v.asset_sid == sid]:
                del self._versions[version_sid]

    # ------------------------------------------------------------------ asset versions

    def upload_asset_version(
        self,
        service_ref: str,
        asset_sid: str,
        path: str | None,
        visibility: str | None,
        content: bytes | None,
        content_type: str | None,
    ) -> AssetVersion:
        """POST serverless-upload …/Assets/{ZH}/Versions (multipart): Path, Visibility, Content.

        Path must start with "/" (it is the URL path on the domain); Visibility is public,
        protected or private; Content is the file part, whose own Content-Type is kept and
        served (guessed from the path when the part has none).
        """
        where = _required("Path", path, 255)
        if not where.startswith("/") or any(c.isspace() for c in where):
            raise _bad(f"Path {where!r} must start with '/' and contain no whitespace")
        if visibility not in VISIBILITIES:
            raise _bad(f"Visibility must be one of {', '.join(VISIBILITIES)}; got {visibility!r}")
        if content is None:
            raise _bad("Missing required file part Content in the multipart body")
        kind = content_type or mimetypes.guess_type(where)[0] or "application/octet-stream"
        state = self._state
        with state.locked():
            service = self._service(service_ref)
            asset = self._child(self._assets, service, asset_sid, "Assets")
            version = AssetVersion(
                sid=state.sids.new("ZN"),
                seq=state.next_seq(),
                service_sid=service.sid,
                asset_sid=asset.sid,
                path=where,
                visibility=visibility,
                content=content,
                content_type=kind,
                created_at=state.now(),
            )
            self._versions[version.sid] = version
            return version

    def find_asset_version(self, service_ref: str, asset_sid: str, sid: str) -> AssetVersion:
        """GET /v1/Services/{S}/Assets/{ZH}/Versions/{ZN}."""
        with self._state.locked():
            service = self._service(service_ref)
            asset = self._child(self._assets, service, asset_sid, "Assets")
            version = self._versions.get(sid)
            if version is None or version.asset_sid != asset.sid:
                raise ApiError.not_found(
                    f"/v1/Services/{service.sid}/Assets/{asset.sid}/Versions/{sid}"
                )
            return version

    def list_asset_versions(self, service_ref: str, asset_sid: str) -> list[AssetVersion]:
        """GET /v1/Services/{S}/Assets/{ZH}/Versions, oldest first."""
        with self._state.locked():
            asset = self._child(self._assets, self._service(service_ref), asset_sid, "Assets")
            return self._ordered([v for v in self._versions.values() if v.asset_sid == asset.sid])

    # ------------------------------------------------------------------ builds

    def create_build(
        self,
        service_ref: str,
        asset_versions: list[str],
        function_versions: list[str],
        dependencies: str | None,
        runtime: str | None,
    ) -> Build:
        """POST /v1/Services/{S}/Builds: `building` now, `completed` or `failed` later.

        Malformed SIDs and an unknown Runtime are refused at once (400); versions that do not
        exist in this service (or belong to another), function versions (the sandbox has no
        Functions), unparseable Dependencies, and `fail_next_build()` make the build `failed`
        when it finishes, as Twilio reports content problems through the build's status.
        """
        for sid in (*asset_versions, *function_versions):
            if not _VERSION_SID.match(sid):
                raise _bad(f"Invalid version SID {sid!r}: expected ZN followed by 32 hex digits")
        chosen_runtime = runtime or DEFAULT_RUNTIME
        if chosen_runtime not in RUNTIMES:
            raise _bad(f"Runtime {chosen_runtime!r} is not one of {', '.join(RUNTIMES)}")
        failure: str | None = None
        try:
            parsed = parse_dependencies(dependencies)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            parsed, failure = [], f"invalid Dependencies: {exc}"
        state = self._state
        with state.locked():
            service = self._service(service_ref)
            versions: list[AssetVersion] = []
            for sid in asset_versions:
                version = self._versions.get(sid)
                if version is None or version.service_sid != service.sid:
                    failure = failure or f"asset version {sid} is not in service {service.sid}"
                else:
                    versions.append(version)
            if function_versions:
                failure = failure or f"function version {function_versions[0]} does not exist"
            if self._fail_next_builds:
                failure = failure or self._fail_next_builds.pop(0)
            now = state.now()
            build = Build(
                sid=state.sids.new("ZB"),
                seq=state.next_seq(),
                service_sid=service.sid,
                asset_version_sids=tuple(asset_versions),
                function_version_sids=tuple(function_versions),
                dependencies=parsed,
                runtime=chosen_runtime,
                status="building",
                created_at=now,
                updated_at=now,
                failure=failure,
                assets=tuple(versions),
            )
            self._builds[build.sid] = build
            state.schedule(self.build_seconds, lambda: self._finish_build(build))
            return build

    def _finish_build(self, build: Build) -> None:
        if self._builds.get(build.sid) is not build:
            return  # deleted meanwhile
        build.status = "failed" if build.failure else "completed"
        build.updated_at = self._state.now()

    def find_build(self, service_ref: str, sid: str) -> Build:
        """GET /v1/Services/{S}/Builds/{ZB} (and …/Status)."""
        with self._state.locked():
            return self._child(self._builds, self._service(service_ref), sid, "Builds")

    def list_builds(self, service_ref: str) -> list[Build]:
        """GET /v1/Services/{S}/Builds, oldest first."""
        with self._state.locked():
            service = self._service(service_ref)
            return self._ordered([b for b in self._builds.values() if b.service_sid == service.sid])

    def delete_build(self, service_ref: str, sid: str) -> None:
        """DELETE /v1/Services/{S}/Builds/{ZB}; a build deployed on an environment is 409."""
        with self._state.locked():
            build = self._child(self._builds, self._service(service_ref), sid, "Builds")
            if any(e.build_sid == build.sid for e in self._environments.values()):
                raise ApiError(409, 20409, f"Build {sid} is deployed on an environment")
            del self._builds[build.sid]

    def fail_next_build(self, reason: str = "build failed (sandbox fault)") -> None:
        """Control: the next build created (any service) ends `failed`; call again to queue more."""
        with self._state.locked():
            self._fail_next_builds.append(reason)

    # ------------------------------------------------------------------ deployments

    def create_deployment(
        self, service_ref: str, environment_sid: str, build_sid: str | None
    ) -> Deployment:
        """POST …/Environments/{ZE}/Deployments with BuildSid: the build goes live there.

        The build must be this service's and `completed` (a building or failed build is 400).
        """
        state = self._state
        with state.locked():
            service = self._service(service_ref)
            environment = self._child(self._environments, service, environment_sid, "Environments")
            if not build_sid:
                raise _bad("Missing required parameter BuildSid in the post body")
            build = self._child(self._builds, service, build_sid, "Builds")
            if build.status != "completed":
                raise _bad(f"Build {build.sid} is {build.status}; only a completed build deploys")
            now = state.now()
            deployment = Deployment(
                sid=state.sids.new("ZD"),
                seq=state.next_seq(),
                service_sid=service.sid,
                environment_sid=environment.sid,
                build_sid=build.sid,
                created_at=now,
            )
            self._deployments[deployment.sid] = deployment
            environment.build_sid = build.sid
            environment.updated_at = now
            return deployment

    def find_deployment(self, service_ref: str, environment_sid: str, sid: str) -> Deployment:
        """GET …/Environments/{ZE}/Deployments/{ZD}."""
        with self._state.locked():
            service = self._service(service_ref)
            environment = self._child(self._environments, service, environment_sid, "Environments")
            deployment = self._deployments.get(sid)
            if deployment is None or deployment.environment_sid != environment.sid:
                raise ApiError.not_found(
                    f"/v1/Services/{service.sid}/Environments/{environment.sid}/Deployments/{sid}"
                )
            return deployment

    def list_deployments(self, service_ref: str, environment_sid: str) -> list[Deployment]:
        """GET …/Environments/{ZE}/Deployments, oldest first."""
        with self._state.locked():
            service = self._service(service_ref)
            environment = self._child(self._environments, service, environment_sid, "Environments")
            return self._ordered(
                [d for d in self._deployments.values() if d.environment_sid == environment.sid]
            )

    # ------------------------------------------------------------------ serving

    def serve(self, domain: str, path: str, *, signed: bool = False) -> Served:
        """What `https://{domain}{path}` answers (callers hold the world lock).

        Public assets of the deployed build: 200 with their content type. Protected: 401
        unless `signed` (Twilio's own webhook requests are signed). Private, unknown path, or
        a domain with nothing deployed: 404.
        """
        environment = next(
            (e for e in self._environments.values() if e.domain_name == domain.lower()), None
        )
        build = self._builds.get(environment.build_sid or "") if environment else None
        if environment is None or build is None:
            return Served(404, "text/plain; charset=utf-8", b"Not Found", f"nothing at {domain}")
        version = next((v for v in reversed(build.assets) if v.path == path), None)
        if version is None or version.visibility == "private":
            return Served(404, "text/plain; charset=utf-8", b"Not Found", f"no asset at {path}")
        if version.visibility == "protected" and not signed:
            return Served(
                401,
                "text/plain; charset=utf-8",
                b"Unauthorized",
                "protected asset: a valid X-Twilio-Signature is required",
            )
        return Served(200, version.content_type, version.content)

    def fetch_url(self, url: str) -> Served:
        """Twilio fetching `url` for a call (signed): only the sandbox's own twil.io domains.

        Callers hold the world lock (the calls family, inside a clock event): this takes no
        lock itself, so it never runs other due events in the middle of one.
        """
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in {"http", "https"} or not host.endswith(f".{TWIL_IO}"):
            return Served(
                502, "text/plain; charset=utf-8", b"", f"{host or url} is not served by the sandbox"
            )
        return self.serve(host, parts.path or "/", signed=True)

    def serve_http(self, subdomain: str, path: str) -> Served:
        """GET/POST `https://{subdomain}.twil.io{path}` from a client (never signed)."""
        with self._state.locked():
            return self.serve(f"{subdomain}.{TWIL_IO}", path)

    def deployed_urls(self) -> list[str]:
        """Test/demo API: https URLs of every public or protected asset deployed right now."""
        with self._state.locked():
            urls = []
            for environment in self._ordered(list(self._environments.values())):
                build = self._builds.get(environment.build_sid or "")
                for version in build.assets if build else ():
                    if version.visibility != "private":
                        urls.append(f"https://{environment.domain_name}{version.path}")
            return urls

    @staticmethod
    def service_url(service_sid: str) -> str:
        """The absolute URL Twilio gives a service (bodies keep Twilio's real host)."""
        return f"{SERVERLESS_BASE}/Services/{service_sid}"
