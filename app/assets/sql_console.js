/* SQL console (app/pages/sql.py).
 *
 * - Ctrl+Enter (Cmd+Enter on a Mac) in the plain textarea clicks the Run button, so the query
 *   runs through the same server callback as a click (nothing is executed here); the code
 *   editor (sql_editor.bundle.js) does the same with its own key binding.
 * - "Show in editor" on an error puts the editor's cursor at the error's offset.
 * - dash_clientside.sql_console.refresh: after a new result is stored, drop the grid's cached
 *   blocks (infinite row model) so it asks the server for the new rows from the top.
 * - sqlValue / sqlTooltip: grid formatters (NULL shown as NULL, loading rows left blank).
 */
(function () {
    var EDITOR_ID = "sql-editor";
    var RUN_ID = "sql-run";

    document.addEventListener("keydown", function (event) {
        if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
        var target = event.target;
        if (!target || target.id !== EDITOR_ID) return;
        event.preventDefault();
        var button = document.getElementById(RUN_ID);
        if (button && !button.disabled) button.click();
    });

    document.addEventListener("click", function (event) {
        var el = event.target && event.target.closest ? event.target.closest(".sql-goto") : null;
        if (!el) return;
        var editor = document.getElementById(EDITOR_ID);
        var offset = parseInt(el.getAttribute("data-offset"), 10);
        if (!editor || isNaN(offset)) return;
        // the code editor (sql_editor.bundle.js), when mounted, takes the caret
        if (window.mtebSqlEditor && window.mtebSqlEditor.select(offset)) return;
        offset = Math.max(0, Math.min(offset, editor.value.length));
        editor.focus();
        editor.setSelectionRange(offset, Math.min(offset + 1, editor.value.length));
        var line = editor.value.slice(0, offset).split("\n").length - 1;
        var lineHeight = parseFloat(window.getComputedStyle(editor).lineHeight) || 20;
        editor.scrollTop = Math.max(0, line * lineHeight - editor.clientHeight / 2);
    });

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.sql_console = {
        /* The code editor's bundle (app/pages/sql.py editor_src): added once, on /sql only. */
        loadEditor: function (src) {
            if (src && !document.getElementById("sql-editor-bundle")) {
                var script = document.createElement("script");
                script.id = "sql-editor-bundle";
                script.src = src;
                document.head.appendChild(script);
            }
            return src || null;
        },
        refresh: function (store, gridId) {
            var dag = window.dash_ag_grid;
            if (dag && dag.getApiAsync) {
                dag.getApiAsync(gridId).then(function (api) {
                    if (!api || (api.isDestroyed && api.isDestroyed())) return;
                    api.purgeInfiniteCache();
                    // no row yet (an empty console): nothing to scroll to (AG Grid #88)
                    if (api.getDisplayedRowCount() > 0) api.ensureIndexVisible(0, "top");
                }).catch(function () { /* the grid is gone: nothing to refresh */ });
            }
            return Date.now();
        }
    };

    var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

    /* A result cell: NULL for SQL nulls, blank while the row is still loading. */
    dagfuncs.sqlValue = function (params) {
        if (!params.data) return "";
        var v = params.value;
        if (v === null || v === undefined) return "NULL";
        return String(v);
    };

    /* Long text and nested values (sent as JSON text) in full on hover. */
    dagfuncs.sqlTooltip = function (params) {
        var v = params.value;
        if (v === null || v === undefined) return undefined;
        var text = String(v);
        return text.length > 30 ? text : undefined;
    };
})();
