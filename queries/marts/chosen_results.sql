-- @materialize per (model_name, task_name)
-- The result file the leaderboard uses for each (model, task), chosen among the model's revision
-- folders exactly as mteb's BenchmarkResults.join_revisions does: +1000 for the registry's main
-- revision, +100 when the file's mteb_version parses, +10 for a real revision (not NULL,
-- `external` or `no_revision_available`); highest priority first, then the newest mteb version.
-- Remaining ties (mteb keeps load order) go to the lexically first path, so builds are repeatable.
-- Stored per build (benchmark_results, the validity flags and the app's pages read it); an
-- incremental build recomputes the (model, task) pairs that changed. The order of the mteb
-- versions decides, not their rank among all versions, which a new version shifts: the rank is
-- not stored.
-- @column priority: The join_revisions priority (1000 + 100 + 10 at most).
with

result_files as (
    select distinct model_name, model_folder, revision, task_name, mteb_version, path, file_id
    from stg_scores
),

registry as (
    select name as model_name, revision as main_revision from model_registry
),

versions as (
    select mteb_version, version_rank from mteb_versions
),

prioritised as (
    select
        f.model_name,
        f.model_folder,
        f.task_name,
        f.revision,
        f.mteb_version,
        f.path,
        f.file_id,
        v.version_rank,
        (case when f.revision = r.main_revision then 1000 else 0 end)
        + (case when v.version_rank is not null then 100 else 0 end)
        + (case
            when
                f.revision is null
                or f.revision in ('external', 'no_revision_available') then 0
            else 10
        end)
            as priority
    from result_files as f
    left join registry as r using (model_name)
    left join versions as v using (mteb_version)
),

final as (
    select *
    from prioritised
    qualify row_number() over (
        partition by model_name, task_name
        order by priority desc, version_rank desc nulls last, path asc
    ) = 1
)

select * exclude (version_rank) from final
