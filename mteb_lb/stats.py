"""Rank intervals, pairwise odds and robustness of a leaderboard ranking (numpy only).

The inputs are the Borda points of every (model, partition) of a table, as the Borda rank sums
them (queries/lb_borda_points.macro.sql); `mteb_lb.rankings.Leaderboard` fetches them and calls
these functions. The definitions (also in the README, "Rank intervals and robustness"):

- one resample draws T partitions (tasks, or task::subset) with replacement: row b of an index
  matrix B x T drawn by ``numpy.random.default_rng(seed).integers(0, T, size=(B, T))``; a
  model's resampled points are the sum of its points over the drawn partitions (one drawn twice
  counts twice); its resampled rank is 1 + the number of models with strictly more points (every
  model the Borda rank ranks takes part, also those the table leaves out);
- the interval is the lower order statistic at the 2.5th percentile and the higher one at the
  97.5th percentile of a model's B resampled ranks: with the ranks sorted ascending and indexed
  from 0, indices floor(0.025 (B - 1)) and ceil(0.975 (B - 1)) (numpy's "lower" and "higher"
  percentile methods); for B = 1,000 the 25th and the 976th smallest;
- the median is numpy's median of the B ranks (the mean of the two middle ones when B is even);
  P(rank 1) is the share of resamples where the model's rank is 1 (ties at the top count);
- P(A above B) is the share of the same resamples where A has strictly more points than B.

No scipy at run time (it would add ~90 MB per process): the exact sign test, the chi-square and
studentized-range distributions below are computed with the standard library and numpy, and the
tests compare them with scipy and scikit-posthocs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from mteb_lb import arrow_np, lbstate

DEFAULT_SEED = 12          # fixed: the same state gives the same intervals everywhere
LOW_PERMILLE, HIGH_PERMILLE = 25, 975   # the interval's percentiles, in thousandths


@dataclass(frozen=True)
class BordaInputs:
    """Borda points of a table: models (sorted by name) x partitions (sorted by name)."""

    models: tuple[str, ...]
    partitions: tuple[str, ...]
    partition_tasks: tuple[str, ...]   # the task of each partition
    points: np.ndarray                 # float64, len(models) x len(partitions)
    in_table: np.ndarray               # bool per model: a row of the summary

    @classmethod
    def from_arrow(cls, rows: pa.Table) -> "BordaInputs":
        """From the rows of lb_borda_points, in any order (model_name, partition_key,
        task_name, points, in_table; one row per model x partition). Models and partitions
        are sorted by name (code points), so the matrix does not depend on the row order."""
        if rows.num_rows == 0:
            return cls.empty()
        models, m_idx = _indexed(rows.column("model_name").to_pylist())
        parts, p_idx = _indexed(rows.column("partition_key").to_pylist())
        if len(models) * len(parts) != rows.num_rows:
            raise ValueError("lb_borda_points rows are not a model x partition grid")
        matrix = np.zeros((len(models), len(parts)))
        matrix[m_idx, p_idx] = arrow_np.values(rows.column("points"))
        in_table = np.zeros(len(models), dtype=bool)
        in_table[m_idx] = arrow_np.values(rows.column("in_table"))
        tasks = np.empty(len(parts), dtype=object)
        tasks[p_idx] = rows.column("task_name").to_pylist()
        return cls(tuple(models), tuple(parts), tuple(tasks.tolist()), matrix, in_table)

    @classmethod
    def from_task_scores(cls, rows: pa.Table) -> "BordaInputs":
        """From the rows of lb_task_scores (model_name, task_name, raw_mean, in_pivot; one row
        per model x task it has rows on), for a benchmark ranked by task: the points lb_borda
        gives (lb_borda_points without its window and cross join, the request's fast path;
        tests/test_stats.py checks both give the same matrix). Within a task the non-null raw
        means rank descending, ties averaged: a model earns n - (rank() + peers up to it) / 2,
        n the number of in_pivot models; NaN ranks above every number, as DuckDB orders it."""
        if rows.num_rows == 0:
            return cls.empty()
        values, valid = arrow_np.numpy_of(rows.column("raw_mean"))
        models, m_idx = _indexed(rows.column("model_name").to_pylist())
        return cls._from_long(models, m_idx, rows.column("task_name").to_pylist(), values,
                              valid, arrow_np.values(rows.column("in_pivot")))

    @classmethod
    def _from_long(cls, models: list, m_idx: np.ndarray, task_names: list,
                   values: np.ndarray, valid: np.ndarray, in_pivot: np.ndarray
                   ) -> "BordaInputs":
        """from_task_scores of its rows as columns: the distinct model names sorted and each
        row's place among them, task names, raw means (numpy, anything where not `valid`) and
        in_pivot (bool)."""
        if not task_names:
            return cls.empty()
        parts, p_idx = _indexed(task_names)
        values = np.where(valid, values, 0.0)
        in_pivot = np.asarray(in_pivot, dtype=bool)
        in_table = np.zeros(len(models), dtype=bool)
        in_table[m_idx[in_pivot]] = True
        n = float(np.count_nonzero(in_table))
        # rank keys: NaN above +inf above every number (DuckDB's order), nulls dropped
        m_idx, p_idx, values = m_idx[valid], p_idx[valid], values[valid]
        nan = np.isnan(values)
        order = np.lexsort((-np.where(nan, 0.0, values), ~nan, p_idx))  # task, then best first
        p_s, v_s, nan_s = p_idx[order], values[order], nan[order]
        new_group = np.ones(len(order), dtype=bool)     # a partition or a value change
        new_group[1:] = (p_s[1:] != p_s[:-1]) | (nan_s[1:] != nan_s[:-1]) | (
            ~nan_s[1:] & (v_s[1:] != v_s[:-1]))
        new_part = np.ones(len(order), dtype=bool)
        new_part[1:] = p_s[1:] != p_s[:-1]
        pos = np.arange(len(order))
        part_start = np.maximum.accumulate(np.where(new_part, pos, 0))
        group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
        group_id = np.cumsum(new_group) - 1
        group_end = np.flatnonzero(np.r_[new_group[1:], True])[group_id]   # last peer
        first = group_start - part_start + 1                 # rank()
        last = group_end - part_start + 1                    # count(*) up to the last peer
        matrix = np.zeros((len(models), len(parts)))
        matrix[m_idx[order], p_s] = n - (first + last) / 2.0
        return cls(tuple(models), tuple(parts), tuple(parts), matrix, in_table)

    @classmethod
    def from_summary_frame(cls, frame: pa.Table) -> "BordaInputs | None":
        """From the summary's own frame (lb_summary's rows, lb_model_scores' columns), for a
        benchmark ranked by task: the rows of lb_task_scores the Borda rank ranks, rebuilt
        without a second query (a complete score is its raw mean: task_score_map; the raw means
        of incomplete scores: raw_mean_map; the models the table leaves out, on one row:
        outside_raw_means), then from_task_scores. None when the frame lacks those columns (a
        build made before them) or has no row (the SQL path answers)."""
        if frame.num_rows == 0 or not {"raw_mean_map", "outside_raw_means"} <= set(
                frame.column_names):
            return None
        names = frame.column("model_name").to_pylist()
        # each entry's model as a code into `candidates` (every name, sorted): the frame's
        # row of the entry, or its outside list's row (no name per entry)
        codes, task_names = [], []
        values, valid, in_pivot = [], [], []
        outside = []
        for chunk in arrow_np.chunks(frame.column("outside_raw_means")):
            if len(chunk):
                outside.append((chunk, chunk.values.field("model_name").to_pylist()))
        candidates, place = _sorted_places([*names, *(n for _, o in outside for n in o)])
        row_codes = _places(place, names)
        for column, pivot in (("task_score_map", True), ("raw_mean_map", True)):
            rows, keys, v, ok = arrow_np.map_entries(frame.column(column))
            codes.append(row_codes[rows])
            task_names.extend(keys)
            values.append(v)
            valid.append(ok)
            in_pivot.append(np.full(len(keys), pivot))
        for chunk, outside_names in outside:
            # one row's list of (model_name, raw_means): the entries of the list child's rows
            # that a non-NULL list of this chunk holds (ListArray.flatten imports
            # pyarrow.compute)
            offsets = arrow_np.values(chunk.offsets)
            held = np.zeros(len(chunk.values), dtype=bool)
            for i in np.flatnonzero(arrow_np.valid(chunk)).tolist():
                held[offsets[i]:offsets[i + 1]] = True
            rows, keys, v, ok = arrow_np.map_entries(chunk.values.field("raw_means"))
            keep = held[rows]
            codes.append(_places(place, outside_names)[rows[keep]])
            task_names.extend(k for k, kept in zip(keys, keep.tolist()) if kept)
            values.append(v[keep])
            valid.append(ok[keep])
            in_pivot.append(np.zeros(int(keep.sum()), dtype=bool))
        codes = np.concatenate(codes)
        has_entry = np.zeros(len(candidates), dtype=bool)   # the models: names with an entry
        has_entry[codes] = True
        return cls._from_long([candidates[i] for i in np.flatnonzero(has_entry).tolist()],
                              (np.cumsum(has_entry) - 1)[codes], task_names,
                              np.concatenate(values), np.concatenate(valid),
                              np.concatenate(in_pivot))

    @classmethod
    def empty(cls) -> "BordaInputs":
        return cls((), (), (), np.zeros((0, 0)), np.zeros(0, dtype=bool))


def _indexed(names: list) -> tuple[list, np.ndarray]:
    """The distinct names sorted (code points) and each name's place among them."""
    distinct, place = _sorted_places(names)
    return distinct, _places(place, names)


