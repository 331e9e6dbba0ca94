/* The dashboard's client-side functions (loaded by Dash from assets/):
 *  - lbFormat.params: the one size formatter, billions of parameters -> "110M", "7.1B";
 *  - dccFunctions.paramsLabel: the size slider's tooltip (its value is log10(billions));
 *  - dash_clientside.lb: the clientside callbacks of app/main.py and app/pages/leaderboard.py. */
window.lbFormat = window.lbFormat || {};
window.lbFormat.params = function (b) {
    if (b >= 1) return (+b.toPrecision(3)) + "B";
    if (b >= 1e-3) return (+(b * 1e3).toPrecision(3)) + "M";
    return (+(b * 1e6).toPrecision(3)) + "K";
};

window.dccFunctions = window.dccFunctions || {};
window.dccFunctions.paramsLabel = function (value) {
    return window.lbFormat.params(Math.pow(10, value));
};

window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.lb = {
    /* Highlight the navigation entry of the current page. */
    navClasses: function (pathname, ids) {
        var path = pathname || "/";
        return ids.map(function (id) {
            var active = id.href === "/" ? (path === "/" || path === "")
                                          : path.indexOf(id.href) === 0;
            if (id.href === "/" && path.indexOf("/model") === 0) { active = true; }
            return active ? "lb-nav-link active" : "lb-nav-link";
        });
    },
    /* Copy link: the address bar already holds the state. */
    currentUrl: function (n) { return window.location.href; },
    /* Full screen table (the browser's Fullscreen API; Esc leaves). */
    fullscreen: function (n) {
        var el = document.getElementById("lb-grid-area");
        if (n && el && el.requestFullscreen) { el.requestFullscreen(); }
        return window.dash_clientside.no_update;
    },
    /* The size slider's label: "any – 1.5B", "Any size", or why the slider is off. */
    sizeLabel: function (value, min, max, disabled) {
        if (disabled) { return "No model of this benchmark has a known size."; }
        if (!value || value.length !== 2) { return ""; }
        var lo = value[0] <= min + 1e-9 ? null : Math.pow(10, value[0]);
        var hi = value[1] >= max - 1e-9 ? null : Math.pow(10, value[1]);
        if (lo === null && hi === null) { return "Any size"; }
        var fmt = window.lbFormat.params;
        return (lo === null ? "any" : fmt(lo)) + " – " + (hi === null ? "any" : fmt(hi));
    }
};
