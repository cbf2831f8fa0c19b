"""A client for BIRD 2's control socket (what birdc speaks), without spawning birdc for every poll.

Replies are lines `CODE-text` (more lines follow), `CODE text` (last line of that code) or ` text` (continuation).
A reply ends with the line whose code is 0000, or with an error code 8xxx/9xxx followed by a space.
"""

import re
import socket
import time

_LINE = re.compile(r"^(\d{4})([ -])(.*)$")


class BirdError(Exception):
    """BIRD answered a command with an error code (8xxx runtime, 9xxx syntax)."""


class BirdControl:
    """One connection to a BIRD control socket; `command` sends a line and returns the reply's text lines."""

    def __init__(self, path, timeout=5.0):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = b""
        self._read_reply()  # 0001 BIRD x.y.z ready.

    @classmethod
    def wait(cls, path, deadline):
        """Connects once the socket accepts connections, or raises TimeoutError at the deadline."""
        last = None
        while time.monotonic() < deadline:
            try:
                return cls(path)
            except OSError as error:
                last = error
                time.sleep(0.02)
        raise TimeoutError(f"BIRD control socket {path} did not accept a connection: {last}")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def command(self, text):
        self.sock.sendall(text.encode() + b"\n")
        return self._read_reply()

    def _read_line(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"BIRD closed its control socket {self.path}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode(errors="replace")

    def _read_reply(self):
        lines = []
        while True:
            line = self._read_line()
            match = _LINE.match(line)
            if match is None:
                lines.append(line[1:] if line.startswith(" ") else line)
                continue
            code, sep, text = match.groups()
            if code[0] in "89" and sep == " ":
                raise BirdError(f"{code} {text}")
            if code == "0000":
                return lines
            if code == "0001" and sep == " ":
                return lines
            lines.append(text)


_STATE = re.compile(r"^\s*BGP state:\s+(\S+)", re.MULTILINE)
_ROUTES = re.compile(r"^\s*Routes:\s+(\d+) imported", re.MULTILINE)


def protocol_status(control, name):
    """Returns (BGP state, imported route count) of protocol `name` from `show protocols all` (O(1) in BIRD)."""
    text = "\n".join(control.command(f"show protocols all {name}"))
    state = _STATE.search(text)
    routes = _ROUTES.search(text)
    return (state.group(1) if state else "?", int(routes.group(1)) if routes else 0)