def _sorted_places(names) -> tuple[list, dict]:
    """The distinct names sorted (code points) and {name: its place among them}."""
    distinct = sorted(set(names))
    return distinct, {name: i for i, name in enumerate(distinct)}


def _places(place: dict, names: list) -> np.ndarray:
    return np.fromiter(map(place.__getitem__, names), dtype=np.int64, count=len(names))


def draw_indices(n_partitions: int, resamples: int, seed: int) -> np.ndarray:
    """The B x T matrix of drawn partition indices (the resamples)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_partitions, size=(resamples, n_partitions))


def weights(indices: np.ndarray, n_partitions: int) -> np.ndarray:
    """How often each resample drew each partition: B x T counts (float64)."""
    indices = np.asarray(indices, dtype=np.int64)
    b = indices.shape[0]
    flat = (indices + n_partitions * np.arange(b)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n_partitions).reshape(b, n_partitions).astype(float)


def _ranks_in_order(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the columns best first (argsort) and the rank of each of them in that order
    (1 + the number of columns with strictly more points: tied values share the best)."""
    n = points.shape[1]
    order = np.argsort(-points, axis=1)                       # best first, per row
    ordered = np.take_along_axis(points, order, axis=1)
    new = np.empty(ordered.shape, dtype=bool)                 # a value differing from the left
    new[:, :1] = True
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=new[:, 1:])
    places = np.arange(1, n + 1, dtype=np.int32 if n < 2**31 - 1 else np.int64)
    return order, np.maximum.accumulate(np.where(new, places, places.dtype.type(0)), axis=1)


