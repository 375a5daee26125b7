"""`lambda-studio deploy PROJECT FUNCTION`: package, plan and deploy one function to AWS."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.deploy.cache import deploy_cache_dir
from app.deploy.connection import Connection, connect
from app.deploy.errors import DeployError
from app.deploy.progress import Cancelled, Progress

NAME = "deploy"


def aws_arguments() -> argparse.ArgumentParser:
    """--profile, --region, --endpoint-url: shared by deploy and remote."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("AWS connection")
    g.add_argument(
        "--profile", help="profile from ~/.aws/config or ~/.aws/credentials (default: the AWS chain)"
    )
    g.add_argument("--region", help="AWS region (default: the profile's)")
    g.add_argument("--endpoint-url", help="send every AWS call here (LocalStack, moto_server)")
    return p


def open_connection(args: argparse.Namespace) -> Connection:
    return connect(args.profile, args.region, args.endpoint_url)


# Problems the user fixes before trying again (exit 2); everything else is a failed attempt (exit 1).
USER_KINDS = {"credentials", "invalid", "limit", "not-found"}


def exit_code(exc: DeployError) -> int:
    return 2 if exc.kind in USER_KINDS else 1


def print_error(exc: DeployError, as_json: bool) -> None:
    if as_json:
        print(json.dumps(exc.to_json()))
    print(f"lambda-studio: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"  {exc.hint}", file=sys.stderr)


def stderr_sink(quiet: bool = False) -> Any:
    def sink(event: Progress) -> None:
        if not quiet:
            print(str(event), file=sys.stderr, flush=True)

    return sink


def _deploy_settings() -> dict[str, Any]:
    """The user's deploy settings (shared with the window): secrets policy and cache caps."""
    from app.deploy.cache import CacheLimits
    from app.settings import Settings

    settings = Settings()
    return {
        "allow_secrets": bool(settings.get("deploy_allow_secrets")),
        "cache_limits": CacheLimits.from_settings(
            settings.get("deploy_cache_max_mb"), settings.get("deploy_cache_max_age_days")
        ),
    }


def register(sub: Any) -> None:
    p = sub.add_parser(
        NAME,
        parents=[aws_arguments()],
        help="package a function and deploy it to AWS Lambda (plan first)",
        description="Package FUNCTION of PROJECT, compare it with the deployed function, show the plan, "
        "and apply only what changed (see docs/deploy.md).",
    )
    p.add_argument("project", help="project folder, or a template file")
    p.add_argument("function", help="logical id or function name")
    role = p.add_mutually_exclusive_group()
    role.add_argument("--role-arn", metavar="ARN", help="execution role for a new function (or to switch to)")
    role.add_argument(
        "--create-role",
        action="store_true",
        help="create (or reuse) a role with AWSLambdaBasicExecutionRole only",
    )
    p.add_argument(
        "--s3-bucket", help="bucket for packages over 50 MB (default: lambda-studio-artifacts-ACCOUNT-REGION)"
    )
    p.add_argument("--publish", action="store_true", help="publish a version after deploying")
    p.add_argument("--alias", help="point this alias at the published version (implies --publish)")
    p.add_argument("--cache-dir", type=Path, help="where packages and installed requirements are cached")
    p.add_argument(
        "--allow-secrets",
        action="store_true",
        help="package files that look like credentials (.aws/credentials, .env with keys, private keys); "
        "default: refuse them (also the setting deploy_allow_secrets)",
    )
    p.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    p.add_argument("--json", action="store_true", help="print the plan and the result as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.deploy.deploy import execute
    from app.deploy.plan import DeployOptions, make_plan
    from app.project.loader import ProjectLoadError, load_project

    try:
        project = load_project(args.project)
    except ProjectLoadError as exc:
        print_error(DeployError(str(exc)), args.json)
        return 2
    fn = project.function(args.function)
    if fn is None:
        names = ", ".join(f.logical_id for f in project.functions) or "none"
        print_error(
            DeployError(f"No function '{args.function}' in {project.root} (functions: {names})."), args.json
        )
        return 2
    prefs = _deploy_settings()
    options = DeployOptions(
        cache_dir=args.cache_dir or deploy_cache_dir(),
        role_arn=args.role_arn,
        create_role=args.create_role,
        s3_bucket=args.s3_bucket,
        publish_version=args.publish or bool(args.alias),
        alias=args.alias,
        allow_secrets=args.allow_secrets or prefs["allow_secrets"],
        cache_limits=prefs["cache_limits"],
    )
    sink = stderr_sink(args.quiet)
    out: dict[str, Any] = {}
    try:
        conn = open_connection(args)
        plan = make_plan(conn, fn, options, sink=sink)
        out["plan"] = plan.to_json()
        if not args.json:
            print(plan.render())
        if args.dry_run:
            if args.json:
                print(json.dumps(out, indent=2))
            return 0 if not plan.problems else 2
        result = execute(conn, plan, sink=sink)
        out["result"] = result.to_json()
    except (DeployError, Cancelled) as exc:
        err = exc if isinstance(exc, DeployError) else DeployError(str(exc), kind="cancelled")
        if args.json:
            print(json.dumps({**out, **err.to_json()}, indent=2))
            args.json = False  # the JSON is out; the message still goes to stderr
        print_error(err, False)
        return exit_code(err)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(result.summary())
    return 0
