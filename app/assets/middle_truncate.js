/* Cell renderer "MiddleTruncate" (the status page's file paths): a long path loses its middle,
 * not its end. The head (folders) shrinks with an ellipsis, the tail (the file name) always
 * shows; the full path is in the grid's tooltip (tooltipField). Pure CSS layout (.lb-mid-*),
 * so it follows the column's width. */
(function () {
    var funcs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
    funcs.MiddleTruncate = function (props) {
        var value = props.value;
        if (value === null || value === undefined) return null;
        var text = String(value);
        var cut = text.lastIndexOf("/") + 1;
        var head = text.slice(0, cut);
        var tail = text.slice(cut);
        return React.createElement("span", {className: "lb-mid"}, [
            React.createElement("span", {key: "h", className: "lb-mid-head"}, head),
            React.createElement("span", {key: "t", className: "lb-mid-tail"}, tail)
        ]);
    };
})();