def competition_ranks(points: np.ndarray) -> np.ndarray:
    """Per row, each column's rank: 1 + the number of columns with strictly more points."""
    points = np.atleast_2d(points)
    order, ranked = _ranks_in_order(points)
    ranks = np.empty(points.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, ranked, axis=1)
    return ranks


RANK_BLOCK = 128   # resamples ranked at a time: their temporaries stay in the CPU's cache


def rank_counts(blocks, m: int) -> np.ndarray:
    """M x (M + 1) counts: entry [i, r] = the number of resamples in which model i has rank r
    (competition_ranks), without the B x M rank matrix (a histogram). `blocks`: the B x M
    resampled totals as (rows, halves) blocks (resampled_totals). Whole B x M temporaries
    cost a page fault per 4 KB on each request (docs/PERFORMANCE.md §Session 21 (serve10))."""
    base = np.arange(m, dtype=np.int32 if m < 46000 else np.int64) * (m + 1)
    flat = []
    for totals, halves in blocks:
        order, ranked = _ranks_of_halves(totals) if halves else _ranks_in_order(totals)
        out = base[order]
        out += ranked
        flat.append(out.ravel())
    return np.bincount(np.concatenate(flat) if flat else base[:0],
                       minlength=m * (m + 1)).reshape(m, m + 1)


