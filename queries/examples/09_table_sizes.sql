-- title: What is in this build? Tables and views with their row estimates and descriptions
select table_name as name, 'table' as kind, estimated_size as approx_rows, column_count, comment
from duckdb_tables()
where database_name = current_database() and not internal
union all
select view_name as name, 'view' as kind, null as approx_rows, column_count, comment
from duckdb_views()
where database_name = current_database() and not internal
order by kind, name
