"""What the Local cloud dock's buttons do: one action on the local cloud, or on the AWS account after a confirmation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from widgets.local_cloud_views import BucketsView, PublishView, QueuesView, SchedulesView, TablesView

LOCAL, ACCOUNT = "local", "account"


def inspect_module() -> Any:
    """app.local.inspect, imported on first use: it pulls in boto3, which the window's start-up does not need."""
    from app.local import inspect

    return inspect


def account_module() -> Any:
    """app.local.account, imported on first use (boto3)."""
    from app.local import account

    return account


class DockActions:
    """Connects the views' requests to jobs: `local(cloud)` or, in the account view, `remote(conn, confirm)`."""

    def __init__(self, controller: Any) -> None:
        self.controller = (
            controller  # widgets.local_cloud_dock.LocalCloudController (act, act_account, source)
        )

    def run(
        self,
        what: str,
        local: Callable[[Any], object] | None,
        remote: Callable[[Any, Callable[[str], bool]], object] | None,
        done: str,
    ) -> None:
        c = self.controller
        if c.source == ACCOUNT and remote is not None:
            c.act_account(what, remote, f"{done} (AWS)")
        elif c.source == LOCAL and local is not None:
            c.act(what, local, done)

    def wire(
        self,
        queues: QueuesView,
        buckets: BucketsView,
        tables: TablesView,
        publish: PublishView,
        schedules: SchedulesView,
    ) -> None:
        i, a = inspect_module, account_module
        queues.send_requested.connect(
            lambda q, body: self.run(
                "send",
                lambda cloud: i().send_message(cloud, q, body),
                lambda conn, ok: a().send_message(conn, q, body, ok),
                f"Sent to {q}",
            )
        )
        queues.purge_requested.connect(
            lambda q: self.run(
                "purge",
                lambda cloud: i().purge_queue(cloud, q),
                lambda conn, ok: a().purge_queue(conn, q, ok),
                f"Purged {q}",
            )
        )
        buckets.upload_requested.connect(
            lambda b, key, data: self.run(
                "upload",
                lambda cloud: i().upload(cloud, b, key, data),
                lambda conn, ok: a().upload(conn, b, key, data, ok),
                f"Uploaded {key} to {b}",
            )
        )
        buckets.download_requested.connect(
            lambda b, key, path: self.run(
                "download",
                lambda cloud: i().download(cloud, b, key, Path(path)),
                lambda conn, _ok: a().download(conn, b, key, Path(path)),  # a read: nothing to confirm
                f"Saved {key} to {path}",
            )
        )
        buckets.delete_requested.connect(
            lambda b, key: self.run(
                "delete object",
                lambda cloud: i().delete_object(cloud, b, key),
                lambda conn, ok: a().delete_object(conn, b, key, ok),
                f"Deleted {key} from {b}",
            )
        )
        tables.put_requested.connect(
            lambda t, text: self.run(
                "put item",
                lambda cloud: i().put_item(cloud, t, text),
                lambda conn, ok: a().put_item(conn, t, text, ok),
                f"Item put into {t}",
            )
        )
        tables.delete_requested.connect(
            lambda t, text: self.run(
                "delete item",
                lambda cloud: i().delete_item(cloud, t, text),
                lambda conn, ok: a().delete_item(conn, t, text, ok),
                f"Item deleted from {t}",
            )
        )
        publish.publish_requested.connect(
            lambda kind, target, text: self.run(
                "publish" if kind == "topic" else "put event",
                (lambda cloud: i().publish(cloud, target, text))
                if kind == "topic"
                else (lambda cloud: i().put_event(cloud, target, text)),
                None,  # topics and buses: the local cloud's only
                f"Published to {target}" if kind == "topic" else f"Event put on {target}",
            )
        )
        schedules.fire_requested.connect(
            lambda name: self.run("fire", lambda cloud: i().fire_now(cloud, name), None, f"Fired {name}")
        )
