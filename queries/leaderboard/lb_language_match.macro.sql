-- Whether a row's language set (a `language_sets.language_set` hash) holds one of the ISO 639-3
-- codes `langs`; every row matches when `langs` is NULL. The language filter of the leaderboard
-- macros (lb_long, lb_language_scores): one definition, inlined by DuckDB where it is used.
create or replace macro lb_language_match(set_hash, langs) as
langs is null
or set_hash in (
    select codes.language_set
    from (
        select language_set, unnest(iso_codes) as code
        from language_sets
    ) as codes
    where codes.code in (select unnest(langs))
);
