"""Put nginx in front of the app for a big hall: static files precompressed and cached, the
websocket passed through.

Streamlit serves its 2.3 MB of JavaScript uncompressed from the one Python process that also runs
every participant's screen: 300 phones opening the join link within 10 s waited over a minute
(BENCHMARKS.md, join storm). nginx serves those files itself (gzip, ~4:1, browsers cache them for a
year; their names carry a content hash) and hands only the page and the websocket to Streamlit.

    python scripts/nginx_site.py --out /etc/planungswerkstatt/nginx --listen 0.0.0.0:80 --app 127.0.0.1:8501
    nginx -c /etc/planungswerkstatt/nginx/nginx.conf          # or include site.conf in your nginx

It writes ``static/`` (a copy of Streamlit's static files, each JS/CSS/SVG/JSON file with a
``.gz`` next to it), ``site.conf`` (a ``server`` block) and ``nginx.conf`` (a complete
configuration around it). Rerun it after upgrading Streamlit: the file names change with it.
The benchmark (``python -m bench.load --scenario storm --proxy nginx``) uses this same script.

Several app processes on one PostgreSQL database (``PW_DATABASE_URL``; README, "City-wide
deployment"): name each with ``--app``. nginx then balances them, and keeps each browser on one
(a Streamlit screen lives in the process its websocket reached): the first answer gives the
browser a random ``pw_replica`` cookie, and the same cookie always hashes to the same process.
If that process dies, nginx sends the browser to another one, where the screen starts afresh
from the URL and the database (a ballot sent but not acknowledged is resent by the phone).

    python scripts/nginx_site.py --out /srv/pw-nginx --listen 0.0.0.0:80 \
        --app 127.0.0.1:8501 --app 127.0.0.1:8502 --app 127.0.0.1:8503
"""

from __future__ import annotations

import argparse
import gzip
import shutil
from pathlib import Path

COMPRESS = {".js", ".css", ".svg", ".json", ".html", ".txt", ".map", ".ttf", ".otf", ".ico"}

SITE = """\
# Planungswerkstatt behind nginx: written by scripts/nginx_site.py
map $http_upgrade $pw_connection {{
    default upgrade;
    ''      close;
}}
{upstream}
server {{
    listen {listen};
    server_name _;
    client_max_body_size 25m;  # uploads: vision files and backups (Streamlit allows 20 MB)

    # Streamlit's hashed static files, straight from disk, precompressed.
    location /static/ {{
        alias {static}/;
        gzip_static on;
        gzip_vary on;
        expires 1y;
        add_header Cache-Control "public, immutable";
        access_log off;
    }}

    # The websocket every screen lives on. X-Forwarded-For is the real peer's address, never the
    # client's own header: the app trusts it from this proxy (the login slow-down counts per address).
    location /_stcore/stream {{
        proxy_pass http://{app};
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $pw_connection;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
        proxy_buffering off;
    }}

    # The page itself, health checks, uploads and downloads.
    location / {{
        proxy_pass http://{app};{sticky}
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        gzip on;
        gzip_types application/json text/css application/javascript;
    }}
}}
"""

MAIN = """\
# A complete nginx configuration around site.conf: written by scripts/nginx_site.py
worker_processes auto;
pid {out}/nginx.pid;
error_log {out}/error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    include {mime};
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    access_log off;
    client_body_temp_path {out}/tmp/body;
    proxy_temp_path {out}/tmp/proxy;
    fastcgi_temp_path {out}/tmp/fastcgi;
    uwsgi_temp_path {out}/tmp/uwsgi;
    scgi_temp_path {out}/tmp/scgi;
    include {out}/site.conf;
}}
"""


def streamlit_static() -> Path:
    import streamlit  # noqa: TID251 - a deployment script, not the domain package

    return Path(streamlit.__file__).parent / "static" / "static"


def copy_static(dest: Path) -> int:
    """Copy Streamlit's static files to ``dest`` with a .gz beside each compressible one."""
    src = streamlit_static()
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
    compressed = 0
    for path in dest.rglob("*"):
        if path.is_file() and path.suffix in COMPRESS:
            data = path.read_bytes()
            path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
            compressed += 1
    return compressed


def find_mime_types() -> str:
    for candidate in (
        "/etc/nginx/mime.types",
        "/usr/local/nginx/conf/mime.types",
        "/opt/homebrew/etc/nginx/mime.types",
    ):
        if Path(candidate).exists():
            return candidate
    raise SystemExit("nginx's mime.types not found: is nginx installed?")


# Several app processes: a browser keeps to one by its pw_replica cookie (nginx's own hash; the
# sticky cookie of the commercial nginx is not needed). A browser without the cookie gets one made
# of this request's id, and lands where that id hashes: the page and its websocket meet in one process.
UPSTREAM = """
map $cookie_pw_replica $pw_replica {{
    ""      $request_id;
    default $cookie_pw_replica;
}}

upstream planungswerkstatt {{
    hash $pw_replica consistent;
{servers}
}}
"""
STICKY = """
        add_header Set-Cookie "pw_replica=$pw_replica; Path=/; HttpOnly; SameSite=Lax" always;"""


def site_conf(listen: str, apps: list[str], static: Path) -> str:
    """The ``server`` block: one app process proxied directly, several balanced and sticky."""
    if len(apps) == 1:
        return SITE.format(listen=listen, app=apps[0], static=static, upstream="", sticky="")
    servers = "\n".join(f"    server {a} max_fails=1 fail_timeout=10s;" for a in apps)
    return SITE.format(
        listen=listen,
        app="planungswerkstatt",
        static=static,
        upstream=UPSTREAM.format(servers=servers),
        sticky=STICKY,
    )


def write_site(out: Path, listen: str, app: str | list[str]) -> Path:
    """Write static/, site.conf and nginx.conf into ``out``; returns the nginx.conf path."""
    apps = [app] if isinstance(app, str) else list(app)
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (out / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    copy_static(out / "static")
    (out / "site.conf").write_text(site_conf(listen, apps, out / "static"))
    conf = out / "nginx.conf"
    conf.write_text(MAIN.format(out=out, mime=find_mime_types()))
    return conf


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="directory for static/, site.conf, nginx.conf")
    p.add_argument("--listen", default="80", help="what nginx listens on, e.g. 80 or 0.0.0.0:8080")
    p.add_argument(
        "--app",
        action="append",
        help="where streamlit run listens (default 127.0.0.1:8501); repeat it for each app process",
    )
    args = p.parse_args(argv)
    conf = write_site(args.out, args.listen, args.app or ["127.0.0.1:8501"])
    print(f"wrote {conf}; start with: nginx -c {conf}")


if __name__ == "__main__":
    main()
