-- title: Which open model under 500M parameters is best on Retrieval in German?
-- Mean main score over the German (deu-Latn) subsets of every Retrieval task a model ran,
-- for models with open weights and fewer than 500M parameters in mteb's registry. Models that
-- ran more of these tasks come first, so means over different task sets are not mixed up.
with german_retrieval as (
    select s.model_name, s.task_name, avg(s.main_score) as score
    from scores as s
    join tasks as t on s.task_name = t.name
    where
        t.type = 'Retrieval'
        and list_contains(s.languages, 'deu-Latn')
        and s.experiment is null
        and not isnan(s.main_score)
    group by s.model_name, s.task_name
),

small_open as (
    select name as model_name, n_parameters
    from model_registry
    where open_weights and n_parameters < 500e6
),

final as (
    select
        g.model_name,
        round(m.n_parameters / 1e6) as params_m,
        count(*) as n_tasks,
        round(avg(g.score), 4) as mean_score
    from german_retrieval as g
    join small_open as m using (model_name)
    group by g.model_name, m.n_parameters
)

select * from final
order by n_tasks desc, mean_score desc, model_name asc
limit 20
