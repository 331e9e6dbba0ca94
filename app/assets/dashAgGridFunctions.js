/* Formatters, comparators and cell styles referenced by app/grid.py as {"function": "..."}.
 * dash-ag-grid evaluates those strings with `params` (or valueA/valueB/... for comparators) in
 * scope and the functions of this namespace available by name. Keep them pure and small. */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

function _missing(v) {
    return v === null || v === undefined || (typeof v === "number" && isNaN(v));
}

/* Scores: 2 decimals; a missing score is an en dash (not an empty cell). */
dagfuncs.fmtScore = function (params) {
    var v = params.value;
    return _missing(v) ? "–" : Number(v).toFixed(2);
};

dagfuncs.fmtFixed = function (params, decimals) {
    var v = params.value;
    return _missing(v) ? "–" : Number(v).toFixed(decimals);
};

/* Zero-shot percentage; -1 (training data unknown) and null are shown as "⚠️ NA". */
dagfuncs.fmtZeroShot = function (params) {
    var v = params.value;
    return _missing(v) || v < 0 ? "⚠️ NA" : Math.round(v) + "%";
};

/* Parameters in billions, as the official leaderboard: >= 1 B with 1 decimal, else 3. */
dagfuncs.fmtParams = function (params) {
    var v = params.value;
    if (_missing(v)) return "Unknown";
    if (v === 0) return "0";
    return v >= 1 ? Number(v).toFixed(1) : Number(v).toFixed(3);
};

/* Integers with thousands separators (dimensions, max tokens). */
dagfuncs.fmtInt = function (params) {
    var v = params.value;
    if (_missing(v)) return params.colDef && params.colDef.headerName === "Max Tokens" ? "—" : "Unknown";
    return Number(v).toLocaleString("en-US");
};

dagfuncs.fmtBool = function (params) {
    var v = params.value;
    if (_missing(v)) return "–";
    return v ? "✓" : "✗";
};

dagfuncs.fmtFirstThree = function (params) {
    var v = params.value;
    if (_missing(v) || v === "") return "";
    var parts = String(v).split(", ");
    return parts.length > 3 ? parts.slice(0, 3).join(", ") + ", … (" + parts.length + ")" : v;
};

/* Missing values sort last in both directions (AG Grid's default puts them first ascending). */
dagfuncs.nullsLast = function (valueA, valueB, nodeA, nodeB, isDescending) {
    var a = _missing(valueA), b = _missing(valueB);
    if (a && b) return 0;
    if (a) return isDescending ? -1 : 1;
    if (b) return isDescending ? 1 : -1;
    if (typeof valueA === "string" || typeof valueB === "string") {
        return String(valueA).localeCompare(String(valueB));
    }
    return valueA - valueB;
};

/* Heat map: green intensity by the value's position between the column's min and max. */
dagfuncs.heatStyle = function (params, lo, hi) {
    var v = params.value;
    if (_missing(v)) return {color: "#9aa0a6"};
    var t = hi > lo ? (v - lo) / (hi - lo) : 1;
    t = Math.max(0, Math.min(1, t));
    var alpha = 0.04 + 0.42 * t * t;
    return {backgroundColor: "rgba(34, 139, 84, " + alpha.toFixed(3) + ")"};
};

/* Per-task cells with a within-task spread (app/spread.py decorate): the row's
 * spread[fid] = [mean, sd or null, experiments], numbers already as shown (spread.shown). */
dagfuncs.spreadTooltip = function (params, fid) {
    var s = params.data && params.data.spread ? params.data.spread[fid] : null;
    if (!s) return null;
    return "Mean " + s[0].toFixed(2) + (s[1] == null ? "" : " ± " + s[1].toFixed(2)) +
        " (sd over " + s[2] + " experiments)";
};

/* Per-task cells with validity flags (app/flags.py mark_cells): the tooltip another decoration
 * gave the cell (`before`, e.g. the within-task spread) then one line per flag of the cell. */
dagfuncs.flagTooltip = function (params, fid, before) {
    var flags = params.data && params.data.flags ? params.data.flags[fid] : null;
    var lines = before === null || before === undefined ? [] : [before];
    (flags || []).forEach(function (f) {
        lines.push("⚑ " + f[0] + " " + f[1] + ": " + f[2]);
    });
    return lines.length ? lines.join("\n") : null;
};
