"""Background jobs: created `pending` by long-running operations, `success` from the next read on.

The work itself is applied when the job is created, so state is consistent whenever a client
looks; the status progression only lets clients exercise their polling.
"""

from __future__ import annotations

from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import JOBS, Context
from instantly_mcp.sandbox.handlers.registry import handles
from instantly_mcp.sandbox.store import Entity
from instantly_mcp.sandbox.synth import new_object_id, render


def start_job(ctx: Context, job_type: str, entity_type: str, entity_id: str | None, data: dict[str, Any]) -> Entity:
    fields = {
        "id": new_object_id(),
        "user_id": ctx.workspace["owner"],
        "type": job_type,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "data": data,
        "progress": 0,
        "status": "pending",
    }
    return crud.create(ctx.store, ctx.resource("/api/v2/background-jobs"), fields, ctx.workspace_id)


def _advance(ctx: Context, job: Entity) -> Entity:
    if job["status"] in ("pending", "in-progress"):
        return crud.update(
            ctx.store, ctx.resource("/api/v2/background-jobs"), job, {"status": "success", "progress": 100}
        )
    return job


def _with_fields(job: Entity, data_fields: str | None) -> Entity:
    if not data_fields:
        return job
    wanted = {name.strip() for name in data_fields.split(",")}
    return {**job, "data": {k: v for k, v in (job.get("data") or {}).items() if k in wanted}}


@handles("getBackgroundJob")
def get_job(ctx: Context) -> Any:
    job = _advance(ctx, crud.find(ctx.store, ctx.resource("/api/v2/background-jobs"), ctx.params["id"]))
    return render(_with_fields(job, ctx.query.get("data_fields")), ctx.op.success_schema)


@handles("listBackgroundJob")
def list_jobs(ctx: Context) -> Any:
    resource = ctx.resource("/api/v2/background-jobs")
    jobs = [_advance(ctx, job) for job in ctx.store.all(JOBS)]
    query = dict(ctx.query)
    for name in ("included_ids", "excluded_ids"):
        if query.get(name):
            ids = set(query.pop(name).split(","))
            jobs = [j for j in jobs if (j["id"] in ids) == (name == "included_ids")]
    jobs = crud.filter_by_query(resource, jobs, query)
    if query.get("sort_column"):
        jobs.sort(key=lambda j: j.get(query["sort_column"]) or "", reverse=query.get("sort_order") == "desc")
        page = jobs[: int(query.get("limit") or crud.DEFAULT_LIMIT)]
        return crud.list_body(ctx, page, None)
    return crud.respond_list(ctx, resource, jobs, descending=query.get("sort_order") == "desc")
