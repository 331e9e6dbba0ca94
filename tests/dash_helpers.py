"""Helpers shared by the Dash tests: walking a layout tree, and waiting in browser tests."""

from __future__ import annotations

import time


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
