-- The /quality page's per-model counts: flags of each model by severity.
-- @column n_error: Error flags of the model.
-- @column n_warning: Warning flags.
-- @column n_info: Info flags.
select
    model_name,
    count(*) filter (where severity = 'error') as n_error,
    count(*) filter (where severity = 'warning') as n_warning,
    count(*) filter (where severity = 'info') as n_info
from validity_flags
group by model_name
order by n_error desc, n_warning desc, n_info desc, model_name asc
