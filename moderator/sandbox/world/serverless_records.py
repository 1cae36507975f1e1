"""The Serverless v1 records the sandbox keeps (Service, Environment, Asset, AssetVersion,
Build, Deployment) and what a twil.io URL answers (`Served`); the behaviour is `serverless`'s."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Asset", "AssetVersion", "Build", "Deployment", "Environment", "Served", "Service"]


@dataclass
class Service:
    """A Serverless Service (ZS…): the container of environments, assets and builds."""

    sid: str
    seq: int
    unique_name: str
    friendly_name: str
    include_credentials: bool
    ui_editable: bool
    domain_base: str
    created_at: float
    updated_at: float


@dataclass
class Environment:
    """An Environment (ZE…) with its twil.io domain and the build deployed on it."""

    sid: str
    seq: int
    service_sid: str
    unique_name: str
    domain_suffix: str | None
    domain_name: str
    created_at: float
    updated_at: float
    build_sid: str | None = None


@dataclass
class Asset:
    """An Asset (ZH…): a named static file whose content lives in its versions."""

    sid: str
    seq: int
    service_sid: str
    friendly_name: str
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class AssetVersion:
    """An uploaded Asset Version (ZN…): path, visibility and the bytes with their type."""

    sid: str
    seq: int
    service_sid: str
    asset_sid: str
    path: str
    visibility: str
    content: bytes = field(repr=False)
    content_type: str
    created_at: float


@dataclass
class Build:
    """A Build (ZB…): the versions it bundles; `status` moves on the clock."""

    sid: str
    seq: int
    service_sid: str
    asset_version_sids: tuple[str, ...]
    function_version_sids: tuple[str, ...]
    dependencies: list[dict[str, str]]
    runtime: str
    status: str
    created_at: float
    updated_at: float
    failure: str | None = None
    assets: tuple[AssetVersion, ...] = ()


@dataclass(frozen=True)
class Deployment:
    """A Deployment (ZD…) of a build on an environment."""

    sid: str
    seq: int
    service_sid: str
    environment_sid: str
    build_sid: str
    created_at: float


@dataclass(frozen=True)
class Served:
    """What a twil.io URL answers: HTTP status, content type, body (and why, for errors)."""

    status: int
    content_type: str
    body: bytes
    reason: str = ""
