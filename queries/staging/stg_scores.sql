-- Result entries as the rankings read them (staging: renames and casts only). Experiments are left
-- out, as the official leaderboard leaves them out; a NaN main score reads as NULL, as it does
-- once mteb's frame goes through polars.
-- @column score: The entry's main score on the 0-1 scale; NULL for NaN or a missing score.
select
    entry_id,
    file_id,
    entry_no,
    model_name,
    revision,
    model_folder,
    revision_folder,
    task_name,
    split,
    subset,
    languages,
    case when isnan(main_score) then null else main_score end as score,
    mteb_version,
    path
from scores
where experiment is null
