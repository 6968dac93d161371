"""Pipelines, stages, and the records that must leave a stage before it goes (migrate_to)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
)
from hubspot.crm.pipelines import PipelineInput, PipelinePatchInput, PipelineStageInput

from crmconf.engine.changes import Change
from crmconf.errors import ProviderError
from crmconf_hubspot.apply_common import (
    TRANSIENT,
    context,
    item_ids,
)
from crmconf_hubspot.client import Client, Refused
from crmconf_hubspot.compile import Desired
from crmconf_hubspot.mapping import OBJECT_TYPES, PIPELINE_PROPERTIES, stage_metadata
from crmconf_hubspot.registry import PipelineRef, Registry, StageRef

BATCH = 100
SEARCH_PAGE = 200


class PipelineWrites:
    client: Client
    desired: Desired
    registry: Registry

    # --- pipelines --------------------------------------------------------------------------------

    def _pipeline_ref(self, address: str, change: Change) -> PipelineRef:
        ref = self.registry.pipelines.get(address)
        if ref is None:
            raise ProviderError(f"{address} is not in HubSpot (yet)", context=context(change))
        return ref

    def _stage_input(self, obj: str, attrs: Mapping[str, Any]) -> PipelineStageInput:
        return PipelineStageInput(label=attrs["label"], display_order=int(attrs["position"]),
                                  metadata=stage_metadata(obj, attrs.get("probability"), attrs.get("outcome")))

    def _find_pipeline(self, obj: str, label: str) -> Any:
        pipelines = self.client.call(f"list {OBJECT_TYPES[obj]} pipelines", self.client.api("pipelines").get_all,
                                     OBJECT_TYPES[obj], idempotent=True).results
        return next((p for p in pipelines if p.label == label), None)

    def create_pipeline(self, change: Change) -> None:
        attrs = change.after or {}
        obj, label = str(attrs["object"]), str(attrs["label"])
        stages = sorted((r for r in self.desired.resources.values() if r.parent == change.address),
                        key=lambda r: int(r.attrs["position"]))
        if not stages:
            raise ProviderError("a HubSpot pipeline needs at least one stage", context=context(change))
        order = sum(1 for p in self.registry.pipelines.values() if p.obj == obj)
        body = PipelineInput(label=label, display_order=order,
                             stages=[self._stage_input(obj, s.attrs) for s in stages])
        api = self.client.api("pipelines")
        adopted = False
        try:
            created = self.client.write(
                f"create pipeline {label}",
                lambda: self.client.call(f"create pipeline {label}", api.create, OBJECT_TYPES[obj], body,
                                         idempotent=False),
                lambda: self._find_pipeline(obj, label))
        except Refused as exc:
            if exc.status != 409:
                raise
            # HubSpot refuses a second pipeline of one label: the one there (made since the plan, by another
            # apply) is the one we mean. Adopted, its stages are then each written (PUT) to the spec.
            created, adopted = self._find_pipeline(obj, label), True
            if created is None:
                raise
        self.registry.pipelines[change.address] = PipelineRef(created.id, obj, label)
        by_label = {s.label: s.id for s in created.stages or []}
        for stage in stages:
            if stage.attrs["label"] in by_label:
                self.registry.stages[stage.address] = StageRef(by_label[stage.attrs["label"]], change.address, obj,
                                                               str(stage.attrs["label"]), fresh=not adopted)

    def update_pipeline(self, change: Change) -> None:
        ref = self._pipeline_ref(change.address, change)
        label = str((change.after or {})["label"])
        # Setting a label twice is harmless, so a lost answer is simply sent again (PATCH, absolute value).
        self.client.write(
            f"relabel pipeline {ref.label}",
            lambda: self.client.call(f"relabel pipeline {ref.label}", self.client.api("pipelines").update,
                                     OBJECT_TYPES[ref.obj], ref.id, PipelinePatchInput(label=label), idempotent=False),
            lambda: self._find_pipeline(ref.obj, label))
        ref.label = label

    def delete_pipeline(self, change: Change) -> None:
        ref = self._pipeline_ref(change.address, change)
        flag = ("validate_deal_stage_usages_before_delete" if ref.obj == "deal"
                else "validate_references_before_delete")
        try:
            self.client.call(f"archive pipeline {ref.label}", self.client.api("pipelines").archive,
                             OBJECT_TYPES[ref.obj], ref.id, idempotent=True, **{flag: True})
        except Refused as exc:
            if exc.status != 404:
                raise
        self.registry.pipelines.pop(change.address, None)

    def replace_pipeline(self, change: Change) -> None:
        self.delete_pipeline(change)
        self.create_pipeline(change)

    # --- stages -----------------------------------------------------------------------------------

    def create_stage(self, change: Change) -> None:
        attrs = change.after or {}
        existing = self.registry.stages.get(change.address)
        if existing is not None:  # created with its pipeline moments ago (or adopted): nothing left to send
            if not existing.fresh:
                self.put_stage(change)
            return
        pipeline = self._pipeline_ref(str(change.parent), change)
        api = self.client.api("stages")
        body = self._stage_input(pipeline.obj, attrs)

        def landed() -> Any:
            stages = self.client.call(f"list stages of {pipeline.label}", api.get_all, OBJECT_TYPES[pipeline.obj],
                                      pipeline.id, idempotent=True).results
            return next((s for s in stages if s.label == attrs["label"]), None)

        try:
            created = self.client.write(
                f"create stage {attrs['label']}",
                lambda: self.client.call(f"create stage {attrs['label']}", api.create, OBJECT_TYPES[pipeline.obj],
                                         pipeline.id, body, idempotent=False),
                landed)
        except Refused:
            # Stage labels are unique within a pipeline: a stage of this label made since the plan (another
            # apply) is the one we mean; it is adopted and written (PUT) to the spec below.
            created = landed()
            if created is None:
                raise
            self.registry.stages[change.address] = StageRef(created.id, str(change.parent), pipeline.obj,
                                                            str(attrs["label"]))
            self.put_stage(change)
            return
        self.registry.stages[change.address] = StageRef(created.id, str(change.parent), pipeline.obj,
                                                        str(attrs["label"]))

    def put_stage(self, change: Change) -> None:
        """Replace (PUT) the whole stage: label, order and metadata; idempotent, so simply retried."""
        stage = self.registry.stages.get(change.address)
        if stage is None:
            raise ProviderError(f"{change.address} is not in HubSpot", context=context(change))
        pipeline = self.registry.pipelines[stage.pipeline]
        attrs = dict(change.after or {})
        if stage.display_order is not None and "position" not in {a.name for a in change.attrs}:
            # Not moved: keep HubSpot's displayOrder, which fetch counted on when it ranked the stages.
            attrs["position"] = stage.display_order
        self.client.call(f"replace stage {stage.label}", self.client.api("stages").replace,
                         OBJECT_TYPES[stage.obj], pipeline.id, stage.id, self._stage_input(stage.obj, attrs),
                         idempotent=True)
        stage.label = str(attrs["label"])
        stage.display_order = int(attrs["position"])

    def delete_stage(self, change: Change) -> None:
        stage = self.registry.stages.get(change.address)
        if stage is None:
            return  # already gone
        if change.parent not in self.desired.resources:
            return  # the whole pipeline is pruned: archiving it removes its stages
        pipeline = self.registry.pipelines[stage.pipeline]
        self._move_records(stage, pipeline, change)
        try:
            self.client.call(f"archive stage {stage.label}", self.client.api("stages").archive,
                             OBJECT_TYPES[stage.obj], pipeline.id, stage.id, idempotent=True)
        except Refused as exc:
            if exc.status != 404:
                raise
        self.registry.stages.pop(change.address, None)

    def _move_records(self, stage: StageRef, pipeline: PipelineRef, change: Change) -> None:
        """Every record in the stage moves to `migrate_to` first (HubSpot refuses to drop a stage in use).

        In chunks, never holding the whole stage: search the next records still in the stage (ids above
        the last chunk's, sorted by id, one page of 200: no query ever pages, so none meets HubSpot's
        10,000-result cap), move them (batch updates of 100), repeat. A failure leaves the rest in the
        stage, which stays; the next apply moves what is left."""
        pipe_prop, stage_prop = PIPELINE_PROPERTIES[stage.obj]
        target = self.registry.stages.get(change.migrate_to or "")
        cursor = "0"
        while True:
            ids = self._next_records(stage.obj, stage_prop, stage.id, cursor)
            if not ids:
                return
            if target is None:
                raise ProviderError(f"{'at least ' if len(ids) == SEARCH_PAGE else ''}{len(ids)} record(s) still sit "
                                    "in this stage and the spec names no stage to move them to (migrate_to)",
                                    context=context(change))
            values = {stage_prop: target.id, pipe_prop: self.registry.pipelines[target.pipeline].id}
            self._move(stage.obj, ids, values, target.label, change)
            cursor = ids[-1]

    def _next_records(self, obj: str, prop: str, value: str, after_id: str) -> list[str]:
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": prop, "operator": "EQ", "value": value},
                                        {"propertyName": "hs_object_id", "operator": "GT", "value": after_id}]}],
            sorts=[{"propertyName": "hs_object_id", "direction": "ASCENDING"}], properties=[prop], limit=SEARCH_PAGE)
        page = self.client.search(f"find {OBJECT_TYPES[obj]} in stage", OBJECT_TYPES[obj], request)
        return sorted((str(r.id) for r in page.results), key=int)

    def _move(self, obj: str, ids: list[str], values: dict[str, str], label: str, change: Change) -> None:
        obj_type = OBJECT_TYPES[obj]
        api = self.client.api("records")
        pending = list(ids)
        for _ in range(self.client.policy.max_attempts):
            if not pending:
                return
            failed: list[str] = []
            for start in range(0, len(pending), BATCH):
                chunk = pending[start:start + BATCH]
                batch = BatchInputSimplePublicObjectBatchInput(
                    inputs=[SimplePublicObjectBatchInput(id=rid, properties=values) for rid in chunk])
                # Setting the same stage twice changes nothing: safe to repeat.
                reply = self.client.call(f"move {len(chunk)} {obj_type} to {label}", api.update, obj_type,
                                         batch, idempotent=True)
                for error in getattr(reply, "errors", None) or []:  # only 207 answers carry errors
                    if error.category in TRANSIENT:
                        failed.extend(item_ids(error))
                    else:
                        raise ProviderError(f"moving records failed: {error.message} ({error.category})",
                                            context=context(change))
            pending = failed
        raise ProviderError(f"{len(pending)} record(s) could not be moved", context=context(change), retryable=True)
