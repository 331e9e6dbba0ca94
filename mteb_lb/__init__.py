"""The MTEB leaderboard as a warehouse: ETL, SQL rankings, statistics, CLI and the dashboard."""
