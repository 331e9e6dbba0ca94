/* The leaderboard page's narrow-screen menu and benchmark links (issue 15; app/pages/leaderboard.py
 * registers the callbacks, app/assets/walk.css styles them). */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.lbWalk = {
    /* The toggle opens / closes the menu; picking a benchmark in it closes it. */
    toggleSidebar: function (n, menuClicks, className) {
        var ctx = window.dash_clientside.callback_context;
        var base = "lb-sidebar";
        var open = (className || "").indexOf("open") >= 0;
        if (ctx.triggered_id === "lb-sidebar-toggle") { return open ? base : base + " open"; }
        return base;
    },
    /* The per-task tab's note on ⚠ (scores of tasks a model was trained on) shows on that tab. */
    trainedNote: function (view) {
        return view === "per-task" ? {} : {display: "none"};
    }
};

/* Narrow grids (< 600 px): the pinned Rank and Model columns would take the whole width and
 * hide every score; Rank scrolls with the scores and Model gets 160 px (its minimum). Wider
 * again: as app/grid.py lays them out. Checked a few times a second (the grid is replaced when
 * the benchmark changes, and its columns on every filter change). */
(function () {
    function fitPinned() {
        var el = document.getElementById("lb-grid");
        var dag = window.dash_ag_grid;
        if (!el || !el.clientWidth || !dag || !dag.getApi) { return; }
        var api;
        try { api = dag.getApi("lb-grid"); } catch (e) { return; }
        if (!api || (api.isDestroyed && api.isDestroyed())) { return; }
        var narrow = el.clientWidth < 600;
        var rank = api.getColumn("Rank (Borda)");
        var model = api.getColumn("Model");
        if (!model) { return; }
        var rankPinned = rank && rank.getPinned();
        if (narrow && (model.getActualWidth() > 160 || rankPinned)) {
            api.applyColumnState({state: [{colId: "ag-Grid-SelectionColumn", pinned: "left"},
                                          {colId: "Rank (Borda)", pinned: null},
                                          {colId: "Model", width: 160}]});
            api.moveColumns(["ag-Grid-SelectionColumn"], 0);   // the checkbox stays first
        } else if (!narrow && rank && !rankPinned) {
            api.applyColumnState({state: [{colId: "ag-Grid-SelectionColumn", pinned: "left"},
                                          {colId: "Rank (Borda)", pinned: "left"},
                                          {colId: "Model", width: 290}]});
            api.moveColumns(["ag-Grid-SelectionColumn", "Rank (Borda)"], 0);
        }
    }
    window.setInterval(fitPinned, 400);
})();

/* Menu entries are links (new tab, copy link); a plain click swaps the page body in place
 * instead (the entry's n_clicks, app/pages/leaderboard.py switch_benchmark). */
document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest && e.target.closest("a[data-switch='in-place']");
    if (!a) { return; }
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) {
        e.stopPropagation();     // the browser opens the link; this page stays as it is
        return;
    }
    e.preventDefault();
}, true);
