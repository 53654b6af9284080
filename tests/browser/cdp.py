"""A minimal Chrome DevTools Protocol driver for the listening-page test: headless Chromium,
one page, real mouse and keyboard input, downloads into a folder.

Needs the ``websocket-client`` package and a Chromium binary.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from pathlib import Path

import websocket

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--mute-audio", "--remote-debugging-port=0",
)
KEYS = {"Home": 36, "End": 35, "ArrowUp": 38, "ArrowDown": 40}


class CdpError(RuntimeError):
    pass


class Browser:
    """Start Chromium, attach to one fresh page; use as a context manager."""

    def __init__(self, chromium: str, profile: Path, downloads: Path, timeout: float = 20.0):
        self.deadline = time.monotonic() + timeout
        self.proc = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            port_file = profile / "DevToolsActivePort"
            while not (port_file.exists() and len(port_file.read_text().split()) == 2):
                if self.proc.poll() is not None:
                    err = self.proc.stderr.read()[-2000:].decode(errors="replace")
                    raise CdpError(f"chromium exited ({self.proc.returncode}): {err}")
                self._check_time("chromium to open its DevTools port")
                time.sleep(0.05)
            port, path = port_file.read_text().split()
            self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=10,
                                                  suppress_origin=True)
            self.next_id = 0
            self.events: list[dict] = []
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            self.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(downloads),
                      eventsEnabled=True)
            for domain in ("Page", "Runtime", "Log"):
                self.page(f"{domain}.enable")
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            with contextlib.suppress(Exception):
                self.call("Browser.close")
            ws.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def _check_time(self, what: str) -> None:
        if time.monotonic() > self.deadline:
            raise CdpError(f"timed out waiting for {what}")

    def call(self, method: str, session: str | None = None, **params) -> dict:
        """Send a command (browser-level, or to ``session``) and return its result."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            self._check_time(method)
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def page(self, method: str, **params) -> dict:
        return self.call(method, self.session, **params)

    def wait_event(self, method: str, match=lambda params: True) -> dict:
        """Wait for an event (already received or coming); return its params."""
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and match(event.get("params", {})):
                    return event["params"]
            seen = len(self.events)
            self._check_time(method)
            self.events.append(json.loads(self.ws.recv()))

    def events_named(self, method: str) -> list[dict]:
        return [e.get("params", {}) for e in self.events if e.get("method") == method]

    def open(self, url: str) -> None:
        self.page("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def js(self, expression: str):
        """Evaluate in the page (awaiting promises) and return the value."""
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CdpError(f"{expression[:80]}: {details.get('exception', {}).get('description', details)}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """Scroll an element into view and click its centre with the (real) mouse."""
        x, y = self.js(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " el.scrollIntoView({block: 'center'}); const r = el.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.page("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def key(self, name: str, times: int = 1) -> None:
        """Press a key on the focused element."""
        for _ in range(times):
            for kind in ("rawKeyDown", "keyUp"):
                self.page("Input.dispatchKeyEvent", type=kind, key=name, code=name,
                          windowsVirtualKeyCode=KEYS[name])
