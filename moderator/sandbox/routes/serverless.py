"""Serverless v1 (serverless.twilio.com), its upload host (serverless-upload.twilio.com) and the
deployed `*.twil.io` domains, under the lead's URL scheme: a Twilio host other than api/video
arrives as `{base}/{product}/{path}`, a deployed domain `https://{sub}.twil.io/{path}` as
`{base}/twil.io/{sub}/{path}`. Bodies keep Twilio's real absolute URLs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from moderator.sandbox.paging import parse_page_request, slice_page
from moderator.sandbox.routes.common import Handlers, JsonObject, optional, query_filters
from moderator.sandbox.serialization import (
    SERVERLESS_BASE,
    asset_json,
    asset_version_json,
    build_json,
    build_status_json,
    deployment_json,
    environment_json,
    service_json,
    video_list_json,
)
from moderator.sandbox.world import World

__all__ = ["PUBLIC_PREFIX", "RULES", "ServerlessRoutes"]

PUBLIC_PREFIX = "/twil.io/"
"""Served assets are public: requests under this prefix need no credentials."""

_S = "/serverless/v1/Services"
_U = "/serverless-upload/v1/Services"

RULES = [
    Rule(_S, endpoint="sl_services", methods=["GET", "POST"]),
    Rule(f"{_S}/<service>", endpoint="sl_service", methods=["GET", "POST", "DELETE"]),
    Rule(f"{_S}/<service>/Environments", endpoint="sl_environments", methods=["GET", "POST"]),
    Rule(
        f"{_S}/<service>/Environments/<sid>", endpoint="sl_environment", methods=["GET", "DELETE"]
    ),
    Rule(
        f"{_S}/<service>/Environments/<environment>/Deployments",
        endpoint="sl_deployments",
        methods=["GET", "POST"],
    ),
    Rule(
        f"{_S}/<service>/Environments/<environment>/Deployments/<sid>",
        endpoint="sl_deployment",
        methods=["GET"],
    ),
    Rule(f"{_S}/<service>/Assets", endpoint="sl_assets", methods=["GET", "POST"]),
    Rule(f"{_S}/<service>/Assets/<sid>", endpoint="sl_asset", methods=["GET", "POST", "DELETE"]),
    Rule(f"{_S}/<service>/Assets/<asset>/Versions", endpoint="sl_versions", methods=["GET"]),
    Rule(f"{_S}/<service>/Assets/<asset>/Versions/<sid>", endpoint="sl_version", methods=["GET"]),
    Rule(f"{_S}/<service>/Builds", endpoint="sl_builds", methods=["GET", "POST"]),
    Rule(f"{_S}/<service>/Builds/<sid>", endpoint="sl_build", methods=["GET", "DELETE"]),
    Rule(f"{_S}/<service>/Builds/<sid>/Status", endpoint="sl_build_status", methods=["GET"]),
    Rule(f"{_U}/<service>/Assets/<asset>/Versions", endpoint="sl_upload", methods=["POST"]),
    Rule(
        f"{PUBLIC_PREFIX}<sub>/",
        endpoint="twil_io",
        methods=["GET", "POST"],
        defaults={"path": ""},
    ),
    Rule(f"{PUBLIC_PREFIX}<sub>/<path:path>", endpoint="twil_io", methods=["GET", "POST"]),
]


def _bool(request: Request, name: str) -> bool | None:
    raw = request.form.get(name)
    if raw is None or raw == "":
        return None
    return raw.strip().lower() == "true"


def _no_content() -> Response:
    return Response(status=204)


class ServerlessRoutes:
    """Handlers for the Serverless resources, the upload endpoint and served assets."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.serverless = world.serverless

    def handlers(self) -> Handlers:
        """(endpoint, method) → handler for this family's rules."""
        return {
            ("sl_services", "GET"): self._list_services,
            ("sl_services", "POST"): self._create_service,
            ("sl_service", "GET"): self._fetch_service,
            ("sl_service", "POST"): self._update_service,
            ("sl_service", "DELETE"): self._delete_service,
            ("sl_environments", "GET"): self._list_environments,
            ("sl_environments", "POST"): self._create_environment,
            ("sl_environment", "GET"): self._fetch_environment,
            ("sl_environment", "DELETE"): self._delete_environment,
            ("sl_deployments", "GET"): self._list_deployments,
            ("sl_deployments", "POST"): self._create_deployment,
            ("sl_deployment", "GET"): self._fetch_deployment,
            ("sl_assets", "GET"): self._list_assets,
            ("sl_assets", "POST"): self._create_asset,
            ("sl_asset", "GET"): self._fetch_asset,
            ("sl_asset", "POST"): self._update_asset,
            ("sl_asset", "DELETE"): self._delete_asset,
            ("sl_versions", "GET"): self._list_versions,
            ("sl_version", "GET"): self._fetch_version,
            ("sl_builds", "GET"): self._list_builds,
            ("sl_builds", "POST"): self._create_build,
            ("sl_build", "GET"): self._fetch_build,
            ("sl_build", "DELETE"): self._delete_build,
            ("sl_build_status", "GET"): self._fetch_build_status,
            ("sl_upload", "POST"): self._upload_version,
            ("twil_io", "GET"): self._serve,
            ("twil_io", "POST"): self._serve,
        }

    @property
    def _account(self) -> str:
        return self.world.account_sid

    def _page(
        self,
        request: Request,
        key: str,
        records: Sequence[Any],
        to_json: Callable[[Any, str], JsonObject],
        path: str,
    ) -> tuple[int, JsonObject]:
        page = slice_page(list(records), lambda r: int(r.seq), parse_page_request(request.args))
        items = [to_json(r, self._account) for r in page.items]
        return 200, video_list_json(
            key, items, page, path, query_filters(request), host=SERVERLESS_BASE
        )

    # ------------------------------------------------------------------ services

    def _create_service(self, request: Request) -> tuple[int, JsonObject]:
        form = request.form
        service = self.serverless.create_service(
            form.get("UniqueName"),
            form.get("FriendlyName"),
            include_credentials=_bool(request, "IncludeCredentials") is not False,
            ui_editable=bool(_bool(request, "UiEditable")),
        )
        return 201, service_json(service, self._account)

    def _list_services(self, request: Request) -> tuple[int, JsonObject]:
        services = self.serverless.list_services()
        return self._page(request, "services", services, service_json, "/v1/Services")

    def _fetch_service(self, request: Request, service: str) -> tuple[int, JsonObject]:
        return 200, service_json(self.serverless.find_service(service), self._account)

    def _update_service(self, request: Request, service: str) -> tuple[int, JsonObject]:
        updated = self.serverless.update_service(
            service,
            friendly_name=request.form.get("FriendlyName"),
            include_credentials=_bool(request, "IncludeCredentials"),
            ui_editable=_bool(request, "UiEditable"),
        )
        return 200, service_json(updated, self._account)

    def _delete_service(self, request: Request, service: str) -> Response:
        self.serverless.delete_service(service)
        return _no_content()

    # ------------------------------------------------------------------ environments

    def _create_environment(self, request: Request, service: str) -> tuple[int, JsonObject]:
        environment = self.serverless.create_environment(
            service, request.form.get("UniqueName"), optional(request.form.get("DomainSuffix"))
        )
        return 201, environment_json(environment, self._account)

    def _list_environments(self, request: Request, service: str) -> tuple[int, JsonObject]:
        environments = self.serverless.list_environments(service)
        sid = self.serverless.find_service(service).sid
        return self._page(
            request,
            "environments",
            environments,
            environment_json,
            f"/v1/Services/{sid}/Environments",
        )

    def _fetch_environment(
        self, request: Request, service: str, sid: str
    ) -> tuple[int, JsonObject]:
        return 200, environment_json(self.serverless.find_environment(service, sid), self._account)

    def _delete_environment(self, request: Request, service: str, sid: str) -> Response:
        self.serverless.delete_environment(service, sid)
        return _no_content()

    # ------------------------------------------------------------------ deployments

    def _create_deployment(
        self, request: Request, service: str, environment: str
    ) -> tuple[int, JsonObject]:
        deployment = self.serverless.create_deployment(
            service, environment, optional(request.form.get("BuildSid"))
        )
        return 201, deployment_json(deployment, self._account)

    def _list_deployments(
        self, request: Request, service: str, environment: str
    ) -> tuple[int, JsonObject]:
        deployments = self.serverless.list_deployments(service, environment)
        sid = self.serverless.find_service(service).sid
        return self._page(
            request,
            "deployments",
            deployments,
            deployment_json,
            f"/v1/Services/{sid}/Environments/{environment}/Deployments",
        )

    def _fetch_deployment(
        self, request: Request, service: str, environment: str, sid: str
    ) -> tuple[int, JsonObject]:
        found = self.serverless.find_deployment(service, environment, sid)
        return 200, deployment_json(found, self._account)

    # ------------------------------------------------------------------ assets

    def _create_asset(self, request: Request, service: str) -> tuple[int, JsonObject]:
        asset = self.serverless.create_asset(service, request.form.get("FriendlyName"))
        return 201, asset_json(asset, self._account)

    def _list_assets(self, request: Request, service: str) -> tuple[int, JsonObject]:
        assets = self.serverless.list_assets(service)
        sid = self.serverless.find_service(service).sid
        return self._page(request, "assets", assets, asset_json, f"/v1/Services/{sid}/Assets")

    def _fetch_asset(self, request: Request, service: str, sid: str) -> tuple[int, JsonObject]:
        return 200, asset_json(self.serverless.find_asset(service, sid), self._account)

    def _update_asset(self, request: Request, service: str, sid: str) -> tuple[int, JsonObject]:
        asset = self.serverless.update_asset(service, sid, request.form.get("FriendlyName"))
        return 200, asset_json(asset, self._account)

    def _delete_asset(self, request: Request, service: str, sid: str) -> Response:
        self.serverless.delete_asset(service, sid)
        return _no_content()

    def _upload_version(self, request: Request, service: str, asset: str) -> tuple[int, JsonObject]:
        """The multipart upload, as twilio-labs/serverless-api sends it (Path, Visibility,
        Content file part with its filename and content type)."""
        try:
            part = request.files.get("Content")
            content = part.read() if part is not None else None
            content_type = (part.content_type or None) if part is not None else None
            path, visibility = request.form.get("Path"), request.form.get("Visibility")
        finally:
            request.close()  # the parsed parts may sit in temporary files
        version = self.serverless.upload_asset_version(
            service, asset, path, visibility, content, content_type
        )
        return 201, asset_version_json(version, self._account)

    def _list_versions(self, request: Request, service: str, asset: str) -> tuple[int, JsonObject]:
        versions = self.serverless.list_asset_versions(service, asset)
        sid = self.serverless.find_service(service).sid
        return self._page(
            request,
            "asset_versions",
            versions,
            asset_version_json,
            f"/v1/Services/{sid}/Assets/{asset}/Versions",
        )

    def _fetch_version(
        self, request: Request, service: str, asset: str, sid: str
    ) -> tuple[int, JsonObject]:
        version = self.serverless.find_asset_version(service, asset, sid)
        return 200, asset_version_json(version, self._account)

    # ------------------------------------------------------------------ builds

    def _create_build(self, request: Request, service: str) -> tuple[int, JsonObject]:
        form = request.form
        build = self.serverless.create_build(
            service,
            [sid for sid in form.getlist("AssetVersions") if sid],
            [sid for sid in form.getlist("FunctionVersions") if sid],
            form.get("Dependencies"),
            optional(form.get("Runtime")),
        )
        return 201, build_json(build, self._account)

    def _list_builds(self, request: Request, service: str) -> tuple[int, JsonObject]:
        builds = self.serverless.list_builds(service)
        sid = self.serverless.find_service(service).sid
        return self._page(request, "builds", builds, build_json, f"/v1/Services/{sid}/Builds")

    def _fetch_build(self, request: Request, service: str, sid: str) -> tuple[int, JsonObject]:
        return 200, build_json(self.serverless.find_build(service, sid), self._account)

    def _fetch_build_status(
        self, request: Request, service: str, sid: str
    ) -> tuple[int, JsonObject]:
        return 200, build_status_json(self.serverless.find_build(service, sid), self._account)

    def _delete_build(self, request: Request, service: str, sid: str) -> Response:
        self.serverless.delete_build(service, sid)
        return _no_content()

    # ------------------------------------------------------------------ twil.io

    def _serve(self, request: Request, sub: str, path: str) -> Response:
        """A deployed asset, GET or POST (Twilio's voice webhooks POST by default)."""
        served = self.serverless.serve_http(sub, "/" + path)
        response = Response(served.body, status=served.status, content_type=served.content_type)
        return response
