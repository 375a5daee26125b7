"""`lambda-studio stack deploy|plan|delete|outputs|events|list`: the whole project as a CloudFormation stack."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.commands.deploy import aws_arguments, print_error, stderr_sink
from app.deploy.cache import deploy_cache_dir
from app.deploy.connection import Connection, connect
from app.deploy.errors import KIND_CONFLICT, KIND_INVALID, DeployError
from app.deploy.progress import Cancelled

NAME = "stack"
EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise DeployError(f"{what} takes KEY=VALUE pairs, not {item!r}.", "", KIND_INVALID)
        out[key] = value
    return out


PLAN_HELP = (
    "build locally, then show the review without changing the stack: CloudFormation makes a change set "
    "(for a new stack, an empty REVIEW_IN_PROGRESS stack), it is described, then both are deleted. No code "
    "is uploaded and no bucket made (only templates go to the artifacts bucket where CloudFormation needs "
    "them: one over 51,200 bytes, and nested applications' packaged templates). Unlike sam deploy --no-execute-changeset, no change set is left behind."
)


def register(sub: Any) -> None:
    p = sub.add_parser(NAME, help="deploy the whole project as a CloudFormation stack (review, events, outputs)",
                       description="Build, package and deploy a SAM project as a CloudFormation stack, with a "
                       "change-set review before anything changes (see docs/deploy.md, Stacks).")  # fmt: skip
    ssub = p.add_subparsers(dest="stack_command", metavar="ACTION", required=True)
    for name, helptext in (("deploy", "build, package, review and deploy the stack"),
                           ("plan", PLAN_HELP)):  # fmt: skip
        d = ssub.add_parser(name, parents=[aws_arguments()], help=helptext, description=helptext)
        d.add_argument("project", help="project folder, or its template file")
        d.add_argument("--stack-name", help="the stack (default: samconfig.toml's stack_name)")
        d.add_argument(
            "--config-env", default="default", help="samconfig.toml environment (default: default)"
        )
        d.add_argument("--parameter-overrides", nargs="+", metavar="K=V", help="template parameter values")
        d.add_argument("--s3-bucket", help="artifacts bucket (default: samconfig's, else a managed bucket)")
        d.add_argument("--s3-prefix", help="key prefix in the bucket (default: the stack name)")
        d.add_argument(
            "--capabilities", nargs="+", metavar="CAP", help="extra capabilities (needed ones are added)"
        )
        d.add_argument("--tags", nargs="+", metavar="K=V", help="stack tags")
        d.add_argument("--transform", choices=("service", "local"),
                       help="run the SAM transform in CloudFormation (service) or here (local); "
                       "default: local with --endpoint-url, else service")  # fmt: skip
        d.add_argument("--cache-dir", type=Path, help="where builds and installed requirements are cached")
        d.add_argument("--json", action="store_true", help="print the review (and result) as JSON")
        d.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
        if name == "deploy":
            d.add_argument("--yes", action="store_true", help="deploy without asking (a stack left in "
                           "ROLLBACK_COMPLETE is deleted and created again)")  # fmt: skip
            d.add_argument("--save-config", action="store_true", help="save the settings to samconfig.toml")
        d.set_defaults(func=run_deploy, plan_only=name == "plan")
    x = ssub.add_parser("delete", parents=[aws_arguments()], help="delete a stack (typed confirmation)")
    x.add_argument("name")
    x.add_argument("--yes", action="store_true", help="delete without asking")
    x.add_argument("--json", action="store_true")
    x.set_defaults(func=run_delete)
    o = ssub.add_parser("outputs", parents=[aws_arguments()], help="the stack's outputs and API endpoints")
    o.add_argument("name")
    o.add_argument("--json", action="store_true")
    o.set_defaults(func=run_outputs)
    e = ssub.add_parser("events", parents=[aws_arguments()], help="the stack's recent events, newest first")
    e.add_argument("name")
    e.add_argument("--follow", action="store_true", help="keep printing new events until the stack settles")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=run_events)
    ls = ssub.add_parser("list", parents=[aws_arguments()], help="the stacks of the account and region")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)


def _ask(question: str) -> str:
    if not sys.stdin.isatty():
        return ""
    try:
        return input(question)
    except EOFError:
        return ""


def _fail(exc: DeployError | Cancelled, as_json: bool, extra: dict[str, Any] | None = None) -> int:
    err = exc if isinstance(exc, DeployError) else DeployError(str(exc), kind="cancelled")
    if as_json:
        print(json.dumps({**(extra or {}), **err.to_json()}, indent=2))
    print_error(err, False)
    return EXIT_REFUSED if err.kind in ("credentials", "invalid", "limit", "not-found") else EXIT_FAILED


def _discard(conn: Connection, plan: Any) -> None:
    """Remove a change set that will not run (and the empty stack a first change set made)."""
    from app.deploy.stack.manage import discard_change_set

    review = plan.review
    if not discard_change_set(conn, plan.stack_name, review.change_set_id, review.change_set_type):
        print(f"lambda-studio: the change set {review.change_set_id} was left in place", file=sys.stderr)


def run_deploy(args: argparse.Namespace) -> int:
    from app.deploy.stack.manage import continue_update_rollback
    from app.deploy.stack.model import TRANSFORM_LOCAL, TRANSFORM_SERVICE, StackOptions
    from app.deploy.stack.operations import execute_plan, plan_stack
    from app.deploy.stack.samconfig import DeployConfig, save_deploy_config
    from app.project.loader import find_template

    plan_only: bool = args.plan_only
    yes = bool(getattr(args, "yes", False))
    out: dict[str, Any] = {}
    try:
        root = Path(args.project).expanduser()
        root = root if root.is_dir() or not root.exists() else root.parent
        if not root.is_dir() or find_template(root) is None:
            raise DeployError(
                f"{args.project}: no template.yaml there.", "Give the project folder.", KIND_INVALID
            )
        config = DeployConfig.load(root, args.config_env)
        stack_name = args.stack_name or config.stack_name
        if not stack_name:
            raise DeployError(
                "No stack name: give --stack-name, or set stack_name in samconfig.toml.", "", KIND_INVALID
            )
        overrides = {
            **config.parameter_overrides,
            **_pairs(args.parameter_overrides, "--parameter-overrides"),
        }
        tags = {**config.tags, **_pairs(args.tags, "--tags")}
        transform = args.transform or (TRANSFORM_LOCAL if args.endpoint_url else TRANSFORM_SERVICE)
        options = StackOptions(
            stack_name=stack_name, cache_dir=args.cache_dir or deploy_cache_dir(), config_env=args.config_env,
            parameter_overrides=overrides, s3_bucket=args.s3_bucket or config.s3_bucket,
            s3_prefix=args.s3_prefix or config.s3_prefix, capabilities=args.capabilities or config.capabilities,
            tags=tags, transform=transform, delete_failed=yes, upload_artifacts=not plan_only,
        )  # fmt: skip
        conn = connect(args.profile or config.profile, args.region or config.region, args.endpoint_url)
        sink = stderr_sink(args.quiet)
        try:
            plan = plan_stack(conn, root, options, sink=sink)
        except DeployError as exc:
            if exc.kind != KIND_CONFLICT or plan_only or args.json:
                raise
            status = (
                "ROLLBACK"
                if "ROLLBACK_COMPLETE" in exc.message or "first create failed" in exc.message
                else ""
            )
            print_error(exc, False)
            if (
                status
                and _ask(f"Delete the failed stack {stack_name} and deploy again? [y/N] ").lower() == "y"
            ):
                options.delete_failed = True
                plan = plan_stack(conn, root, options, sink=sink)
            elif (
                "UPDATE_ROLLBACK_FAILED" in exc.message
                and _ask("Continue the rollback now? [y/N] ").lower() == "y"
            ):
                result = continue_update_rollback(conn, stack_name, sink=sink)
                print(result.summary())
                return EXIT_OK if result.ok else EXIT_FAILED
            else:
                return EXIT_FAILED
        out["plan"] = plan.to_json()
        if not args.json:
            print(plan.review.render())
        if plan_only:
            _discard(conn, plan)
            if args.json:
                print(json.dumps(out["plan"], indent=2, default=str))
            return EXIT_OK
        if plan.review.no_changes:
            if args.json:
                print(json.dumps(out, indent=2, default=str))
            return EXIT_OK
        if (
            not yes and config.confirm_changeset is not False
        ):  # samconfig's confirm_changeset = false: no question
            if plan.review.dangerous:
                print(f"{len(plan.review.dangerous)} change(s) above lose data (marked !!).")
            if _ask("Deploy this change set? [y/N] ").lower() != "y":
                _discard(conn, plan)
                print("Not deployed (nothing changed). Use --yes to deploy without asking.", file=sys.stderr)
                return EXIT_OK
        result = execute_plan(conn, plan, sink=sink)
        out["result"] = result.to_json()
        if args.json:
            print(json.dumps(out, indent=2, default=str))
        else:
            print(result.summary())
        offer = result.ok and (args.save_config or (not config.exists and not yes and not args.json))
        question = f"Save these settings to samconfig.toml [{args.config_env}]? [y/N] "
        if offer and (args.save_config or _ask(question).lower() == "y"):
            config.stack_name, config.region = stack_name, args.region or config.region
            config.s3_bucket, config.parameter_overrides = options.s3_bucket, overrides
            config.capabilities = plan.prepared.capabilities
            config.tags, config.resolve_s3 = tags, not options.s3_bucket
            print(f"saved {save_deploy_config(root, config)}", file=sys.stderr)
        return EXIT_OK if result.ok else EXIT_FAILED
    except (DeployError, Cancelled) as exc:
        return _fail(exc, args.json, out)


def _connection(args: argparse.Namespace) -> Connection:
    return connect(args.profile, args.region, args.endpoint_url)


def run_delete(args: argparse.Namespace) -> int:
    from app.deploy.stack.manage import delete_stack, require_stack, stack_resources

    try:
        conn = _connection(args)
        require_stack(conn, args.name)
        resources = stack_resources(conn, args.name)
        gone = [r for r in resources if not r.retained]
        kept = [r for r in resources if r.retained]
        if not args.json:
            print(f"Deleting stack {args.name} deletes {len(gone)} resource(s):")
            for r in gone:
                print(f"  - {r.logical_id} ({r.resource_type}) {r.physical_id}")
            if kept:
                print(f"and keeps {len(kept)} (DeletionPolicy Retain):")
                for r in kept:
                    print(f"  = {r.logical_id} ({r.resource_type}) {r.physical_id}")
        if not args.yes and _ask(f"Type the stack name ({args.name}) to delete it: ").strip() != args.name:
            print("Not deleted.", file=sys.stderr)
            return EXIT_OK
        result = delete_stack(conn, args.name, sink=stderr_sink(args.json))
    except (DeployError, Cancelled) as exc:
        return _fail(exc, args.json)
    if args.json:
        print(json.dumps({**result.to_json(), "deleted": [r.to_json() for r in gone],
                          "retained": [r.to_json() for r in kept]}, indent=2))  # fmt: skip
    else:
        print(result.summary())
    return EXIT_OK if result.ok else EXIT_FAILED


def run_outputs(args: argparse.Namespace) -> int:
    from app.deploy.stack.events import api_endpoints, outputs_of
    from app.deploy.stack.manage import require_stack

    try:
        conn = _connection(args)
        stack = require_stack(conn, args.name)
        outputs, endpoints = outputs_of(stack), api_endpoints(conn, args.name)
    except DeployError as exc:
        return _fail(exc, args.json)
    if args.json:
        print(json.dumps({"outputs": [o.to_json() for o in outputs], "endpoints": endpoints}, indent=2))
    else:
        for o in outputs:
            print(f"{o.key}\t{o.value}" + (f"\t{o.description}" if o.description else ""))
        for url in endpoints:
            print(f"endpoint\t{url}")
    return EXIT_OK


def run_events(args: argparse.Namespace) -> int:
    from app.deploy.stack.events import FAILED_STATUSES, describe_stack, follow, recent_events

    try:
        conn = _connection(args)
        if describe_stack(conn, args.name) is None:
            raise DeployError(f"There is no stack named {args.name}.", "", "not-found")
        events = recent_events(conn, args.name, limit=50)
        for e in events:
            print(json.dumps(e.to_json()) if args.json else e.line())
        if args.follow:
            mark = events[0].timestamp if events else None

            def sink(progress: Any) -> None:
                event = getattr(progress, "event", None)
                if event is not None:
                    print(json.dumps(event.to_json()) if args.json else event.line(), flush=True)

            status, _, _ = follow(conn, args.name, since=mark, known={e.event_id for e in events}, sink=sink)
            return EXIT_FAILED if status in FAILED_STATUSES else EXIT_OK
    except (DeployError, Cancelled) as exc:
        return _fail(exc, args.json)
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    from app.deploy.stack.manage import list_stacks

    try:
        stacks = list_stacks(_connection(args))
    except DeployError as exc:
        return _fail(exc, args.json)
    if args.json:
        print(json.dumps([s.to_json() for s in stacks], indent=2))
    else:
        for s in stacks:
            print(f"{s.name}\t{s.status}\t{s.updated}")
    return EXIT_OK
