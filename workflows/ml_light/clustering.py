"""cluster_gaveurs_async: K-Means of the gaveurs into five performance segments, written back on each gaveur."""

from __future__ import annotations

from temporalio import workflow

from workflows._history import record_history
from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.ml_light.clustering import StoreSegments, fit_gaveur_clusters, store_gaveur_segments
    from gaveurs.catalogue.ml import CLUSTERING
    from gaveurs.contracts.ml import ClusterGaveursInput, ClusterGaveursResult
    from workflows._options import CPU_SHORT, DB_WRITE, execute


@task_workflow(CLUSTERING)
class ClusterGaveursWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: ClusterGaveursInput) -> ClusterGaveursResult:
        self.stage("segmentation K-Means des gaveurs", 5, 85)
        clustering = await execute(fit_gaveur_clusters, params, CPU_SHORT)
        trained_at = workflow.now()

        self.stage("enregistrement des segments sur les gaveurs", 85)
        await execute(
            store_gaveur_segments, StoreSegments(segments=clustering.gaveurs, updated_at=trained_at), DB_WRITE
        )

        self.stage("enregistrement de l'historique", 95)
        result = ClusterGaveursResult(**dict(clustering), trained_at=trained_at)
        sizes = ", ".join(f"{c.label} {c.size}" for c in result.clusters)
        await record_history(
            CLUSTERING.name,
            engine="sklearn.KMeans",
            summary=f"{result.n_gaveurs} gaveurs : {sizes}",
            metrics={
                "silhouette_score": result.silhouette_score,
                "adjusted_rand_index": result.adjusted_rand_index,
                "planted_agreement": result.planted_agreement,
                "n_gaveurs": result.n_gaveurs,
                "n_excluded": len(result.excluded_gaveur_ids),
            },
            payload=result.model_dump(mode="json"),
            created_at=trained_at,
        )
        self.finish()
        return result
