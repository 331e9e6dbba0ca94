/* Cell renderers referenced by name from app/grid.py (cellRenderer: "ModelLink"). */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

/* A link taken from metadata is rendered only when it is an http(s) URL with a host (the same
 * rule as app/grid.py's external_url): never javascript:, data: or relative URLs. */
dagcomponentfuncs.httpUrl = function (value) {
    if (typeof value !== "string" || value !== value.trim()) return null;
    var url;
    try { url = new URL(value); } catch (e) { return null; }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.host) return null;
    return value;
};

/* Model name -> link to this app's model page, organisation muted, plus an external ↗ link to
 * the model card when the row has one (field `ref`). */
dagcomponentfuncs.ModelLink = function (props) {
    var name = props.value;
    if (!name) return null;
    var base = (props.hrefBase || "/model");
    var slash = name.indexOf("/");
    var org = slash > 0 ? name.slice(0, slash + 1) : "";
    var short = slash > 0 ? name.slice(slash + 1) : name;
    var children = [
        React.createElement("a", {
            key: "m", href: base + "?name=" + encodeURIComponent(name),
            className: "lb-model-link", title: "Open the model page of " + name
        }, org ? React.createElement("span", {className: "lb-org"}, org) : null, short)
    ];
    var ref = props.data ? dagcomponentfuncs.httpUrl(props.data.ref) : null;
    if (ref) {
        children.push(React.createElement("a", {
            key: "r", href: ref, target: "_blank", rel: "noopener noreferrer",
            className: "lb-ext", title: "Model card / reference (external)"
        }, "↗"));
    }
    return React.createElement("span", {className: "lb-model-cell"}, children);
};

/* Task name -> its reference (dataset page or paper), external. */
dagcomponentfuncs.TaskLink = function (props) {
    var name = props.value;
    if (!name) return null;
    var ref = props.data ? dagcomponentfuncs.httpUrl(props.data.ref) : null;
    if (ref) {
        return React.createElement("a", {
            href: ref, target: "_blank", rel: "noopener noreferrer",
            className: "lb-task-link", title: "Reference of " + name
        }, name);
    }
    return name;
};

/* Generic internal link: the value is the label, `hrefField` names the row field with the URL. */
dagcomponentfuncs.RowLink = function (props) {
    var label = props.value;
    if (label === null || label === undefined) return null;
    var href = props.data && props.hrefField ? props.data[props.hrefField] : null;
    /* internal paths ("/model?…", not "//host") or http(s) URLs; anything else is plain text */
    var internal = typeof href === "string" && /^\/(?!\/)/.test(href) && href.indexOf("\\") < 0;
    var external = !internal && dagcomponentfuncs.httpUrl(href) !== null;
    if (!internal && !external) return String(label);
    return React.createElement("a", external ? {href: href, target: "_blank", rel: "noopener noreferrer"} : {href: href}, String(label));
};
