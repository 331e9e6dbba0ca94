/* The summary's rank-interval column, filled after the table (app/intervals.py): the cells the
 * server computed for a state are merged into the grid's rows when the grid still shows that
 * state (its view key), so a late answer never lands on another table. */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.lbIntervals = {
    fill: function (data, rows, key) {
        var no = window.dash_clientside.no_update;
        /* on a page just rendered, the view key is still 0: its pending state's cells */
        if (!data || !rows || !data.cells) { return no; }
        if (data.key !== key && !(data.initial && !key)) { return no; }
        var changed = false;
        var out = rows.map(function (row) {
            var cells = data.cells[row.model];
            if (!cells) { return row; }
            if (data.flags && cells.flags) {
                /* the per-task cells send each distinct flag once (app/spread.py packed) */
                var marks = {};
                for (var fid in cells.flags) {
                    marks[fid] = cells.flags[fid].map(function (i) { return data.flags[i]; });
                }
                cells = Object.assign({}, cells, {flags: marks});
            }
            for (var f in cells) {
                if (row[f] !== cells[f]) { changed = true; return Object.assign({}, row, cells); }
            }
            return row;
        });
        return changed ? out : no;
    }
};
