-- @materialize
-- Every model that appears in the leaderboards: mteb's model registry (what the official
-- leaderboard shows) and, for models with results that the registry lacks, their model_meta.json.
-- Source rule: a registered model takes every field from the registry; an unregistered one from
-- its model_meta.json in a SHA revision folder if any, else the one with the newest release
-- date (then the first path), because folders of one model disagree
-- (docs/DATA.md §Model metadata).
-- @column name: Model name (`org/name`).
-- @column in_registry: True when mteb's registry has the model (the official leaderboard shows
--   only these).
-- @column source: `registry` or `model_meta.json`.
-- @column total_params_b: Total parameters in billions, rounded to 1M as the leaderboard shows
--   them.
-- @column active_params_b: Active parameters in billions (the leaderboard's "Active Parameters
--   (B)").
-- @column training_known: False when the model's training data is unknown (zero-shot shown as NA).
with

registry as (
    select
        name, revision, folder, true as in_registry, 'registry' as source,
        release_date, n_parameters, n_active_parameters, memory_usage_mb,
        lb_total_params_b as total_params_b, lb_active_params_b as active_params_b,
        lb_embed_dim as embed_dim, lb_max_tokens as max_tokens, license, open_weights,
        framework, modalities, model_type, use_instructions, reference, adapted_from,
        training_datasets, training_datasets_closure is not null as training_known
    from model_registry
),

meta_candidates as (
    select *
    from model_meta
    where experiment is null and name not in (select name from registry)
    qualify row_number() over (
        partition by name
        order by
            regexp_full_match(revision_folder, '[0-9a-f]{40}') desc,
            release_date desc nulls last, path asc
    ) = 1
),

filled as (
    select
        name, revision, model_folder as folder, false as in_registry,
        'model_meta.json' as source, release_date,
        cast(n_parameters as bigint) as n_parameters, cast(null as bigint) as n_active_parameters,
        memory_usage_mb,
        round(n_parameters / 1e9, 3) as total_params_b,
        cast(null as double) as active_params_b,
        cast(embed_dim as bigint) as embed_dim,
        case when isinf(max_tokens) then null else cast(max_tokens as bigint) end as max_tokens,
        license, open_weights, framework, modalities, model_type, use_instructions, reference,
        adapted_from, training_datasets, training_datasets is not null as training_known
    from meta_candidates
),

final as (
    select * from registry
    union all by name
    select * from filled
)

select * from final
