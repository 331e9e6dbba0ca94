-- title: Which models have results but no model_meta.json?
with result_folders as (
    select distinct model_folder, model_name from scores
),

meta_folders as (
    select distinct model_folder from model_meta
)

select r.model_name, r.model_folder
from result_folders as r
anti join meta_folders using (model_folder)
order by r.model_name
