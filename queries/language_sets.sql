-- @materialize
-- The distinct language lists of benchmark rows, with their ISO 639-3 codes: language filters
-- are evaluated here, on a few thousand lists, and joined to rows by language_set.
-- @column language_set: hash of the list (benchmark_results.language_set).
-- @column iso_codes: The list's languages without script, e.g. [eng, deu].
select distinct
    language_set,
    languages,
    list_distinct(list_transform(languages, lambda l: split_part(l, '-', 1))) as iso_codes
from benchmark_results
