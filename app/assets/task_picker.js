/* The leaderboard's task picker (app/task_picker.py): one checklist per task type, whose union
 * is the hidden `lb-tasks` value the page reads; "All" / "None" per type, "Reset all filters"
 * and "Drop these tasks" (the blank-means notice) set the groups. */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.lbTasks = {
    /* The groups' ticks -> the hidden value, in the benchmark's task order. */
    merge: function (groupValues, options) {
        var ticked = {};
        (groupValues || []).forEach(function (values) {
            (values || []).forEach(function (v) { ticked[v] = true; });
        });
        return (options || []).map(function (o) { return o.value; })
            .filter(function (v) { return ticked[v]; });
    },
    /* A button -> every group's new ticks. */
    setGroups: function (allClicks, noneClicks, reset, resetEmpty, dropBlank, ids, options,
                         values, blankTasks) {
        var ctx = window.dash_clientside.callback_context;
        var trig = ctx.triggered_id;
        if (!trig || !ctx.triggered.length || ctx.triggered[0].value == null) {
            return window.dash_clientside.no_update;
        }
        var blank = {};
        (blankTasks || []).forEach(function (t) { blank[t] = true; });
        return ids.map(function (id, i) {
            var names = (options[i] || []).map(function (o) { return o.value; });
            if (trig === "lb-reset" || trig === "lb-reset-empty") { return names; }
            if (trig === "lb-drop-blank") {
                return (values[i] || []).filter(function (v) { return !blank[v]; });
            }
            if (typeof trig === "object" && trig.index === id.index) {
                return trig.type === "lb-task-all" ? names : [];
            }
            return values[i] || [];
        });
    }
};
