-- The /quality page's rule table: every rule of quality_rules with how many flags it raised in
-- this build and on how many models.
-- @column n_flags: Flags of the rule.
-- @column n_models: Distinct models with such a flag.
with

counts as (
    select rule, count(*) as n_flags, count(distinct model_name) as n_models
    from validity_flags
    group by rule
),

final as (
    select
        r.rule, r.severity, r.level, r.scope, r.explanation, r.evidence,
        coalesce(c.n_flags, 0) as n_flags,
        coalesce(c.n_models, 0) as n_models
    from quality_rules as r
    left join counts as c using (rule)
)

select * from final
order by level, rule
