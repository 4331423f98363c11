"""axe-core on every page a browser journey shows (issue 11: RGAA 4.1, WCAG 2.1 AA).

Every page of the site that loads in a browser test is checked by axe-core,
once per URL path and browser context in a test: in the `page` fixture's
context and in every other context the test opens with `browser.new_context`.
A page's `load` only marks it to be checked; the check runs at the start of
the test's next Playwright call (a hook on the sync API's one entry point,
`SyncBase._sync`), before that call acts. So axe sees each document as it was
loaded, never races with the test's own actions, and no document the test
saw is missed (the last ones are checked when their context closes).

(Checking from a route handler, just before the next document is requested,
was tried first: Chromium does not evaluate in a page whose navigation is
held, and the check hangs.)

axe comes from the axe-playwright-python package (axe-core 4.12, offline),
injected once per document through `page.evaluate`: the DevTools protocol
evaluates it in the page, whatever the page's Content-Security-Policy (no
inline script, no eval) says, and the page stays served with that policy.

Every result (all impacts, and the rules passed) goes to
`test-artifacts/axe/<test>.json`, the measure the accessibility statement
cites (`python -m tests.a11y_support` sums them up); the test fails at
teardown when a serious or critical violation was found, naming the page, the
rule, its impact, its help and the elements.

There is no way to exempt a test: only pages that are not the site's own
(another origin, a document that is not HTML: PDFs, downloads, JSON) are not
checked."""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import axe_playwright_python
import greenlet
from playwright._impl._sync_base import SyncBase

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "axe"
AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
AXE_VERSION = re.search(r"axe v([\d.]+)", AXE_SOURCE[:200])[1]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")

# Run in the page: checks only an HTML document, injects axe once, and sends
# back only what the report and the statement need (not axe's whole answer).
RUN = """async ([source, tags]) => {
  if (document.contentType !== 'text/html' || !document.body) return null;
  if (!window.axe) (0, eval)(source);
  const r = await window.axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return {
    title: document.title,
    violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      tags: v.tags, nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))})),
    incomplete: r.incomplete.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length})),
    passes: r.passes.map(v => v.id),
    inapplicable: r.inapplicable.map(v => v.id),
  };
}"""


class AxeWatch:
    """The pages one test showed, and what axe found on each."""

    def __init__(self, test: str, origin: str) -> None:
        self.test = test
        self.origin = origin.rstrip("/")
        self.pages: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._seen: set[tuple[int, str]] = set()
        self._loaded: list[Any] = []  # pages whose last load is not checked yet
        self._checking = False

    # --- watching ---------------------------------------------------------

    def ours(self, url: str) -> bool:
        return url.startswith(self.origin + "/") and not urlsplit(url).path.startswith(("/static/", "/media/"))

    def attach(self, context: Any) -> Any:
        context.on("page", self.watch_page)
        for page in context.pages:
            self.watch_page(page)
        return context

    def watch_page(self, page: Any) -> None:
        page.on("load", self._on_load)

    def _on_load(self, page: Any) -> None:  # an event listener: it must not block
        if page not in self._loaded:
            self._loaded.append(page)

    def check_loaded(self) -> None:
        """Check the pages loaded since the last call (not re-entrant)."""
        if self._checking or not self._loaded:
            return
        self._checking = True
        try:
            while self._loaded:
                page = self._loaded.pop(0)
                if not page.is_closed():
                    self.check(page)
        finally:
            self._checking = False

    def check(self, page: Any) -> None:
        # The load event queued may be the page being left: a link clicked an
        # instant before, the next document is still arriving, and axe would
        # read an <a> whose text has not been parsed yet. Check a loaded one.
        try:
            page.wait_for_load_state("load", timeout=15000)
        except Exception as error:  # the page closed, or never loaded: said below
            self.errors.append(f"{page.url}: {str(error).splitlines()[0]}")
            return
        url = page.url
        if not self.ours(url):
            return
        key = (id(page.context), urlsplit(url).path)
        if key in self._seen:
            return
        self._seen.add(key)
        started = time.monotonic()
        try:
            found = page.evaluate(RUN, [AXE_SOURCE, WCAG_TAGS])
        except Exception as error:  # the page went away while it was checked
            self._seen.discard(key)
            self.errors.append(f"{url}: {str(error).splitlines()[0]}")
            return
        if found is not None:
            seconds = round(time.monotonic() - started, 2)
            self.pages.append({"url": url[len(self.origin) :], "seconds": seconds, **found})

    # --- reporting --------------------------------------------------------

    def blocking(self) -> list[tuple[str, dict[str, Any]]]:
        return [(p["url"], v) for p in self.pages for v in p["violations"] if v["impact"] in BLOCKING]

    def write(self, folder: Path = ARTIFACTS) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (re.sub(r"[^\w.-]+", "_", self.test).strip("_") + ".json")
        report = {"test": self.test, "axe": AXE_VERSION, "tags": WCAG_TAGS, "pages": self.pages, "errors": self.errors}
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    def failure(self) -> str | None:
        found = self.blocking()
        if not found:
            return None
        lines = [f"axe-core {AXE_VERSION}: {len(found)} serious or critical WCAG 2.1 A/AA violation(s)"]
        for url, v in found:
            targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:8])
            more = f" (+{len(v['nodes']) - 8})" if len(v["nodes"]) > 8 else ""
            lines.append(f"- {url}: {v['id']} [{v['impact']}] {v['help']}: {targets}{more}")
        return "\n".join(lines)


