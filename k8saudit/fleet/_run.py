"""Running a fleet audit on Dask: one task per cluster, results gathered as they finish.

``client=None`` starts a :class:`distributed.LocalCluster` of worker processes for the run and
closes it afterwards; a :class:`distributed.Client` (or a scheduler address such as
``tcp://scheduler:8786``) runs on the user's own Dask cluster, which is left running.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from ..snapshot import SnapshotError
from . import _progress
from ._fleet import Fleet
from ._sources import ClusterSource, SourceLike, resolve
from ._task import AuditOptions, ClusterResult, audit_cluster, failure_result, read_source

if TYPE_CHECKING:
    from distributed import Client, Future


def audit(
    sources: Iterable[SourceLike] | Mapping[str, SourceLike] | SourceLike = (),
    client: Client | str | None = None,
    lazy: bool = False,
    *,
    all_contexts: bool = False,
    kubeconfig: str | os.PathLike[str] | None = None,
    namespaces: Iterable[str] | None = None,
    read_on: Literal["workers", "client"] = "workers",
    workers: int | None = None,
    retries: int = 2,
    progress: bool | _progress.Callback | _progress.Progress | None = None,
    cluster_options: Mapping[str, Any] | None = None,
    practices: list[int] | None = None,
    checks: list[str] | None = None,
    waivers: Any = None,
    default_exemptions: bool = True,
    config: dict[str, Any] | str | None = None,
    timeout: float = 30,
) -> Fleet:
    """Audit many clusters at once on Dask: one task per cluster, only results travel back.

    ``sources``: paths (saved snapshots, manifests, dumps), globs (``snapshots/edge-*``),
    ``context:NAME`` (read on the worker: the workers need the kubeconfig and its credentials),
    :class:`~k8saudit.snapshot.Snapshot` objects, ``"sample"`` (the bundled fleet), or a mapping
    ``{name: source}``; ``all_contexts=True`` adds every context of the kubeconfig.

    ``client``: ``None`` starts a LocalCluster of ``workers`` processes (one thread each;
    ``cluster_options`` go to :class:`distributed.LocalCluster`) and closes it at the end; a
    :class:`distributed.Client` or a scheduler address uses that cluster.

    ``read_on="client"`` reads each source here and ships the snapshot to a worker (for workers
    without credentials or without the files); by default the workers read.

    A cluster that cannot be read, or whose task still fails after ``retries`` (Dask also reruns
    a task whose worker died), is a row of ``fleet.failures`` and its checks are not assessable;
    the others are audited. ``lazy=True`` leaves the findings on the workers as a dask DataFrame
    (``fleet.findings``); the small frames come back either way. The remaining keywords are
    those of :func:`k8saudit.audit`.
    """
    from ..findings import load_waivers

    srcs = resolve(sources, all_contexts=all_contexts, kubeconfig=kubeconfig, namespaces=namespaces)
    if isinstance(waivers, (str, os.PathLike)):
        waivers = load_waivers(waivers)  # a bad file is the user's error, before any worker starts
    from ..findings import check_config, check_selection, load_config

    # a bad config, practice or check id is the user's error, before any worker starts
    practices, checks = check_selection(practices, checks)
    config = load_config(config) if isinstance(config, (str, os.PathLike)) else config
    if config is not None:
        check_config(config)
    opts = AuditOptions(
        practices=practices,
        checks=checks,
        waivers=waivers,
        default_exemptions=default_exemptions,
        config=config,
        timeout=timeout,
    )
    if read_on not in ("workers", "client"):
        raise ValueError(f"read_on must be 'workers' or 'client', not {read_on!r}")
    bar = _progress.choose(progress)
    stack = contextlib.ExitStack()
    try:
        dask_client = stack.enter_context(_client(client, workers, cluster_options))
        fleet = _run(dask_client, srcs, opts, lazy=lazy, read_on=read_on, retries=retries, bar=bar)
    except BaseException:
        stack.close()
        raise
    if lazy and client is None:
        fleet._resources = stack  # the findings live on this LocalCluster until fleet.close()
    else:
        stack.close()
    return fleet


@contextlib.contextmanager
def _client(
    client: Client | str | None, workers: int | None, cluster_options: Mapping[str, Any] | None
) -> Iterator[Client]:
    from distributed import Client, LocalCluster

    if isinstance(client, Client):
        yield client
        return
    if isinstance(client, str):
        with Client(client) as c:
            yield c
        return
    if client is not None:
        raise TypeError(
            f"client must be None, a distributed.Client or a scheduler address, not {type(client).__name__}"
        )
    n = workers or max(1, min(os.cpu_count() or 1, 4))
    options: dict[str, Any] = {
        "n_workers": n,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,
        "silence_logs": logging.CRITICAL,
    }
    if not {"dashboard_address", "scheduler_kwargs"} & set(cluster_options or {}):
        # no dashboard, and the scheduler's HTTP endpoint on a free loopback port, not 8787 on every interface
        options["scheduler_kwargs"] = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
    options.update(cluster_options or {})
    with LocalCluster(**options) as cluster, Client(cluster) as c:
        yield c


def _run(
    client: Client,
    srcs: list[ClusterSource],
    opts: AuditOptions,
    *,
    lazy: bool,
    read_on: str,
    retries: int,
    bar: _progress.Progress,
) -> Fleet:
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]
    futures: dict[str, Future] = {}
    pre: dict[str, ClusterResult] = {}  # clusters the client could not even read (read_on="client")
    for src in srcs:
        payload = src.snapshot
        if payload is None and read_on == "client":
            try:
                payload = read_source(src)
            except SnapshotError as e:
                pre[src.cluster] = failure_result(src, opts, "read", "SnapshotError", str(e))
                continue
        task_src = dataclasses.replace(src, snapshot=None)
        args: list[Any] = [task_src, opts]
        if payload is not None:
            [data] = client.scatter([payload], hash=False)  # straight to a worker; nothing kept here
            args.append(data)
        futures[src.cluster] = client.submit(
            audit_cluster, *args, key=f"audit-{_key(src.cluster)}-{run}", retries=retries, pure=False
        )
    results: dict[str, ClusterResult] = dict(pre)
    findings_futures: dict[str, Future] = {}
    if lazy:  # the findings stay on the workers; the small frames come here
        for name, fut in futures.items():
            findings_futures[name] = client.submit(_findings_of, fut, key=f"findings-{_key(name)}-{run}", pure=False)
        small = {
            client.submit(_without_findings, fut, key=f"result-{_key(n)}-{run}", pure=False): n
            for n, fut in futures.items()
        }
    else:
        small = {fut: n for n, fut in futures.items()}
    total = len(srcs)
    bar.start(list(small), total)
    done = len(pre)
    by_name = {s.cluster: s for s in srcs}
    for fut in as_completed(list(small)):
        name = small.pop(fut)
        try:
            result = fut.result()
        except Exception as e:  # still failing after Dask's retries, or its worker kept dying
            result = _failure(by_name[name], opts, e)
            findings_futures.pop(name, None)
        results[name] = result
        done += 1
        bar.update(done, total, result)
        fut.release()
    bar.finish(done, total)
    ordered = [results[s.cluster] for s in srcs]
    if lazy:
        # clusters without a findings future (failed) contribute their (empty) findings from here
        return Fleet.from_results(ordered, lazy_findings=[findings_futures.get(r.cluster) for r in ordered])
    return Fleet.from_results(ordered)


def _findings_of(result: ClusterResult) -> Any:
    return result.findings


def _without_findings(result: ClusterResult) -> ClusterResult:
    return dataclasses.replace(result, findings=result.findings.iloc[0:0])


def _failure(src: ClusterSource, opts: AuditOptions, e: BaseException) -> ClusterResult:
    from distributed import KilledWorker

    if isinstance(e, KilledWorker):
        return failure_result(
            src,
            opts,
            "worker",
            "KilledWorker",
            "the workers running this cluster's task died repeatedly (out of memory?)",
        )
    from ..sources.errors import describe_error

    reason = describe_error(e) or f"{type(e).__name__}: {e}"
    return failure_result(src, opts, "audit", type(e).__name__, reason)


def _key(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
