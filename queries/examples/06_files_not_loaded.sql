-- title: Which result files were quarantined or skipped, and why?
select status, reason, count(*) as n_files, min(path) as example_path
from files
where status <> 'loaded'
group by status, reason
order by n_files desc, status asc, reason asc
