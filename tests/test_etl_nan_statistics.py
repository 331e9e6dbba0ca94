"""NaN values stay findable in the Parquet the ETL writes.

pyarrow leaves NaN out of a column's min/max statistics, and DuckDB 2.0.1 prunes row groups with
them for `isnan(x)`, so `WHERE isnan(value)` found nothing while `count(*) FILTER (WHERE
isnan(value))` found every NaN. The ETL therefore writes float columns without statistics.
"""

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from etl.segments import write_parquet


def test_isnan_filter_finds_nan_rows(tmp_path):
    table = pa.table({"entry_id": pa.array(range(3000), pa.int64()),
                      "value": [0.5, float("nan"), 0.7] * 1000,
                      "values": [[0.1, float("nan")]] * 3000})
    path = tmp_path / "t.parquet"
    write_parquet(table, path)
    con = duckdb.connect()
    assert con.execute("SELECT count(*) FROM read_parquet(?) WHERE isnan(value)",
                       [str(path)]).fetchone() == (1000,)
    assert con.execute("SELECT count(*) FROM read_parquet(?) WHERE value > 0.6",
                       [str(path)]).fetchone() == (2000,)  # DuckDB orders NaN above all numbers
    stats = pq.ParquetFile(path).metadata.row_group(0)
    assert stats.column(0).statistics.has_min_max      # integer columns keep their statistics
    assert not stats.column(1).is_stats_set            # float columns carry none
