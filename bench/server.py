"""Starting and watching a real ``streamlit run`` on 127.0.0.1, and a tiny HTTP client for it."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _proc_status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _threads(pid: int) -> int | None:
    return _proc_status_kb(pid, "Threads")


@dataclass
class Usage:
    """Server process usage over a window: CPU seconds, peak and mean CPU %, peak RSS."""

    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    peak_cpu_percent: float = 0.0
    peak_rss_mb: float = 0.0
    peak_threads: int = 0
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (t, cpu %, rss MB)

    @property
    def mean_cpu_percent(self) -> float:
        return 100 * self.cpu_seconds / self.wall_seconds if self.wall_seconds else 0.0


class Sampler:
    """Samples /proc/<pid> every ``interval`` seconds in a thread (psutil is not a dependency)."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.pid = pid
        self.interval = interval
        self.usage = Usage()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Sampler:
        self._t0 = time.perf_counter()
        self._c0 = _proc_cpu_seconds(self.pid) or 0.0
        self._thread.start()
        return self

    def _run(self) -> None:
        last_t, last_c = self._t0, self._c0
        while not self._stop.wait(self.interval):
            t, c = time.perf_counter(), _proc_cpu_seconds(self.pid)
            if c is None:
                break
            pct = 100 * (c - last_c) / (t - last_t) if t > last_t else 0.0
            rss = (_proc_status_kb(self.pid, "VmRSS") or 0) / 1024
            u = self.usage
            u.peak_cpu_percent = max(u.peak_cpu_percent, pct)
            u.peak_rss_mb = max(u.peak_rss_mb, rss)
            u.peak_threads = max(u.peak_threads, _threads(self.pid) or 0)
            u.samples.append((t - self._t0, pct, rss))
            u.cpu_seconds, u.wall_seconds = c - self._c0, t - self._t0
            last_t, last_c = t, c

    def stop(self) -> Usage:
        self._stop.set()
        self._thread.join(timeout=5)
        hwm = _proc_status_kb(self.pid, "VmHWM")  # the kernel's own peak RSS of the process
        if hwm:
            self.usage.peak_rss_mb = max(self.usage.peak_rss_mb, hwm / 1024)
        return self.usage


class Server:
    """``streamlit run <script>`` on 127.0.0.1:<free port>, with the app's own config (cwd = repo)."""

    def __init__(
        self,
        script: str,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        log=None,
        profile=None,
        *,
        new_session: bool = False,
    ):
        self.cwd = ROOT
        # In a session (and process group) of its own, so kill() can take down everything it started.
        self.new_session = new_session
        self.profile = profile  # write a sampling profile of the server here (bench/sampler_profile.py)
        self.script = script
        self.port = free_port()
        self.env = {**os.environ, **(env or {})}
        self.args = args or []
        self.log_path = log
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Server:
        prof = ["-m", "bench.sampler_profile", str(self.profile), "--"] if self.profile else []
        if self.profile:
            self.env["PYTHONPATH"] = str(ROOT) + os.pathsep + self.env.get("PYTHONPATH", "")
        cmd = [
            sys.executable,
            *prof,
            "-m",
            "streamlit",
            "run",
            self.script,
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(self.port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            *self.args,
        ]
        out = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=self.new_session
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /_stcore/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    if b" 200 " in s.recv(100):
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not answer on port {self.port} within {timeout} s")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM (Streamlit shuts down cleanly and DuckDB closes its file), SIGKILL after ``timeout``."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    def kill(self, timeout: float = 15) -> int | None:
        """SIGKILL (``kill -9``, the OOM killer): no shutdown code runs, nothing is flushed or
        closed. With ``new_session`` the whole process group (anything streamlit spawned) goes too."""
        if self.proc is None:
            return None
        if self.new_session:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            self.proc.kill()
        return self.proc.wait(timeout)


# --- a small HTTP/1.1 client (keep-alive), enough to load a page's static files like a browser ---


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    size = 0
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            n = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if n == 0:
                await reader.readuntil(b"\r\n")
                break
            size += len(await reader.readexactly(n + 2)) - 2
    elif "content-length" in headers:
        n = int(headers["content-length"])
        size = len(await reader.readexactly(n))
    return status, size + len(head)


async def fetch_all(port: int, paths: list[str], connections: int = 6, timeout: float = 120) -> tuple[int, int, int]:
    """GET every path over ``connections`` keep-alive connections (a browser uses 6 per host on
    HTTP/1.1); returns (requests, failures, bytes)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for p in paths:
        queue.put_nowait(p)
    totals = [0, 0, 0]

    async def worker() -> None:
        reader = writer = None
        try:
            while not queue.empty():
                path = queue.get_nowait()
                for _attempt in range(2):
                    try:
                        if writer is None:
                            reader, writer = await asyncio.open_connection("127.0.0.1", port)
                        writer.write(
                            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\n"
                            "Accept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\n\r\n".encode()
                        )
                        await writer.drain()
                        status, size = await _read_response(reader)
                        totals[0] += 1
                        totals[2] += size
                        if status >= 400:
                            totals[1] += 1
                        break
                    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                        if writer is not None:
                            writer.close()
                        reader = writer = None
                else:
                    totals[0] += 1
                    totals[1] += 1
        finally:
            if writer is not None:
                writer.close()

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(max(1, connections)))), timeout)
    return totals[0], totals[1], totals[2]


_ASSET = re.compile(r'(?:src|href)="\./([^"]+)"')


async def page_assets(port: int) -> list[str]:
    """The files index.html makes a browser load before the app starts (scripts, CSS, font, icon)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    body = await reader.read()
    writer.close()
    found = [p for p in _ASSET.findall(body.decode("utf-8", "replace")) if "openapi" not in p]
    out = []
    for p in found:
        if "/" + p not in out:
            out.append("/" + p)
    # After the scripts run, the app asks for these before opening the websocket.
    return out + ["/_stcore/health", "/_stcore/host-config"]


SNAPSHOT_PARTS = ("app.py", "app_pages", "ui", "workshop", "data", ".streamlit", "bench/minimal_app.py")


def snapshot(dest: Path) -> Path:
    """Copy the app's files as they are now: a run is not disturbed by edits made meanwhile."""
    import shutil

    for part in SNAPSHOT_PARTS:
        src = ROOT / part
        if not src.exists():
            continue
        target = dest / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__", "*.duckdb*"))
        else:
            shutil.copy2(src, target)
    return dest


class Nginx:
    """nginx on 127.0.0.1:<free port> in front of a Streamlit server (or several: ``app_port`` a
    list), configured exactly as ``scripts/nginx_site.py`` configures a hall's server."""

    def __init__(self, out: Path, app_port: int | list[int]):
        self.out, self.app_port, self.port = out, app_port, free_port()
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> Nginx:
        sys.path.insert(0, str(ROOT / "scripts"))
        try:
            import nginx_site
        finally:
            sys.path.pop(0)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise RuntimeError("nginx is not installed (Debian: apt-get install nginx)")
        ports = self.app_port if isinstance(self.app_port, list) else [self.app_port]
        conf = nginx_site.write_site(self.out, f"127.0.0.1:{self.port}", [f"127.0.0.1:{p}" for p in ports])
        # nginx's workers run as an unprivileged user: they must be able to reach the static files
        # (a temporary directory is private to its owner).
        for d in (self.out.parent, self.out):
            d.chmod(0o755)
        self.proc = subprocess.Popen(
            [nginx, "-c", str(conf), "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}; see {self.out / 'error.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not listen on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
