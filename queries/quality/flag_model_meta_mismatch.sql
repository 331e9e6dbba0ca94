-- Validity rule model_meta_mismatch (quality_rules): a model_meta.json of a registered model
-- that disagrees with mteb's registry on the embedding dimension, the parameter count, the
-- maximum tokens or the release date (fields missing on either side are not compared; parameter
-- counts only when they differ by more than 5%, docs/QUALITY.md §Tolerances). One flag per file
-- and field.
-- @column rule: Rule code.
-- @column message: The field, the file's value and the registry's.
-- @column value: The file's value (NULL for the release date).
with

registry as (
    select
        name,
        cast(lb_embed_dim as double) as embed_dim,
        cast(n_parameters as double) as n_parameters,
        cast(lb_max_tokens as double) as max_tokens, release_date
    from model_registry
),

meta as (
    select path, name, revision, embed_dim, n_parameters, max_tokens, release_date
    from model_meta
    where experiment is null
),

fields as (
    select
        m.path, m.name as model_name, m.revision, f.field, f.file_value, f.registry_value,
        f.file_text, f.registry_text
    from meta as m
    join registry as r using (name)
    cross join lateral (
        values
        ('embed_dim', m.embed_dim, r.embed_dim, null, null),
        ('n_parameters', m.n_parameters, r.n_parameters, null, null),
        ('max_tokens', m.max_tokens, r.max_tokens, null, null),
        ('release_date', null, null, m.release_date, r.release_date)
    ) as f (field, file_value, registry_value, file_text, registry_text)
),

final as (
    select
        'model_meta_mismatch' as rule,
        model_name, revision,
        cast(null as varchar) as task_name,
        cast(null as varchar) as split,
        cast(null as varchar) as subset,
        cast(null as varchar) as benchmark,
        path,
        cast(null as bigint) as entry_id,
        field || ': ' || coalesce(cast(file_value as varchar), file_text) || ' in the file, '
        || coalesce(cast(registry_value as varchar), registry_text) || ' in the registry'
            as message,
        file_value as value
    from fields
    where
        (
            file_value is not null and registry_value is not null and not isinf(file_value)
            and (
                (field <> 'n_parameters' and file_value <> registry_value)
                -- stated sizes are rounded (7.11B): only a difference above 5% counts
                or abs(file_value - registry_value) > 0.05 * greatest(file_value, registry_value)
            )
        )
        or (file_text is not null and registry_text is not null and file_text <> registry_text)
)

select * from final
