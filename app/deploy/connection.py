"""The AWS connection: profiles from ~/.aws, an explicit boto3 session, clients, and the identity check."""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.deploy.errors import KIND_CREDENTIALS, DeployError, explain

if TYPE_CHECKING:  # boto3 costs ~200 ms to import; only code that talks to AWS pays for it
    import boto3

# Common Lambda regions for a picker; a user may type any other.
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
    "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1", "ap-northeast-1", "ap-northeast-2",
    "ap-southeast-1", "ap-southeast-2", "ap-south-1", "sa-east-1",
]  # fmt: skip


@dataclass(frozen=True)
class ProfileInfo:
    """A named profile: where it is defined and how it signs in. Never holds a secret."""

    name: str
    region: str | None = None
    sso: bool = False
    in_config: bool = False
    in_credentials: bool = False
    sso_start_url: str | None = None

    @property
    def kind(self) -> str:
        if self.sso:
            return "sso"
        return "keys" if self.in_credentials else "config"


def _config_paths() -> tuple[Path, Path]:
    cfg = Path(os.environ.get("AWS_CONFIG_FILE") or Path.home() / ".aws" / "config").expanduser()
    creds = Path(
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or Path.home() / ".aws" / "credentials"
    ).expanduser()
    return cfg, creds


def _read_ini(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(default_section="__no_default__", strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error):
        pass
    return parser


def list_profiles(config_file: Path | None = None, credentials_file: Path | None = None) -> list[ProfileInfo]:
    """Profiles from the AWS config and credentials files (default paths honour AWS_CONFIG_FILE etc.)."""
    default_cfg, default_creds = _config_paths()
    cfg = _read_ini(config_file or default_cfg)
    creds = _read_ini(credentials_file or default_creds)
    sessions: dict[str, dict[str, str]] = {}
    found: dict[str, dict[str, Any]] = {}
    for section in cfg.sections():
        values = dict(cfg.items(section))
        if section.startswith("sso-session "):
            sessions[section[len("sso-session ") :].strip()] = values
            continue
        if section == "default":
            name = "default"
        elif section.startswith("profile "):
            name = section[len("profile ") :].strip()
        else:
            continue
        found[name] = {"config": values}
    for section in creds.sections():
        found.setdefault(section.strip(), {})["credentials"] = True
    out = []
    for name in sorted(found, key=lambda n: (n != "default", n)):
        values = found[name].get("config", {})
        session = sessions.get(values.get("sso_session", ""), {})
        sso = bool(values.get("sso_start_url") or values.get("sso_session"))
        out.append(
            ProfileInfo(
                name=name,
                region=values.get("region"),
                sso=sso,
                in_config="config" in found[name],
                in_credentials=bool(found[name].get("credentials")),
                sso_start_url=values.get("sso_start_url") or session.get("sso_start_url"),
            )
        )
    return out


def open_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """Create the boto3 session for a profile (None: the default chain). Called by the UI or CLI, once."""
    import boto3

    try:
        return boto3.Session(profile_name=profile or None, region_name=region or None)
    except Exception as exc:
        raise explain(exc, "opening the AWS profile", profile) from exc


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    user_id: str

    @property
    def partition(self) -> str:
        parts = self.arn.split(":")
        return parts[1] if len(parts) > 2 and parts[1] else "aws"

    def label(self) -> str:
        return f"{self.arn} (account {self.account})"

    def to_json(self) -> dict[str, str]:
        return {"account": self.account, "arn": self.arn, "user_id": self.user_id}


@dataclass
class Connection:
    """A session plus region and endpoint override; hands out one cached client per service."""

    session: boto3.Session
    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    max_attempts: int = 5
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _identity: Identity | None = field(default=None, repr=False)

    @property
    def region_name(self) -> str:
        region = self.region or self.session.region_name
        if not region:
            raise DeployError(
                "No AWS region is set.", "Choose a region, or set 'region' in the profile.", KIND_CREDENTIALS
            )
        return region

    def client(self, service: str) -> Any:
        """The client for `service` (created once; tests may register botocore event hooks on it)."""
        if service not in self._clients:
            from botocore.config import Config

            config = Config(
                retries={"max_attempts": self.max_attempts, "mode": "standard"},
                connect_timeout=10,
                read_timeout=120,
                user_agent_extra="lambda-studio",
            )
            self._clients[service] = self.session.client(
                service, region_name=self.region_name, endpoint_url=self.endpoint_url or None, config=config
            )
        return self._clients[service]

    def identity(self, refresh: bool = False) -> Identity:
        """Blocks: ask STS who we are (the identity check of the status bar). Raises DeployError."""
        if self._identity is None or refresh:
            try:
                resp = self.client("sts").get_caller_identity()
            except Exception as exc:
                raise explain(exc, "checking the AWS identity", self.profile) from exc
            self._identity = Identity(
                account=str(resp["Account"]), arn=str(resp["Arn"]), user_id=str(resp["UserId"])
            )
        return self._identity


def connect(
    profile: str | None = None, region: str | None = None, endpoint_url: str | None = None
) -> Connection:
    """Open the session for a profile and wrap it; does not contact AWS (call .identity() for that)."""
    session = open_session(profile, region)
    return Connection(session=session, region=region, endpoint_url=endpoint_url, profile=profile)
