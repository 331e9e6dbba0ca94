"""AG Grid column definitions and row data, generated from the rankings' tables.

No column list is typed by hand in page code: each column of a rankings table (official names)
is classified by name and dtype (rank, model, zero-shot, parameter count, integer, score, or
text), and that kind decides the formatter, the sort, the colouring and the pinning. Formatters,
comparators and styles are JS functions in ``assets/dashAgGridFunctions.js``; the model link is a
cell renderer in ``assets/dashAgGridComponentFunctions.js``. Python passes only
``{"function": "..."}`` strings.

Row data carries only the visible columns, under short field ids (``c0``, ``c1``…; ``model`` for
the model name) so the payload stays small and task names with dots or brackets never clash with
AG Grid's field paths; ``headerName`` keeps the official name. Numbers stay numbers: scores are
rounded to 4 decimals for transport (the grid shows 2; the CSV download has them unrounded).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa

from mteb_lb.arrow_np import numpy_of

SCORE_DECIMALS = 4
ROW_HEIGHT = 36
MODEL = "Model"
HIDDEN_COLUMNS = ("Release Date",)   # kept in the table for the plots, never displayed
META_TOOLTIPS = {
    "Zero-shot": "Share of the benchmark's tasks the model was NOT trained on (100% = fully "
                 "zero-shot). ⚠️ NA: the model's training data is unknown.",
    "Active Parameters (B)": "Parameters used per token, in billions (for mixture-of-experts "
                             "and models with large embedding tables this is below the total).",
    "Total Parameters (B)": "All parameters, in billions. Unknown for most API models.",
    "Embedding Dimensions": "Size of the embedding vector (the largest one if several).",
    "Max Tokens": "Longest input the model accepts; — when unlimited or unknown.",
    "Mean (Task)": "Mean of the task scores; blank when any task is missing.",
    "Mean (TaskType)": "Mean of the per-task-type means; blank when any type is missing.",
    "Mean (Public)": "Mean over the public tasks.",
    "Mean (Private)": "Mean over the private (held-out) tasks.",
    "Mean (Subset)": "Mean over every task subset.",
    "Rank (Borda)": "Borda count over tasks: each task ranks the models, a model earns a point "
                    "for every model it beats; ties share. Robust to tasks with very different "
                    "score ranges.",
    "Rank": "Position when sorted by the benchmark's main mean.",
    "Rank (Mean Task)": "Position when sorted by Mean (Task), then Mean (Public) and "
                        "Mean (Private).",
}
# ISO 639-3 code -> English name, for header tooltips and the language filter's labels.
LANGUAGE_NAMES = {
    "afr": "Afrikaans", "amh": "Amharic", "ara": "Arabic", "asm": "Assamese", "aze": "Azerbaijani",
    "bel": "Belarusian", "ben": "Bengali", "bos": "Bosnian", "bul": "Bulgarian", "cat": "Catalan",
    "ces": "Czech", "cmn": "Chinese (Mandarin)", "cym": "Welsh", "dan": "Danish",
    "deu": "German", "ell": "Greek", "eng": "English", "est": "Estonian", "eus": "Basque",
    "fao": "Faroese", "fas": "Persian", "fil": "Filipino", "fin": "Finnish", "fra": "French",
    "gle": "Irish", "glg": "Galician", "guj": "Gujarati", "hau": "Hausa", "heb": "Hebrew",
    "hin": "Hindi", "hrv": "Croatian", "hun": "Hungarian", "hye": "Armenian", "ibo": "Igbo",
    "ind": "Indonesian", "isl": "Icelandic", "ita": "Italian", "jav": "Javanese",
    "jpn": "Japanese", "kan": "Kannada", "kat": "Georgian", "kaz": "Kazakh", "khm": "Khmer",
    "kin": "Kinyarwanda", "kir": "Kyrgyz", "kor": "Korean", "kur": "Kurdish", "lao": "Lao",
    "lav": "Latvian", "lit": "Lithuanian", "ltz": "Luxembourgish", "mal": "Malayalam",
    "mar": "Marathi", "mkd": "Macedonian", "mlt": "Maltese", "mon": "Mongolian",
    "msa": "Malay", "mya": "Burmese", "nep": "Nepali", "nld": "Dutch",
    "nno": "Norwegian Nynorsk", "nob": "Norwegian Bokmål", "nor": "Norwegian",
    "ori": "Odia", "pan": "Punjabi", "pol": "Polish", "por": "Portuguese", "pus": "Pashto",
    "ron": "Romanian", "rus": "Russian", "sin": "Sinhala", "slk": "Slovak", "slv": "Slovenian",
    "som": "Somali", "spa": "Spanish", "sqi": "Albanian", "srp": "Serbian", "ssw": "Swati",
    "swa": "Swahili", "swe": "Swedish", "tam": "Tamil", "tel": "Telugu", "tgk": "Tajik",
    "tha": "Thai", "tsn": "Tswana", "tur": "Turkish", "uig": "Uyghur", "ukr": "Ukrainian",
    "urd": "Urdu", "uzb": "Uzbek", "vie": "Vietnamese", "wol": "Wolof", "xho": "Xhosa",
    "yor": "Yoruba", "yue": "Cantonese", "zho": "Chinese", "zul": "Zulu",
}


def external_url(value) -> str | None:
    """``value`` when it is an http(s) URL with a host, else None: links built from metadata
    (model and task references) are only rendered for these, never for ``javascript:``,
    ``data:`` or relative URLs. The grid's cell renderers apply the same rule
    (``httpUrl`` in ``assets/dashAgGridComponentFunctions.js``)."""
    if not isinstance(value, str):
        return None
    return _checked_url(value)


@functools.lru_cache(maxsize=8192)   # the same model links on every grid of a request
def _checked_url(value: str) -> str | None:
    if value != value.strip():
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value


def language_label(code: str) -> str:
    """'eng' -> 'eng – English'; 'eng-Latn' -> 'eng-Latn – English'."""
    name = LANGUAGE_NAMES.get(code.split("-")[0])
    return f"{code} – {name}" if name else code


@dataclass
class GridData:
    column_defs: list[dict]
    row_data: list[dict]
    fields: dict[str, str] = field(default_factory=dict)   # official column name -> field id

    def field_of(self, column: str) -> str | None:
        return self.fields.get(column)


# --------------------------------------------------------------------------------------------
# column kinds
# --------------------------------------------------------------------------------------------

def grid_style(n_rows: int, grouped: bool = False, max_height: int = 640) -> dict:
    """A grid height that fits its rows (no empty band under a short table) up to
    ``max_height``, beyond which the grid scrolls (rows of ROW_HEIGHT px)."""
    header = 64 + (56 if grouped else 0)
    height = header + max(n_rows, 3) * ROW_HEIGHT + 18
    return {"height": f"{min(height, max_height)}px", "width": "100%"}


def column_kind(name: str, dtype: pa.DataType) -> str:
    if name == MODEL:
        return "model"
    if name.startswith("Rank"):
        return "rank"
    if name == "Zero-shot":
        return "zero_shot"
    if name.endswith("Parameters (B)"):
        return "params"
    if name in ("Embedding Dimensions", "Max Tokens"):
        return "int"
    if pa.types.is_floating(dtype) or pa.types.is_integer(dtype) or pa.types.is_null(dtype):
        return "score"
    return "text"


def leaf_columns(defs: list[dict]):
    """The column definitions under `defs`, column groups (the per-task grid's task types)
    walked into."""
    for col in defs:
        if "children" in col:
            yield from leaf_columns(col["children"])
        else:
            yield col


def attach_cells(data: GridData, key: str, cells_of: dict[str, dict] | None) -> set[str]:
    """Each row gains ``key``: its model's cells in `cells_of` ({model: {field id: value}});
    returns the field ids of the columns to decorate: those with a cell, or every task column
    when `cells_of` is None (not computed yet: a second request fills the rows' ``key``,
    app/intervals.py, so every column gets the decoration now)."""
    if cells_of is None:
        return {c.get("field") for g in data.column_defs for c in g.get("children", ())}
    for row in data.row_data:
        cells = cells_of.get(row.get("model"))
        if cells:
            row[key] = cells
    return {fid for cells in cells_of.values() for fid in cells}


def visible_columns(table: pa.Table, *, show_zero_shot: bool = True) -> list[str]:
    """The official columns a view displays (and the CSV download contains)."""
    hidden = set(HIDDEN_COLUMNS)
    if not show_zero_shot:
        hidden.add("Zero-shot")
    return [c for c in table.column_names if c not in hidden]


def field_ids(names: list[str]) -> dict[str, str]:
    """The row-data field of each visible column (model_grid's): "model", else by position."""
    return {name: "model" if name == MODEL else f"c{i}" for i, name in enumerate(names)}


def _num(value):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def _round(value):
    value = _num(value)
    return None if value is None else round(value, SCORE_DECIMALS)


def _cell_values(values: list, kind: str) -> list:
    """A column's values as the grid's cells hold them: scores rounded (_round), other numbers
    blank when not finite (_num), text as is; one pass per column (the per-task grid has ~60k
    cells)."""
    if kind in ("text", "model"):
        return values
    if kind == "score":
        return [None if v is None or (isinstance(v, float) and not math.isfinite(v))
                else round(v, SCORE_DECIMALS) for v in values]
    return [_num(v) for v in values]


def _column_cells(column, kind: str) -> list:
    """_cell_values of an Arrow column, numbers through numpy where that gives the same
    values: integers are finite (as they are), floats blank when not finite, scores rounded
    (_score_cells)."""
    dtype = column.type
    if kind in ("text", "model") or pa.types.is_integer(dtype):
        return column.to_pylist()
    if not pa.types.is_float64(dtype):
        return _cell_values(column.to_pylist(), kind)
    if kind == "score":
        return _score_cells(column)
    values, valid = numpy_of(column)
    with np.errstate(invalid="ignore"):
        ok = valid & np.isfinite(values)
    cells = values.tolist()
    for i in np.flatnonzero(~ok).tolist():
        cells[i] = None
    return cells


def _score_cells(column) -> list:
    """_cell_values of a float64 score column, rounded in numpy: the same floats as round(v,
    SCORE_DECIMALS) (scaled, rounded to an integer, scaled back: both the nearest double to the
    same decimal), except where the scaled value lies too near a half for the product's
    rounding error, which go through round() itself."""
    values, valid = numpy_of(column)
    scale = 10.0 ** SCORE_DECIMALS
    with np.errstate(invalid="ignore", over="ignore"):
        ok = valid & np.isfinite(values)
        scaled = values * scale
        cells = (np.rint(scaled) / scale).tolist()
        unsure = ok & ((np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
                       | ~(np.abs(values) < 1e9))
    for i in np.flatnonzero(~ok).tolist():
        cells[i] = None
    for i in np.flatnonzero(unsure).tolist():
        cells[i] = round(float(values[i]), SCORE_DECIMALS)
    return cells


def _js_number(value: float) -> str:
    return repr(float(value))


def _numeric_colors(values: list, kind: str) -> dict:
    """Heat-map style and best-value class for a score column (bounds baked into the JS call)."""
    present = [v for v in values if v is not None]
    if not present:
        return {}
    lo, hi = min(present), max(present)
    out = {"cellStyle": {"function": f"heatStyle(params, {_js_number(lo)}, {_js_number(hi)})"}}
    if len(present) > 1 and hi > lo:
        out["cellClassRules"] = {"lb-best": f"params.value === {_js_number(hi)}"}
    return out


_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[._/-])")


def header_label(name: str) -> str:
    """The header text: the official name with zero-width break opportunities at camel-case
    and punctuation boundaries, so long task names wrap between words, not mid-word."""
    return _BREAK.sub("\u200b", name)


def _base_def(field_id: str, name: str, kind: str, tooltip: str | None) -> dict:
    col = {"field": field_id, "headerName": header_label(name), "colId": name}
    if tooltip:
        col["headerTooltip"] = tooltip
    if kind in ("score", "params", "int", "zero_shot", "rank"):
        col["type"] = "rightAligned"
        col["comparator"] = {"function": "nullsLast(valueA, valueB, nodeA, nodeB, isDescending)"}
    if kind == "score":
        col.update(valueFormatter={"function": "fmtScore(params)"}, initialWidth=112, minWidth=80,
                   sortingOrder=["desc", "asc", None])
    elif kind == "params":
        col.update(valueFormatter={"function": "fmtParams(params)"}, initialWidth=128,
                   sortingOrder=["desc", "asc", None],
                   cellClassRules={"lb-unknown": "params.value == null"})
    elif kind == "int":
        col.update(valueFormatter={"function": "fmtInt(params)"}, initialWidth=128,
                   sortingOrder=["desc", "asc", None],
                   cellClassRules={"lb-unknown": "params.value == null"})
    elif kind == "zero_shot":
        col.update(valueFormatter={"function": "fmtZeroShot(params)"}, initialWidth=104,
                   sortingOrder=["desc", "asc", None],
                   cellClassRules={"lb-unknown": "params.value == null || params.value < 0"})
    elif kind == "rank":
        col.update(initialWidth=96, sortingOrder=["asc", "desc", None])
    if "initialWidth" in col:   # wide enough for the longest word of the header: no mid-word break
        col["initialWidth"] = max(col["initialWidth"], longest_word_px(name))
    return col


def longest_word_px(name: str) -> int:
    """A header's width that fits its longest word (14 px headers, ~7.6 px a character, plus
    the cell's padding and sort icon), the words being those header_label() breaks between."""
    words = re.split(r"[\s\u200b]+", header_label(name))
    return int(max((len(w) for w in words), default=0) * 7.6 + 44)


def _model_def(href_base: str) -> dict:
    return {"field": "model", "headerName": MODEL, "colId": MODEL, "pinned": "left",
            "initialWidth": 290, "minWidth": 160, "cellRenderer": "ModelLink",
            "cellRendererParams": {"hrefBase": href_base}, "tooltipField": "model",
            "lockPinned": True}


# --------------------------------------------------------------------------------------------
# model tables: summary, per task, per language
# --------------------------------------------------------------------------------------------

def model_grid(table: pa.Table, *, view: str = "summary", show_zero_shot: bool = True,
               task_meta: Callable[[str], dict] | None = None,
               type_metrics: dict[str, list[str]] | None = None,
               type_counts: dict[str, int] | None = None,
               links: dict[str, str] | None = None, href_base: str = "/model",
               sort: tuple[str, str] | None = None,
               trained: dict[str, frozenset[str]] | None = None) -> GridData:
    """Column defs and row data for a summary / per-task / per-language table.

    ``task_meta(task)`` gives a task's type, main_score and description (per-task headers and
    groups); ``type_metrics`` / ``type_counts`` describe the summary's per-type columns;
    ``links`` maps model names to their reference URL (the ↗ next to the name); ``trained``
    maps model names to the tasks they were trained on, marked ⚠ in the per-task view.
    """
    task_meta = task_meta or (lambda _t: {})
    names = visible_columns(table, show_zero_shot=show_zero_shot)
    fields = field_ids(names)
    kinds = {n: column_kind(n, table.schema.field(n).type) for n in names}
    # each column's cell values once (scores rounded, non-finite numbers blank)
    columns = {n: _column_cells(table.column(n), kinds[n]) for n in names}
    n_rows = table.num_rows

    # rows
    fids = [fields[n] for n in names]
    rows: list[dict] = ([{f: v for f, v in zip(fids, values) if v is not None}
                         for values in zip(*(columns[n] for n in names))] if names
                        else [{} for _ in range(n_rows)])
    if links:
        for row in rows:
            ref = external_url(links.get(row.get("model")))
            if ref:
                row["ref"] = ref
    if view == "per-task" and trained:
        for row in rows:
            seen = trained.get(row.get("model"), ())
            marked = [fields[n] for n in names if n in seen] if seen else None
            if marked:
                row["trained"] = marked

    # columns
    defs: list[dict] = []
    first_rank_done = False
    type_groups: dict[str, list[dict]] = {}
    type_order: list[str] = []
    for name in names:
        kind, fid = kinds[name], fields[name]
        if kind == "model":
            defs.append(_model_def(href_base))
            continue
        tooltip = META_TOOLTIPS.get(name)
        rounded = columns[name]
        if view == "per-task" and kind == "score":
            meta = task_meta(name) or {}
            tooltip = _task_tooltip(name, meta)
        elif view == "per-language" and kind == "score":
            tooltip = f"{language_label(name)}: mean of every task subset in this language."
        elif view == "summary" and kind == "score" and name not in META_TOOLTIPS:
            metrics = (type_metrics or {}).get(name) or []
            count = (type_counts or {}).get(name)
            tooltip = (f"{name}: mean of the {count or ''} {name} task scores; blank when "
                       f"one is missing. Main metric: {', '.join(metrics) or 'n/a'}."
                       ).replace("  ", " ")
        col = _base_def(fid, name, kind, tooltip)
        if kind == "rank":
            if not first_rank_done:
                col.update(pinned="left", lockPinned=True)
                present = [v for v in rounded if v is not None]
                if present:
                    col["cellClassRules"] = {"lb-best": f"params.value === {min(present)}"}
                first_rank_done = True
        if kind == "score":
            col.update(_numeric_colors(rounded, kind))
        if sort and sort[0] == name:
            col["sort"] = sort[1]
        if view == "per-task" and kind == "score":
            if trained:
                col["cellClassRules"] = {
                    **col.get("cellClassRules", {}),
                    "lb-trained": f"params.data.trained && params.data.trained.includes('{fid}')"}
            task_type = (task_meta(name) or {}).get("type") or "Other"
            if task_type not in type_groups:
                type_groups[task_type] = []
                type_order.append(task_type)
            col["initialWidth"] = 124
            type_groups[task_type].append(col)
            continue
        if view == "per-language" and kind == "score":
            col["initialWidth"] = 104
        defs.append(col)
    if sort and sort[0] == MODEL:
        defs[[d.get("colId") for d in defs].index(MODEL)]["sort"] = sort[1]
    for task_type in type_order:
        children = type_groups[task_type]
        defs.append({"headerName": f"{header_label(task_type)} ({len(children)})",
                     # not the type's name: that is the summary's mean column id, and AG Grid
                     # warns (#273) when the tab swaps one set of columns for the other
                     "groupId": f"type:{task_type}",
                     "headerTooltip": f"{len(children)} {task_type} task(s)",
                     "wrapHeaderText": True, "autoHeaderHeight": True,
                     "children": children, "marryChildren": True})
    return GridData(column_defs=defs, row_data=rows, fields=fields)


def _task_tooltip(task: str, meta: dict) -> str:
    parts = [task]
    if meta.get("type"):
        parts.append(f"Type: {meta['type']}")
    if meta.get("main_score"):
        parts.append(f"Metric: {meta['main_score']}")
    description = (meta.get("description") or "").strip()
    if description:
        parts.append(description if len(description) < 400 else description[:397] + "…")
    return "\n".join(parts)


def type_metric_info(task_names: Iterable[str], task_meta: Callable[[str], dict]
                     ) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Per task type: the main metrics of its tasks and how many tasks it has."""
    metrics: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for task in task_names:
        meta = task_meta(task) or {}
        t = meta.get("type")
        if not t:
            continue
        counts[t] = counts.get(t, 0) + 1
        metric = meta.get("main_score")
        if metric and metric not in metrics.setdefault(t, []):
            metrics[t].append(metric)
    return metrics, counts


# --------------------------------------------------------------------------------------------
# task information
# --------------------------------------------------------------------------------------------

TASK_INFO_WIDTHS = {"Task Name": 260, "Task Type": 170, "Languages": 190, "Domains": 190,
                    "Metric": 150, "Modality": 120, "Public": 90, "Description": 420}


def task_info_grid(table: pa.Table) -> GridData:
    names = [c for c in table.column_names if c != "Reference"]
    refs = table.column("Reference").to_pylist() if "Reference" in table.column_names else None
    fields = {n: f"c{i}" for i, n in enumerate(names)}
    rows = []
    for i, record in enumerate(table.select(names).to_pylist()):
        row = {fields[k]: v for k, v in record.items() if v is not None}
        if refs and external_url(refs[i]):
            row["ref"] = refs[i]
        rows.append(row)
    defs = []
    for name in names:
        col = {"field": fields[name], "headerName": name, "colId": name,
               "width": TASK_INFO_WIDTHS.get(name, 150), "filter": "agTextColumnFilter"}
        if name == "Task Name":
            col.update(pinned="left", cellRenderer="TaskLink", tooltipField=fields.get(
                "Description", fields[name]))
        elif name == "Languages":
            col.update(valueFormatter={"function": "fmtFirstThree(params)"},
                       tooltipField=fields[name])
        elif name == "Public":
            col.update(valueFormatter={"function": "fmtBool(params)"}, filter=True,
                       cellDataType="text")
        elif name == "Description":
            col.update(tooltipField=fields[name], flex=1, minWidth=300)
        defs.append(col)
    return GridData(column_defs=defs, row_data=rows, fields=fields)


def generic_grid(records: list[dict], *, numeric_decimals: dict[str, int] | None = None,
                 pinned: Iterable[str] = (), widths: dict[str, int] | None = None,
                 renderers: dict[str, dict] | None = None) -> GridData:
    """Column defs for plain record lists (model page, status page): the column kind comes
    from the Python values (numbers right-aligned with a fixed number of decimals)."""
    if not records:
        return GridData([], [], {})
    names = list(records[0].keys())
    fields = {n: f"c{i}" for i, n in enumerate(names)}
    rows = [{fields[k]: v for k, v in r.items() if v is not None} for r in records]
    defs = []
    for name in names:
        sample = next((r[name] for r in records if r.get(name) is not None), None)
        col = {"field": fields[name], "headerName": name, "colId": name,
               "filter": True, "width": (widths or {}).get(name, 160)}
        if isinstance(sample, (int, float)) and not isinstance(sample, bool):
            decimals = (numeric_decimals or {}).get(name)
            col.update(type="rightAligned", filter="agNumberColumnFilter",
                       comparator={"function":
                                   "nullsLast(valueA, valueB, nodeA, nodeB, isDescending)"})
            if decimals is not None:
                col["valueFormatter"] = {"function": f"fmtFixed(params, {int(decimals)})"}
        elif isinstance(sample, bool):
            col.update(valueFormatter={"function": "fmtBool(params)"}, cellDataType="text")
        if name in pinned:
            col["pinned"] = "left"
        if renderers and name in renderers:
            col.update(renderers[name])
        defs.append(col)
    return GridData(defs, rows, fields)
