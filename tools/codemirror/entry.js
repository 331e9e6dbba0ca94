// The SQL console's code editor (app/pages/sql.py): CodeMirror 6 over the page's textarea.
//
// The Dash textarea (#sql-editor) stays the value Dash reads and writes (the Run callback's
// State, an example's Output); it is hidden once the editor is mounted next to it. Typing in the
// editor writes the textarea's value and fires an "input" event (so Dash sees it); a value Dash
// writes comes back through window.mtebSqlEditor.sync (a clientside callback).
//
// SQL highlighting, bracket matching and auto-closed brackets, completion of the build's
// tables, views, macros and columns (data-schema on #sql-editor-host: {name: [columns]}) and of
// SQL keywords (Tab or a click accepts; Enter always starts a new line), Ctrl+Enter / Cmd+Enter
// clicks Run. Built by tools/codemirror/build.sh into app/assets/sql_editor.bundle.js.
import {EditorState, Prec} from "@codemirror/state";
import {EditorView, keymap, lineNumbers, highlightActiveLine, placeholder,
        drawSelection, highlightSpecialChars} from "@codemirror/view";
import {defaultKeymap, history, historyKeymap, indentWithTab} from "@codemirror/commands";
import {syntaxHighlighting, defaultHighlightStyle, bracketMatching,
        indentOnInput} from "@codemirror/language";
import {autocompletion, closeBrackets, closeBracketsKeymap, acceptCompletion,
        completionStatus, moveCompletionSelection, closeCompletion,
        startCompletion} from "@codemirror/autocomplete";
import {sql, PostgreSQL, schemaCompletionSource, keywordCompletionSource} from "@codemirror/lang-sql";

const TEXTAREA_ID = "sql-editor";
const HOST_ID = "sql-editor-host";
const RUN_ID = "sql-run";

function setTextarea(textarea, value) {
    // React tracks the value it set: go through the prototype's setter, then tell it.
    const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set;
    setter.call(textarea, value);
    textarea.dispatchEvent(new Event("input", {bubbles: true}));
}

function readSchema(host) {
    try {
        return JSON.parse(host.getAttribute("data-schema") || "{}");
    } catch (e) {
        return {};
    }
}

// Column names without their table (`SELECT main_score ...`), each naming its tables.
function columnSource(schema) {
    const tablesOf = new Map();
    for (const [table, columns] of Object.entries(schema)) {
        for (const column of columns) {
            if (!tablesOf.has(column)) tablesOf.set(column, []);
            tablesOf.get(column).push(table);
        }
    }
    const options = [...tablesOf].map(([column, tables]) => ({
        label: column, type: "property", boost: -1,
        detail: tables.length > 2 ? `${tables.slice(0, 2).join(", ")}, …` : tables.join(", "),
    }));
    return (context) => {
        const word = context.matchBefore(/[\w$]+/);
        if (!word || (word.from === word.to && !context.explicit)) return null;
        const before = context.state.sliceDoc(Math.max(0, word.from - 1), word.from);
        if (before === ".") return null;          // table.column: the schema source's job
        return {from: word.from, options, validFor: /^[\w$]*$/};
    };
}

function runQuery(view) {
    const button = document.getElementById(RUN_ID);
    if (button && !button.disabled) button.click();
    return true;
}

function mount(textarea) {
    const host = document.getElementById(HOST_ID);
    if (!host || host.cmView) return;
    const schema = readSchema(host);
    const config = {dialect: PostgreSQL, schema, upperCaseKeywords: false};
    const view = new EditorView({
        parent: host,
        state: EditorState.create({
            doc: textarea.value || "",
            extensions: [
                Prec.highest(keymap.of([
                    {key: "Mod-Enter", run: runQuery},
                    {key: "Tab", run: acceptCompletion},
                    {key: "ArrowDown", run: moveCompletionSelection(true)},
                    {key: "ArrowUp", run: moveCompletionSelection(false)},
                    {key: "Escape", run: closeCompletion},
                    {key: "Ctrl-Space", run: startCompletion},
                ])),
                lineNumbers(), highlightActiveLine(), highlightSpecialChars(), drawSelection(),
                history(), indentOnInput(), bracketMatching(), closeBrackets(),
                syntaxHighlighting(defaultHighlightStyle, {fallback: true}),
                sql(config),
                autocompletion({
                    defaultKeymap: false, activateOnTyping: true, maxRenderedOptions: 80,
                    override: [schemaCompletionSource(config),
                               keywordCompletionSource(PostgreSQL, false),
                               columnSource(schema)],
                }),
                keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap,
                           indentWithTab]),
                placeholder(textarea.getAttribute("placeholder") || ""),
                EditorView.lineWrapping,
                EditorView.contentAttributes.of({"aria-label": "SQL query",
                                                 spellcheck: "false"}),
                EditorView.updateListener.of((update) => {
                    if (update.docChanged) setTextarea(textarea, update.state.doc.toString());
                }),
            ],
        }),
    });
    host.cmView = view;
    textarea.classList.add("sql-editor-replaced");
    host.classList.add("sql-editor-mounted");
    if (textarea.hasAttribute("autofocus") && !textarea.value) view.focus();
}

// A value written by Dash (an example, a preview): put it in the editor.
function sync(value) {
    const host = document.getElementById(HOST_ID);
    const view = host && host.cmView;
    const text = value || "";
    if (view && view.state.doc.toString() !== text) {
        view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: text}});
    }
    return Date.now();
}

// Put the caret at a character offset (the error panel's "Show in editor").
function select(offset) {
    const host = document.getElementById(HOST_ID);
    const view = host && host.cmView;
    if (!view) return false;
    const at = Math.max(0, Math.min(offset, view.state.doc.length));
    view.dispatch({selection: {anchor: at, head: Math.min(at + 1, view.state.doc.length)},
                   scrollIntoView: true});
    view.focus();
    return true;
}

function scan() {
    const textarea = document.getElementById(TEXTAREA_ID);
    const host = document.getElementById(HOST_ID);
    if (textarea && host && !host.cmView) mount(textarea);
}

window.mtebSqlEditor = {sync, select, scan, status: (v) => completionStatus(v.state)};
new MutationObserver(scan).observe(document.documentElement, {childList: true, subtree: true});
scan();
