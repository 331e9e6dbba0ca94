"""Helpers shared by the Dash tests: walking a layout tree, and in browser tests the app in a
headless Chromium and waiting for the page."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

SHOTS = Path("/tmp/shots")   # screenshots of the browser tests


@contextmanager
def browser_app(downloads: Path, wait_timeout: float = 10, warehouse: Path | None = None):
    """The app (no prewarm) in a thread of this process and a headless Chromium driving it
    (a dash[testing] composite, 1440 x 1000); it serves the warehouse MTEB_LB_WAREHOUSE names at
    each request (`warehouse`, when given, for as long as the app runs). Needs the `chromium`
    fixture first (DASH_TEST_CHROMEPATH)."""
    from dash.testing.application_runners import ThreadedRunner
    from dash.testing.composite import DashComposite

    from app.main import create_app

    SHOTS.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as mp, ThreadedRunner() as server:
        if warehouse is not None:
            mp.setenv("MTEB_LB_WAREHOUSE", str(warehouse))
        with DashComposite(server=server, browser="Chrome", headless=True,
                           download_path=str(downloads), percy_run=False,
                           wait_timeout=wait_timeout) as dc:
            dc.driver.set_window_size(1440, 1000)
            # the tests patch the rankings between two loads of one page of one build, which a
            # served app never sees: every page is rendered (no kept answers, app/answers.py)
            dc.start_server(create_app(prewarm=False, keep_answers=False))
            dc.downloads = downloads
            yield dc


def go(duo, path: str):
    """Open `path` of the app and wait for the page's content."""
    duo.driver.get(duo.server_url + path)
    duo.wait_for_element("#_pages_content > *", timeout=10)


def query_of(duo) -> dict:
    """The browser's current URL query, as lists per key."""
    return parse_qs(urlparse(duo.driver.current_url).query, keep_blank_values=True)


def find(component, component_id):
    """The component with this id in a layout tree (or None)."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    if children is None and isinstance(component, (list, tuple)):
        children = component
    if isinstance(children, (list, tuple)):
        for child in children:
            found = find(child, component_id)
            if found is not None:
                return found
    elif children is not None and not isinstance(children, (str, int, float)):
        return find(children, component_id)
    return None


def text_of(component) -> str:
    """All the text of a layout tree, space-separated."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


def until(condition, timeout: float = 10, what: str = "condition"):
    """Poll `condition` until it returns something truthy (a re-rendered element may raise
    while it is read: that counts as not yet)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = condition()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


# --------------------------------------------------------------------------------------------
# the new-user walk (tests/test_browser_walk.py): screenshots at two widths, console logs
# --------------------------------------------------------------------------------------------

WIDE, NARROW = 1600, 420


def artifacts_dir() -> Path:
    """Where the walk's screenshots go: $MTEB_LB_TEST_ARTIFACTS, else tests/artifacts
    (gitignored)."""
    import os

    folder = Path(os.environ.get("MTEB_LB_TEST_ARTIFACTS")
                  or Path(__file__).parent / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shots_at_two_widths(duo, name: str, height: int = 1000) -> list[Path]:
    """Screenshots of the page as it is at 1600 px and 420 px wide (then back to 1440)."""
    out = []
    for width in (WIDE, NARROW):
        duo.driver.set_window_size(width, height)
        time.sleep(0.5)
        path = artifacts_dir() / f"{name}_{width}.png"
        duo.driver.save_screenshot(str(path))
        out.append(path)
    duo.driver.set_window_size(1440, 1000)
    time.sleep(0.3)
    return out