@contextmanager
def watching(browser: Any, test: str, origin: str, folder: Path = ARTIFACTS) -> Iterator[AxeWatch]:
    """Watch every context `browser.new_context` opens during the test, and
    check what loaded before each Playwright call of the test itself."""
    watch = AxeWatch(test, origin)
    test_greenlet = greenlet.getcurrent()
    new_context: Callable[..., Any] = browser.new_context
    sync = SyncBase._sync

    def checked_sync(self: SyncBase, awaitable: Any) -> Any:
        if greenlet.getcurrent() is test_greenlet:  # not from an event listener
            watch.check_loaded()
        return sync(self, awaitable)

    browser.new_context = lambda *args, **kwargs: watch.attach(new_context(*args, **kwargs))
    SyncBase._sync = checked_sync
    try:
        yield watch
        watch.check_loaded()
    finally:
        SyncBase._sync = sync
        browser.new_context = new_context
        watch.write(folder)


# --- the measure the accessibility statement cites -------------------------


def page_kind(path: str) -> str:
    """One page of the site, whatever object it shows: /jury/sessions/<n>/."""
    path = re.sub(r"^/verifier/.+", "/verifier/<code>", path)
    return re.sub(r"/\d+(?=/|$)", "/<n>", path)


def summary(folder: Path = ARTIFACTS) -> dict[str, Any]:
    """Pages checked (each kind of page once: its checks merged), and the
    automated checks passed or failed, over every test's report."""
    pages: dict[str, dict[str, Any]] = {}
    checked, seconds = 0, 0.0
    for report in sorted(folder.glob("*.json")):
        for p in json.loads(report.read_text(encoding="utf-8"))["pages"]:
            checked += 1
            seconds += p.get("seconds", 0)
            path = page_kind(urlsplit(p["url"]).path)
            pages.setdefault(path, {"passes": set(), "violations": Counter(), "incomplete": set()})
            pages[path]["passes"].update(p["passes"])
            pages[path]["violations"].update(f"{v['id']} [{v['impact']}]" for v in p["violations"])
            pages[path]["incomplete"].update(v["id"] for v in p["incomplete"])
    checks = sum(len(p["passes"] | {v.split()[0] for v in p["violations"]}) for p in pages.values())
    failed = sum(len({v.split()[0] for v in p["violations"]}) for p in pages.values())
    return {
        "axe": AXE_VERSION,
        "documents_checked": checked,
        "seconds_in_axe": round(seconds, 1),
        "pages": len(pages),
        "rule_checks": checks,
        "rule_checks_passed": checks - failed,
        "rate": round(100 * (checks - failed) / checks, 1) if checks else None,
        "violations": sum((p["violations"] for p in pages.values()), Counter()),
        "to_review": sorted(set().union(*(p["incomplete"] for p in pages.values()))) if pages else [],
        "paths": sorted(pages),
    }


if __name__ == "__main__":  # python -m tests.a11y_support
    result = summary(Path(sys.argv[1]) if len(sys.argv) > 1 else ARTIFACTS)
    for key, value in result.items():
        print(f"{key}: {dict(value) if isinstance(value, Counter) else value}")
