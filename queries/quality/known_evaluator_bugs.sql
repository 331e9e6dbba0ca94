-- Known evaluator bugs of mteb (docs/QUALITY.md §Known evaluator bugs): results of these tasks
-- written by an mteb version in [min_version, fixed_version) are flagged known_evaluator_bug.
-- A version is compared by its numeric release part (dev and range suffixes ignored; a range
-- counts by its lower end); a result without an mteb version is not flagged.
-- @column bug: Short name of the bug.
-- @column task_name: A task the bug affects.
-- @column min_version: First affected version (inclusive); NULL: every version before the fix.
-- @column fixed_version: First version without the bug (exclusive upper bound).
-- @column reference: Where the bug is described.
-- @column note: What it does to the scores.
with

bugs (bug, task_name, min_version, fixed_version, reference, note) as (
    values
    (
        'mrr_tie_breaking', 'WebLINXCandidatesReranking', null, '2.18.19',
        'https://github.com/embeddings-benchmark/mteb/issues/5092',
        'MRR broke score ties by insertion order: a constant scorer reaches MRR@10 = 1.0'
    ),
    (
        'mrr_tie_breaking', 'GermanQuAD-Retrieval', null, '2.18.19',
        'https://github.com/embeddings-benchmark/mteb/issues/5092',
        'MRR broke score ties by insertion order (main score mrr_at_5)'
    ),
    (
        'twitterhjerne_mrr_at_1', 'TwitterHjerneRetrieval', null, '1.18.1',
        'https://github.com/embeddings-benchmark/mteb/issues/5228',
        'MRR@1 far from precision@1; a re-run doubled the score (mteb <= 1.18.0)'
    )
),

final as (
    select
        bug, task_name, min_version, fixed_version, reference, note
    from bugs
)

select * from final
