-- The dashboard's status page: every file of the results repository the build did not load
-- (quarantined or skipped), with the reason.
-- @column path: File path relative to the results repository root.
-- @column kind: `result`, `model_meta` or `other`.
-- @column status: `quarantined` or `skipped`.
-- @column reason: Why the file was not loaded.
select path, kind, status, reason, size
from files
where status <> 'loaded'
