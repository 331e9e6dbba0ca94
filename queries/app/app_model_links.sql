-- The dashboard's model links: each model's reference (model card or paper) for the external
-- link next to its name, and whether mteb's registry has it.
-- @column name: Model name (`org/name`).
-- @column reference: URL of the model card or paper; NULL when unknown.
-- @column in_registry: True when mteb's registry has the model.
select name, reference, in_registry
from models
