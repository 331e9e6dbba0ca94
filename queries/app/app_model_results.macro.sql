-- The dashboard's model page results: one row per result file of the model (one task in one
-- revision folder), with its provenance (revision folder, mteb version, dataset revision, source
-- path, content hash) and whether the leaderboards use it (`chosen_results`). The score is the
-- mean main score over every entry of the file (all splits and subsets, 0-100 scale); the
-- leaderboards may average fewer subsets (those their benchmark declares).
create or replace macro app_model_results(model) as table
    with

    entries as (
        select
            task_name, path, revision_folder, revision, experiment, mteb_version,
            dataset_revision, content_hash, split, subset, date,
            case when isnan(main_score) then null else main_score end as score
        from scores
        where model_name = model
    ),

    files as (
        select
            task_name,
            path,
            any_value(revision_folder) as revision_folder,
            any_value(revision) as revision,
            any_value(experiment) as experiment,
            any_value(mteb_version) as mteb_version,
            any_value(dataset_revision) as dataset_revision,
            any_value(content_hash) as content_hash,
            max(date) as date,
            avg(score) * 100 as score,
            count(*) as n_entries,
            string_agg(distinct split, ', ' order by split) as splits,
            count(distinct subset) as n_subsets
        from entries
        group by task_name, path
    ),

    chosen as (
        select path from chosen_results
        where model_name = model
    ),

    final as (
        select
            f.task_name,
            t.type as task_type,
            t.main_score as metric,
            f.score,
            f.n_entries,
            f.splits,
            f.n_subsets,
            f.path in (select path from chosen) as used_by_leaderboard,
            f.revision_folder,
            f.revision,
            f.experiment,
            f.mteb_version,
            f.dataset_revision,
            f.date,
            f.path,
            f.content_hash
        from files as f
        left join tasks as t on f.task_name = t.name
    )

    select * from final
    order by task_type asc nulls last, task_name asc, used_by_leaderboard desc, path asc
