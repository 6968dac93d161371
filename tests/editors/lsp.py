"""A minimal Language Server Protocol client over stdio, enough to ask yaml-language-server what an editor
would show: completion, hover and the diagnostics it publishes. JSON-RPC 2.0 with Content-Length framing."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from queue import Empty, Queue
from typing import Any

SETTINGS = {"yaml": {"validate": True, "hover": True, "completion": True, "format": {"enable": False},
                     "schemaStore": {"enable": False}, "schemas": {}}}


class Client:
    def __init__(self, command: list[str], root: Path) -> None:
        self.process = subprocess.Popen([*command, "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.ids = 0
        self.inbox: Queue[dict[str, Any]] = Queue()
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {"processId": None, "rootUri": root.as_uri(),
                                    "capabilities": {"workspace": {"configuration": True},
                                                     "textDocument": {"hover": {"contentFormat": ["markdown"]},
                                                                      "completion": {"completionItem": {}}}}})
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": SETTINGS})

    def _read(self) -> None:
        out = self.process.stdout
        assert out is not None
        while True:
            length = 0
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            self.inbox.put(json.loads(out.read(length)))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 30) -> Any:
        self.ids += 1
        self._send({"id": self.ids, "method": method, "params": params})
        return self._wait(lambda m: m.get("id") == self.ids and "method" not in m, timeout).get("result")

    def _wait(self, done: Any, timeout: float) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                message = self.inbox.get(timeout=max(end - time.monotonic(), 0.01))
            except Empty:
                break
            if message.get("method") == "workspace/configuration":  # the server asks for its settings
                items = message["params"]["items"]
                self._send({"id": message["id"], "result": [SETTINGS.get(i.get("section", ""), SETTINGS["yaml"])
                                                           if i.get("section") != "yaml" else SETTINGS["yaml"]
                                                           for i in items]})
            elif "method" in message and "id" in message:  # any other request: an empty answer
                self._send({"id": message["id"], "result": None})
            elif message.get("method") == "textDocument/publishDiagnostics":
                self.diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
            if done(message):
                return message
        raise TimeoutError("yaml-language-server did not answer")

    def open(self, path: Path) -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                              "text": path.read_text(encoding="utf-8")}})
        return uri

    def published(self, uri: str, timeout: float = 30) -> list[dict[str, Any]]:
        """The diagnostics the server publishes for `uri` once it has validated it against its schema."""
        self._wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                   and m["params"]["uri"] == uri, timeout)
        return self.diagnostics[uri]

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=5)
            self.notify("exit", None)
        except (TimeoutError, BrokenPipeError):
            pass
        self.process.kill()
        self.process.wait(timeout=10)
