-- lb_language_scores for a state without the "exclude flagged scores" switch, over
-- benchmark_language_keyed (lb_language_scores_of: the one definition): the same means, the
-- rows summed in mteb's frame order over the table's integer sort key (one number per row
-- instead of revision, task and entry: the sort that was most of the per-language table's cost
-- under a task or language filter). Equal, bit for bit, to lb_language_scores with no
-- exclusion. `keyed` names the table (benchmark_language_keyed) and `lists`
-- language_score_lists, whose (model, language, revision, task) groups are the keyed rows'
-- (the pairs a registry or task filter drops a row of are found there, a sixteenth of the
-- rows): bound when called, so the macro exists where the tables do not (a past date's schema,
-- warehouse.TODAY_ONLY_TABLES), and a call there fails instead.
create or replace macro lb_language_scores_keyed(
    keyed, lists, bench, models, tasks, langs, langview, registry_only
) as table
    from lb_language_scores_of(keyed, lists, bench, models, tasks, langs, langview, registry_only)
