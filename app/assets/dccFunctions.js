/* Functions for dcc components (RangeSlider tooltip transform), see app/pages/leaderboard.py. */
window.dccFunctions = window.dccFunctions || {};

/* log10(billions of parameters) -> "110M", "7.1B". */
window.dccFunctions.paramsLabel = function (value) {
    var b = Math.pow(10, value);
    if (b >= 1) return (+b.toPrecision(3)) + "B";
    if (b >= 1e-3) return (+(b * 1e3).toPrecision(3)) + "M";
    return (+(b * 1e6).toPrecision(3)) + "K";
};
