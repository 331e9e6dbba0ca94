-- The registry of validity rules (docs/QUALITY.md): one row per rule of validity_flags, with
-- its severity, a one-line explanation and the evidence it rests on. `error`: the score is wrong
-- or unusable as reported; `warning`: the score is doubtful; `info`: worth knowing, not a reason
-- to drop the score. The "exclude flagged scores" switch drops errors (exclude_flags=error) or
-- errors and warnings (exclude_flags=warning); info flags are never dropped.
-- @column rule: Rule code (validity_flags.rule).
-- @column severity: `error`, `warning` or `info`.
-- @column level: 1 error, 2 warning, 3 info (exclude_flags drops levels up to its own).
-- @column scope: What a flag points at: `entry` (one split and subset), `file`, `model`.
-- @column explanation: What the rule checks, in one line.
-- @column evidence: Where the rule comes from (an issue or a doc section).
with

rules (rule, severity, scope, explanation, evidence) as (
    values
    (
        'score_not_finite', 'error', 'entry',
        'The main score is NaN or infinite.',
        'https://github.com/embeddings-benchmark/mteb/issues/3030'
    ),
    (
        'score_out_of_range', 'error', 'entry',
        'A bounded metric (nDCG, MAP, recall, precision, MRR, hit rate @k, or a main score other '
        || 'than a correlation or p-MRR) lies outside [0, 1].',
        'https://github.com/embeddings-benchmark/mteb/issues/3030'
    ),
    (
        'main_score_mismatch', 'error', 'entry',
        'main_score differs from the value of the metric the task declares as its main one.',
        'docs/QUALITY.md §Tolerances'
    ),
    (
        'clustering_score_mismatch', 'error', 'entry',
        'A clustering main score differs from the mean of its own v_measures (one v-measure '
        || 'per clustering experiment), which is what mteb reports as the main score.',
        'docs/QUALITY.md §Tolerances'
    ),
    (
        'mrr_precision_at_1', 'error', 'entry',
        'MRR@1 and precision@1 differ by more than 0.1 (both are the share of queries whose '
        || 'first hit is relevant).',
        'https://github.com/embeddings-benchmark/mteb/issues/5228'
    ),
    (
        'recall_not_monotonic', 'error', 'entry',
        'A recall@k is lower than the recall at a smaller k of the same entry.',
        'docs/QUALITY.md §Tolerances'
    ),
    (
        'known_evaluator_bug', 'error', 'file',
        'The result was written by an mteb version with a known evaluator bug for the task '
        || '(known_evaluator_bugs).',
        'docs/QUALITY.md §Known evaluator bugs'
    ),
    (
        'conflicting_duplicates', 'error', 'entry',
        'The same (model, revision, task, split, subset) is reported several times with '
        || 'different main scores.',
        'docs/DATA.md §Entries'
    ),
    (
        'missing_model_revision', 'info', 'file',
        'The result has no model revision (`no_revision_available`, `external` or none).',
        'https://github.com/embeddings-benchmark/mteb/issues/3921'
    ),
    (
        'mixed_revisions', 'info', 'model',
        'The results a benchmark uses for this model come from several model revisions.',
        'https://github.com/embeddings-benchmark/mteb/issues/3928'
    ),
    (
        'dataset_revision_mismatch', 'info', 'file',
        'The result was computed on a dataset revision other than the one the task defines.',
        'docs/QUALITY.md §Rules'
    ),
    (
        'missing_splits', 'warning', 'file',
        'The file the leaderboard uses lacks (split, subset) pairs that the task evaluates.',
        'docs/SEMANTICS.md §Completeness'
    ),
    (
        'model_meta_mismatch', 'warning', 'model',
        'A model_meta.json disagrees with mteb''s model registry (embedding dimension, '
        || 'parameters, max tokens or release date).',
        'https://github.com/embeddings-benchmark/mteb/issues/2525'
    )
),

final as (
    select
        rule,
        severity,
        case severity when 'error' then 1 when 'warning' then 2 else 3 end as level,
        scope,
        explanation,
        evidence
    from rules
)

select * from final
