/* "My benchmarks" in the leaderboard's sidebar (app/my_benchmarks.py): the saved entries, kept
 * in the browser's local storage, drawn as links with rename and delete buttons. */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.lbMy = {
    render: function (entries) {
        entries = entries || [];
        if (!entries.length) {
            return {type: "Div", namespace: "dash_html_components",
                    props: {className: "lb-hint", children:
                            "None yet: customize a benchmark, name it and save it here."}};
        }
        return entries.map(function (e, i) {
            function h(type, props) {
                return {type: type, namespace: "dash_html_components", props: props};
            }
            return h("Div", {className: "lb-my-entry", children: [
                h("A", {href: e.href, className: "lb-bench-btn lb-my-link", title: e.href,
                        children: e.name}),
                h("Button", {id: {type: "lb-my-rename", index: i}, className: "lb-link-button",
                             title: "Rename", children: "Rename"}),
                h("Button", {id: {type: "lb-my-delete", index: i}, className: "lb-link-button",
                             title: "Delete", children: "Delete"})
            ]});
        });
    },
    edit: function (renames, deletes, entries) {
        var ctx = window.dash_clientside.callback_context;
        var trig = ctx.triggered_id;
        var noUpdate = window.dash_clientside.no_update;
        if (!trig || !ctx.triggered.length || !ctx.triggered[0].value) { return noUpdate; }
        entries = (entries || []).slice();
        var i = trig.index;
        if (i < 0 || i >= entries.length) { return noUpdate; }
        if (trig.type === "lb-my-delete") {
            entries.splice(i, 1);
            return entries;
        }
        var name = window.prompt("New name for “" + entries[i].name + "”", entries[i].name);
        name = (name || "").trim();
        if (!name || name === entries[i].name) { return noUpdate; }
        // the renamed entry takes the new name; another entry of that name gives way
        var out = [];
        entries.forEach(function (e, j) {
            if (j === i) { out.push({name: name, href: e.href}); }
            else if (e.name !== name) { out.push(e); }
        });
        return out;
    }
};
