"""Headless Chromium driven over the DevTools protocol, for tests of report pages.

Finds Debian's ``chromium`` (installing it with apt-get when absent and permitted),
opens a page, records console errors, exceptions, dialogs and every network request,
checks the figures, and takes a screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PageVisit", "find_or_install_chromium", "visit"]

_NAMES = ("chromium", "chromium-browser")


def find_or_install_chromium() -> tuple[str | None, str]:
    """The Chromium executable, or None and the reason it is missing.

    When no ``chromium`` is on the PATH and this process may run apt-get (root, or
    password-less sudo), installs Debian's ``chromium`` package.
    """
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found, ""
    if shutil.which("apt-get") is None:
        return None, "chromium is not installed and apt-get is not available to install it"
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif (
        shutil.which("sudo")
        and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
    ):
        prefix = ["sudo", "-n"]
    else:
        return None, "chromium is not installed and apt-get needs root (no password-less sudo)"
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        done = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, env=environment, timeout=900
        )
        if done.returncode != 0:
            return (
                None,
                f"installing chromium failed: {' '.join(command)}: {done.stderr.strip()[-300:]}",
            )
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found, ""
    return None, "apt-get installed chromium but no chromium executable is on the PATH"


@dataclass
class PageVisit:
    """What happened while a page loaded."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    images: list[dict[str, object]] = field(default_factory=list)
    title: str = ""
    text: str = ""
    screenshot: bytes = b""
    probes: dict[str, object] = field(default_factory=dict)


class _DevTools:
    def __init__(self, url: str):
        import websocket  # websocket-client (a dev dependency)

        self.socket = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, object]] = []

    def call(self, method: str, **params: object) -> dict[str, object]:
        self.next_id += 1
        message_id = self.next_id
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 60.0) -> None:
        """Read events until ``event``; dismiss dialogs, which would block the page."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            while seen < len(self.events):
                method = self.events[seen].get("method")
                seen += 1
                if method == event:
                    return
                if method == "Page.javascriptDialogOpening":
                    self.call("Page.handleJavaScriptDialog", accept=True)
            self.events.append(json.loads(self.socket.recv()))
        raise TimeoutError(f"no {event} within {timeout} s")

    def close(self) -> None:
        self.socket.close()


@contextmanager
def _browser(executable: str, width: int = 1280) -> Iterator[str]:
    profile = tempfile.mkdtemp(prefix="aisfolio-chromium-")
    process = subprocess.Popen(
        [
            executable,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-port=0",
            "--remote-allow-origins=*",
            f"--user-data-dir={profile}",
            f"--window-size={width},1600",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = port_file.read_text().splitlines()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as reply:
            pages = [t for t in json.load(reply) if t.get("type") == "page"]
        yield str(pages[0]["webSocketDebuggerUrl"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


_IMAGES = """JSON.stringify(Array.from(document.images).map(i => ({
  plot: i.dataset.plot || null, complete: i.complete, width: i.naturalWidth,
  height: i.naturalHeight, scheme: i.src.split(':')[0]})))"""


def visit(
    executable: str, page: Path, width: int = 1280, probes: dict[str, str] | None = None
) -> PageVisit:
    """Open ``page`` (a local file) in a window ``width`` pixels wide and report what it
    did.

    Every network request the page makes is recorded (the page's own ``file:`` load
    included); console errors, uncaught exceptions and JavaScript dialogs (an executed
    ``alert``) too. The screenshot covers the whole page. ``probes`` maps names to
    JavaScript expressions evaluated once the page has loaded (their values, through
    JSON, in ``PageVisit.probes``).
    """
    result = PageVisit()
    with _browser(executable, width) as url:
        tools = _DevTools(url)
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                tools.call(f"{domain}.enable")
            tools.call("Page.navigate", url=page.resolve().as_uri())
            tools.wait_for("Page.loadEventFired")
            images = tools.call("Runtime.evaluate", expression=_IMAGES, returnByValue=True)
            result.images = json.loads(images["result"]["value"])  # type: ignore[index]
            title = tools.call("Runtime.evaluate", expression="document.title", returnByValue=True)
            result.title = str(title["result"]["value"])  # type: ignore[index]
            text = tools.call(
                "Runtime.evaluate", expression="document.body.innerText", returnByValue=True
            )
            result.text = str(text["result"]["value"])  # type: ignore[index]
            for name, expression in (probes or {}).items():
                value = tools.call(
                    "Runtime.evaluate",
                    expression=f"JSON.stringify({expression})",
                    returnByValue=True,
                )
                result.probes[name] = json.loads(value["result"]["value"])  # type: ignore[index]
            shot = tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            result.screenshot = base64.b64decode(str(shot["data"]))
            for event in tools.events:
                method, params = event.get("method"), event.get("params", {})
                assert isinstance(params, dict)
                if method == "Network.requestWillBeSent":
                    result.requests.append(str(params["request"]["url"])[:120])
                elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                    "error",
                    "assert",
                ):
                    result.console_errors.append(json.dumps(params.get("args"))[:300])
                elif method == "Runtime.exceptionThrown":
                    result.console_errors.append(json.dumps(params.get("exceptionDetails"))[:300])
                elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                    result.console_errors.append(str(params["entry"].get("text"))[:300])
                elif method == "Page.javascriptDialogOpening":
                    result.dialogs.append(str(params.get("message")))
        finally:
            tools.close()
    return result