def _ranks_of_halves(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """_ranks_in_order of totals that are multiples of 1/2 below 2^22 in size: each total
    doubled (an exact integer below 2^23), negated and shifted left, its column in the low
    bits; one integer sort per row orders the columns best first (ties by column), and the
    high bits are the doubled totals again."""
    b, m = totals.shape
    bits = max(1, (m - 1).bit_length())
    keys = np.multiply(totals, np.float32(-(2 << bits)), dtype=np.float32).astype(np.int64)
    keys |= np.arange(m, dtype=np.int64)
    keys.sort(axis=1)
    order = keys & ((1 << bits) - 1)
    keys >>= bits
    new = np.empty((b, m), dtype=bool)                        # a value differing from the left
    new[:, :1] = True
    np.not_equal(keys[:, 1:], keys[:, :-1], out=new[:, 1:])
    places = np.arange(1, m + 1, dtype=np.int32 if m < 2**31 - 1 else np.int64)
    ranked = np.where(new, places, places.dtype.type(0))
    np.maximum.accumulate(ranked, axis=1, out=ranked)
    return order, ranked


def resampled_totals(indices: np.ndarray, points: np.ndarray):
    """The B x M resampled points (the B x T draw counts, weights(indices), times the M x T
    points), RANK_BLOCK resamples at a time, each block with whether its totals are exact
    multiples of 1/2: Borda points are multiples of 1/2, and when every total is below 2^22
    in size float32 sums them exactly (the same totals as float64, in about half the time);
    any other points are summed in float64."""
    t = points.shape[1]
    pts = np.ascontiguousarray(points.T)
    halves = bool(pts.size) and t * float(np.abs(pts).max()) < 2**22 and bool(
        np.array_equal(pts * 2, np.rint(pts * 2)))
    if halves:
        pts = pts.astype(np.float32)
    for start in range(0, len(indices), RANK_BLOCK):
        w = weights(indices[start:start + RANK_BLOCK], t)
        yield (w.astype(np.float32) if halves else w) @ pts, halves


def _kth_ranks(cumulative: np.ndarray, k: int) -> np.ndarray:
    """Per model, its k-th smallest rank (0-based) from the cumulative rank counts."""
    return np.argmax(cumulative > k, axis=1)


def order_statistic_indices(resamples: int) -> tuple[int, int]:
    """0-based indices of the interval's bounds among B sorted ranks (integer arithmetic)."""
    low = (LOW_PERMILLE * (resamples - 1)) // 1000
    high = -((-HIGH_PERMILLE * (resamples - 1)) // 1000)
    return low, high


@dataclass(frozen=True)
class Intervals:
    borda_rank: np.ndarray      # int, per model (all ones weights)
    low: np.ndarray | None      # None when B = 0
    high: np.ndarray | None
    median: np.ndarray | None
    p_rank1: np.ndarray | None


def rank_intervals(inputs: BordaInputs, resamples: int, seed: int = DEFAULT_SEED,
                   indices: np.ndarray | None = None) -> Intervals:
    """Rank intervals of every model of `inputs` (see the module docstring). `indices` replaces
    the drawn B x T matrix (tests: resamples worked out by hand)."""
    points = inputs.points
    borda = competition_ranks(points.sum(axis=1))[0] if len(inputs.models) else \
        np.zeros(0, dtype=np.int64)
    if indices is None:
        if resamples < 0:
            raise ValueError(f"resamples must be >= 0, not {resamples}")
        if resamples == 0 or not inputs.partitions:
            return Intervals(borda, None, None, None, None)
        indices = draw_indices(len(inputs.partitions), resamples, seed)
    # per model, its ranks' histogram
    counts = rank_counts(resampled_totals(indices, points), len(inputs.models))
    cumulative = np.cumsum(counts, axis=1)                    # the sorted ranks, as counts
    b = len(indices)
    low, high = order_statistic_indices(b)
    # numpy's median of the sorted ranks: the mean of the two middle ones
    median = (_kth_ranks(cumulative, (b - 1) // 2) + _kth_ranks(cumulative, b // 2)) / 2.0
    return Intervals(borda, _kth_ranks(cumulative, low), _kth_ranks(cumulative, high), median,
                     counts[:, 1] / b)


def p_above(inputs: BordaInputs, pairs: list[tuple[int, int]], resamples: int,
            seed: int = DEFAULT_SEED, indices: np.ndarray | None = None) -> list[float | None]:
    """For each (a, b) pair of model indices, the share of the resamples (the ones
    rank_intervals draws with the same seed) in which a has strictly more points than b."""
    if indices is None:
        if resamples == 0 or not inputs.partitions:
            return [None] * len(pairs)
        indices = draw_indices(len(inputs.partitions), resamples, seed)
    w = weights(indices, len(inputs.partitions))
    out = []
    for a, b in pairs:
        diff = w @ (inputs.points[a] - inputs.points[b])
        out.append(float((diff > 0).mean()))
    return out


def leave_one_task_out(inputs: BordaInputs) -> tuple[np.ndarray, np.ndarray]:
    """Per model, its best and worst Borda rank when any single task (all its partitions) is
    left out: the points of the other partitions, as the full table gives them, summed and
    ranked like Rank (Borda). With one task, both are the full rank."""
    tasks = sorted(set(inputs.partition_tasks))
    part_tasks = np.asarray(inputs.partition_tasks, dtype=object)
    if len(tasks) < 2:
        full = competition_ranks(inputs.points.sum(axis=1))[0]
        return full, full
    w = np.stack([(part_tasks != t).astype(float) for t in tasks])   # tasks x partitions
    ranks = competition_ranks(w @ inputs.points.T)
    return ranks.min(axis=0), ranks.max(axis=0)


# -- tests over tasks --------------------------------------------------------------------------

def sign_test(wins: int, losses: int) -> float | None:
    """Exact two-sided sign test (binomial, p = 1/2) of `wins` against `losses` (ties dropped):
    the probability of a split at least as uneven, min(1, 2 P(X <= min(wins, losses))) for
    X ~ Bin(wins + losses, 1/2); scipy.stats.binomtest gives the same. None when n = 0."""
    n = wins + losses
    if n == 0:
        return None
    k = min(wins, losses)
    if 2 * k == n:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1))
    return min(1.0, 2 * tail / 2 ** n)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..k along each row, ascending, ties averaged (scipy.stats.rankdata 'average')."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    out = np.empty(values.shape)
    for i, row in enumerate(values):
        order = np.argsort(row, kind="stable")
        sorted_row = row[order]
        starts = np.flatnonzero(np.r_[True, sorted_row[1:] != sorted_row[:-1]])
        ends = np.r_[starts[1:], len(row)]
        mean_rank = (starts + ends + 1) / 2.0            # (first + last) / 2, 1-based
        out[i, order] = np.repeat(mean_rank, ends - starts)
    return out


def kendall_tau_b(x, y) -> float | None:
    """Kendall's tau-b of two rankings of the same items (ties adjusted, as scipy's default):
    (concordant - discordant) / sqrt((n0 - ties in x) (n0 - ties in y)). None when undefined."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2:
        return None
    iu = np.triu_indices(len(x), 1)
    dx = np.sign(x[:, None] - x[None, :])[iu]
    dy = np.sign(y[:, None] - y[None, :])[iu]
    s = float((dx * dy).sum())
    denom = math.sqrt(float(np.count_nonzero(dx)) * float(np.count_nonzero(dy)))
    return None if denom == 0 else s / denom


def chi2_sf(x: float, df: int) -> float:
    """P(X > x) for X ~ chi-square with integer df (closed form of the incomplete gamma)."""
    if x <= 0:
        return 1.0
    h = x / 2.0
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for i in range(1, df // 2):
            term *= h / i
            total += term
        return math.exp(-h) * total
    total = math.erfc(math.sqrt(h))
    term = math.sqrt(h) * 2 / math.sqrt(math.pi)   # e^-h h^(1/2) / Gamma(3/2), e^-h applied below
    acc = 0.0
    for i in range(1, (df + 1) // 2):
        acc += term
        term *= h / (i + 0.5)
    return total + math.exp(-h) * acc


def friedman(matrix: np.ndarray) -> tuple[float, float]:
    """Friedman's chi-square over N blocks (rows: tasks) and k groups (columns: models), with
    the tie correction, and its p-value (chi-square, k - 1 df): scipy.stats.friedmanchisquare."""
    matrix = np.asarray(matrix, dtype=float)
    n, k = matrix.shape
    ranks = average_ranks(matrix)
    ssbn = float((ranks.sum(axis=0) ** 2).sum())
    ties = 0.0
    for row in matrix:
        _, counts = np.unique(row, return_counts=True)
        ties += float((counts ** 3 - counts).sum())
    c = 1 - ties / (k * (k * k - 1) * n)
    stat = (12.0 / (k * n * (k + 1)) * ssbn - 3 * n * (k + 1)) / c
    return stat, chi2_sf(stat, k - 1)


_GL_NODES, _GL_WEIGHTS = None, None


def _ndtr(x: np.ndarray) -> np.ndarray:
    return 0.5 * np.vectorize(math.erfc, otypes=[float])(-np.asarray(x) / math.sqrt(2.0))


def studentized_range_cdf(q, k: int) -> np.ndarray:
    """P(Q <= q) of the studentized range of k normal means with infinite degrees of freedom:
    k * integral phi(z) (Phi(z) - Phi(z - q))^(k-1) dz (Gauss-Legendre, 400 nodes on [-12, 12])."""
    global _GL_NODES, _GL_WEIGHTS
    if _GL_NODES is None:
        nodes, w = np.polynomial.legendre.leggauss(400)
        _GL_NODES, _GL_WEIGHTS = nodes * 12.0, w * 12.0
    z, w = _GL_NODES, _GL_WEIGHTS
    q = np.atleast_1d(np.asarray(q, dtype=float))
    phi = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    big_phi = _ndtr(z)
    shifted = _ndtr(z[None, :] - q[:, None])
    inner = np.clip(big_phi[None, :] - shifted, 0.0, 1.0) ** (k - 1)
    return np.clip(k * (inner * phi * w).sum(axis=1), 0.0, 1.0)


def nemenyi(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ranks of the k models over the N tasks (1 = best, ties averaged) and the k x k
    p-values of the Nemenyi post-hoc test (scikit_posthocs.posthoc_nemenyi_friedman):
    q = |R_i - R_j| / sqrt(k (k + 1) / (6 N)), p = P(Q > q sqrt(2)), Q studentized range
    (k, infinite df)."""
    matrix = np.asarray(matrix, dtype=float)
    n, k = matrix.shape
    mean_ranks = average_ranks(-matrix).mean(axis=0)     # best score -> rank 1
    iu = np.triu_indices(k, 1)
    q = np.abs(mean_ranks[iu[0]] - mean_ranks[iu[1]]) / math.sqrt(k * (k + 1.0) / (6.0 * n))
    p = np.ones((k, k))
    p[iu] = 1.0 - studentized_range_cdf(q * math.sqrt(2.0), k)
    p[(iu[1], iu[0])] = p[iu]
    return mean_ranks, p


def critical_difference(k: int, n: int, alpha: float = 0.05) -> float:
    """Nemenyi's critical difference of mean ranks (Demsar 2006): q_alpha sqrt(k (k+1) / (6 N)),
    q_alpha the (1 - alpha) quantile of the studentized range (k, infinite df) / sqrt(2)."""
    lo, hi = 0.0, 20.0
    for _ in range(80):   # bisection on the cdf, monotone in q
        mid = (lo + hi) / 2
        if studentized_range_cdf(mid, k)[0] < 1 - alpha:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2 / math.sqrt(2.0) * math.sqrt(k * (k + 1) / (6.0 * n))


# -- tables ----------------------------------------------------------------------------------

MAX_RESAMPLES = lbstate.MAX_RESAMPLES
MAX_CD_MODELS = 20


def check_resampling(resamples: int, seed: int) -> None:
    """Raise ValueError naming the bad parameter (B above MAX_RESAMPLES would take gigabytes)."""
    if isinstance(resamples, bool) or not isinstance(resamples, (int, np.integer)) \
            or not 0 <= resamples <= MAX_RESAMPLES:
        raise ValueError(f"resamples must be an integer from 0 to {MAX_RESAMPLES}, "
                         f"not {resamples!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")


INTERVAL_SCHEMA = pa.schema([
    ("Model", pa.string()), ("Rank (Borda)", pa.int64()), ("rank_low", pa.int64()),
    ("rank_high", pa.int64()), ("rank_median", pa.float64()), ("p_rank1", pa.float64()),
    ("tied_with_leader", pa.bool_())])


def intervals_table(inputs: BordaInputs, resamples: int, seed: int = DEFAULT_SEED,
                    indices: np.ndarray | None = None) -> pa.Table:
    """The rank intervals of the table's rows, in Rank (Borda) order (ties by name): Model,
    Rank (Borda), rank_low, rank_high, rank_median, p_rank1, tied_with_leader (rank_low = 1);
    with B = 0 the last five are NULL."""
    iv = rank_intervals(inputs, resamples, seed, indices)
    rows = [i for i in range(len(inputs.models)) if inputs.in_table[i]]
    rows.sort(key=lambda i: (int(iv.borda_rank[i]), inputs.models[i]))

    def col(values, cast):
        return [None] * len(rows) if values is None else [cast(values[i]) for i in rows]

    data = {"Model": [inputs.models[i] for i in rows],
            "Rank (Borda)": [int(iv.borda_rank[i]) for i in rows],
            "rank_low": col(iv.low, int), "rank_high": col(iv.high, int),
            "rank_median": col(iv.median, float), "p_rank1": col(iv.p_rank1, float),
            "tied_with_leader": col(iv.low, lambda v: bool(v == 1))}
    meta = {"resamples": str(resamples if indices is None else len(indices)),
            "seed": str(seed), "partitions": str(len(inputs.partitions))}
    # built from its buffers: pa.Table.from_pydict of Python values imports pandas
    return pa.Table.from_arrays([arrow_np.typed(data[f.name], f.type) for f in INTERVAL_SCHEMA],
                                schema=INTERVAL_SCHEMA).replace_schema_metadata(meta)


def task_record(a: dict, b: dict) -> tuple[int, int, int, int]:
    """Wins, ties, losses of a against b over the tasks both have a score on, and that count."""
    both = [t for t in a if a[t] is not None and b.get(t) is not None]
    wins = sum(a[t] > b[t] for t in both)
    losses = sum(a[t] < b[t] for t in both)
    return wins, len(both) - wins - losses, losses, len(both)


PAIRWISE_SCHEMA = pa.schema([
    ("model_a", pa.string()), ("model_b", pa.string()), ("p_a_above_b", pa.float64()),
    ("p_b_above_a", pa.float64()), ("wins_a", pa.int64()), ("ties", pa.int64()),
    ("wins_b", pa.int64()), ("tasks_compared", pa.int64()), ("sign_test_p", pa.float64())])


def pairwise_table(inputs: BordaInputs, task_scores: dict[str, dict], models: list[str],
                   resamples: int, seed: int = DEFAULT_SEED,
                   indices: np.ndarray | None = None) -> pa.Table:
    """Every pair (A, B) of `models`, A listed first: P(A above B) and P(B above A) over the
    resamples; per-task wins/ties/losses on the table's task scores (tasks where either has no
    score are not compared); the exact two-sided sign test on wins vs losses (ties dropped)."""
    pos = {m: i for i, m in enumerate(inputs.models)}
    pairs = [(a, b) for i, a in enumerate(models) for b in models[i + 1:]]
    idx = [(pos[a], pos[b]) for a, b in pairs]
    above = p_above(inputs, idx, resamples, seed, indices)
    below = p_above(inputs, [(j, i) for i, j in idx], resamples, seed, indices)
    rows = []
    for (a, b), pa_, pb_ in zip(pairs, above, below):
        wins, ties, losses, n = task_record(task_scores[a], task_scores[b])
        rows.append({"model_a": a, "model_b": b, "p_a_above_b": pa_, "p_b_above_a": pb_,
                     "wins_a": wins, "ties": ties, "wins_b": losses, "tasks_compared": n,
                     "sign_test_p": sign_test(wins, losses)})
    return pa.Table.from_pylist(rows, PAIRWISE_SCHEMA)


def _ranks_desc(values: list) -> list[int | None]:
    """Competition ranks of the non-null values, highest first (1 + number strictly higher)."""
    present = np.array([v for v in values if v is not None], dtype=float)
    return [None if v is None else int((present > v).sum()) + 1 for v in values]


@dataclass(frozen=True)
class Robustness:
    ranks: pa.Table          # per table row: its rank under each rule, leave-one-task-out range
    kendall: pa.Table        # tau-b between each pair of rankings, over the complete models
    friedman: dict | None    # Friedman test + critical difference over <= 20 complete models
    nemenyi: pa.Table | None  # k x k Nemenyi p-values (first column: Model)


RULES = ("Rank (Borda)", "Rank (Mean (Task))", "Rank (Mean (TaskType))")


def robustness(inputs: BordaInputs, summary: list[dict], alpha: float = 0.05) -> Robustness:
    """`summary`: one dict per table row with model_name, borda_rank, mean_task, mean_task_type
    and task_scores (task -> score or None), as lb_model_scores gives them."""
    summary = sorted(summary, key=lambda r: (r["borda_rank"], r["model_name"]))
    names = [r["model_name"] for r in summary]
    pos = {m: i for i, m in enumerate(inputs.models)}
    loto_low, loto_high = leave_one_task_out(inputs) if inputs.models else ([], [])
    mean_task = _ranks_desc([r["mean_task"] for r in summary])
    mean_type = _ranks_desc([r["mean_task_type"] for r in summary])
    tasks = sorted({t for r in summary for t in r["task_scores"]})
    complete = [all(r["task_scores"].get(t) is not None for t in tasks) for r in summary]
    ranks = pa.Table.from_pydict({
        "Model": names,
        RULES[0]: [r["borda_rank"] for r in summary],
        RULES[1]: mean_task, RULES[2]: mean_type,
        "loto_best": [int(loto_low[pos[m]]) for m in names],
        "loto_worst": [int(loto_high[pos[m]]) for m in names],
        "complete": complete,
    }, pa.schema([("Model", pa.string()), (RULES[0], pa.int64()), (RULES[1], pa.int64()),
                  (RULES[2], pa.int64()), ("loto_best", pa.int64()), ("loto_worst", pa.int64()),
                  ("complete", pa.bool_())]))
    keep = [i for i, c in enumerate(complete) if c]
    columns = {RULES[0]: [summary[i]["borda_rank"] for i in keep],
               RULES[1]: [mean_task[i] for i in keep], RULES[2]: [mean_type[i] for i in keep]}
    pairs = [(RULES[0], RULES[1]), (RULES[0], RULES[2]), (RULES[1], RULES[2])]
    kendall = pa.Table.from_pylist(
        [{"ranking_a": a, "ranking_b": b, "tau_b": kendall_tau_b(columns[a], columns[b]),
          "models": len(keep)} for a, b in pairs],
        pa.schema([("ranking_a", pa.string()), ("ranking_b", pa.string()),
                   ("tau_b", pa.float64()), ("models", pa.int64())]))
    chosen = keep[:MAX_CD_MODELS]
    if len(chosen) < 3 or len(tasks) < 2:
        return Robustness(ranks, kendall, None, None)
    matrix = np.array([[summary[i]["task_scores"][t] for i in chosen] for t in tasks])
    stat, p = friedman(matrix)
    mean_ranks, p_values = nemenyi(matrix)
    cd_models = [names[i] for i in chosen]
    result = {"models": cd_models, "tasks": len(tasks), "statistic": stat, "p_value": p,
              "mean_ranks": dict(zip(cd_models, mean_ranks.tolist())), "alpha": alpha,
              "critical_difference": critical_difference(len(chosen), len(tasks), alpha)}
    nemenyi_table = pa.table({"Model": cd_models,
                              **{m: p_values[:, j] for j, m in enumerate(cd_models)}})
    return Robustness(ranks, kendall, result, nemenyi_table)
