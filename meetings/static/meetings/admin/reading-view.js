// A statement's reading view: selecting a passage of the text offers links that start a new record
// (a commitment, a figure) with the passage as its quote. Each link's page reads `quote` and `start`
// from its address; `start` is counted in characters (code points), as the server counts them, so the
// quote is found at the very place selected even where the same words occur twice.
"use strict";

(function () {
    function selectedPassage(view) {
        const selection = window.getSelection();
        if (!selection.rangeCount || selection.isCollapsed) {
            return null;
        }
        const range = selection.getRangeAt(0);
        if (!view.contains(range.startContainer) || !view.contains(range.endContainer)) {
            return null;
        }
        const before = document.createRange();
        before.setStart(view, 0);
        before.setEnd(range.startContainer, range.startOffset);
        let start = before.toString().length;
        let quote = range.toString();
        // Double-clicking a word selects the space after it too: quotes start and end on words.
        const leading = quote.length - quote.trimStart().length;
        start += leading;
        quote = quote.trim();
        if (!quote) {
            return null;
        }
        const text = view.textContent;
        return {quote: quote, start: Array.from(text.slice(0, start)).length};
    }

    function update(view, links, hint) {
        const passage = selectedPassage(view);
        if (!passage) {
            // The last passage stays offered: clicking a link collapses the selection before the click lands.
            return;
        }
        const words = passage.quote.split(/\s+/);
        const shown = words.length > 12 ? words.slice(0, 6).join(" ") + " … " + words.slice(-4).join(" ") : words.join(" ");
        hint.textContent = "Selected at offset " + passage.start + ": “" + shown + "”";
        for (const link of links) {
            const url = new URL(link.dataset.baseUrl, window.location.href);
            url.searchParams.set("quote", passage.quote);
            url.searchParams.set("start", String(passage.start));
            link.href = url.toString();
            link.hidden = false;
        }
    }

    function init() {
        for (const reading of document.querySelectorAll(".reading")) {
            const view = reading.querySelector(".reading-view");
            const links = reading.querySelectorAll("a.new-from-selection");
            const hint = reading.querySelector(".reading-hint");
            if (!view || !links.length || !hint) {
                continue;
            }
            document.addEventListener("selectionchange", function () {
                update(view, links, hint);
            });
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
})();
