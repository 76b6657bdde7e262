"""gunicorn's configuration, read automatically by ``gunicorn devolution_portal.wsgi`` run from this folder.

Tuned for the portal's traffic: short cached pages plus long streamed CSV/zip downloads (a million-row
export takes 25-75 s). Threaded workers (``gthread``) keep the master's heartbeat going while a thread
streams, so ``timeout`` only kills a worker that is really stuck, and one slow download never blocks
the other threads of its worker.

Everything that differs between machines comes from the environment:

- ``HOST``/``PORT``: where to listen (default 127.0.0.1:8000; put a proxy in front, never expose it).
- ``WEB_CONCURRENCY``: worker processes (default 2 x cores + 1, at most 8); ``GUNICORN_THREADS`` per worker.
- ``GUNICORN_TIMEOUT``: seconds of worker silence before the master kills it (default 120).
- ``GUNICORN_RUN_DIR``: where the pid file, control socket and worker heartbeat files go (default ``run/``).

Runtime files are named after the port, so several app servers (``make cluster``) can share ``run/``.
"""

import multiprocessing
import os
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent
_RUN = Path(os.environ.get("GUNICORN_RUN_DIR", _ROOT / "run"))
_RUN.mkdir(parents=True, exist_ok=True)

_host = os.environ.get("HOST", "127.0.0.1")
_port = os.environ.get("PORT", "8000")


def _port_from_command_line(default: str) -> str:
    """The port of a ``--bind``/``-b`` given on the command line (it overrides ``bind`` below), so that
    a server started with its own ``--bind`` (the benchmarks) gets its own runtime files too."""
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        value = None
        if arg in ("-b", "--bind") and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--bind="):
            value = arg.split("=", 1)[1]
        if value:
            return value.rsplit(":", 1)[-1].replace("/", "_")
    return default


_tag = _port_from_command_line(_port)

wsgi_app = "devolution_portal.wsgi:application"
bind = [f"{_host}:{_port}"]

# Workers: each is a process with its own database connections; threads share them per thread.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Timeouts: generous for streamed downloads (the heartbeat keeps going while a thread streams);
# graceful_timeout lets in-flight downloads finish on a reload or SIGTERM before workers are killed;
# keepalive suits a proxy (nginx) that reuses upstream connections.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "60"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "15"))

# Recycle workers now and then so slow memory growth never builds up; the jitter keeps the workers of
# one server (and the servers of a cluster) from restarting all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))

# Runtime files under run/ (git-ignored), one set per port.
pidfile = str(_RUN / f"gunicorn-{_tag}.pid")
control_socket = str(_RUN / f"gunicorn-{_tag}.ctl")
# Worker heartbeat files under run/ too. On a host whose disk can stall (a busy shared volume), point
# GUNICORN_WORKER_TMP_DIR at a RAM-backed folder such as /dev/shm, or a stalled heartbeat gets healthy
# workers killed.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or str(_RUN / "gunicorn-tmp")
os.makedirs(worker_tmp_dir, exist_ok=True)

# Requests to stdout (the process supervisor or `make serve`'s terminal keeps them), errors to stderr.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'

# Trust X-Forwarded-Proto only from a proxy on this machine (nginx in `make cluster`).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = f"portal-{_tag}"


def post_worker_init(worker):
    """If the master dies (SIGKILL, the OOM killer), a gthread worker notices within a second and stops
    accepting, but keeps its inherited listening socket open while it finishes its requests (up to
    graceful_timeout): new connections would then wait in a backlog nobody accepts, and a restarted
    master could not bind the port. Close the listeners at once instead, so the proxy is refused
    straight away and tries the other app server, and a new master can start."""
    check = getattr(worker, "is_parent_alive", None)
    if check is None or not hasattr(worker, "set_accept_enabled"):
        return

    def is_parent_alive():
        if check():
            return True
        worker.set_accept_enabled(False)
        for listener in worker.sockets:
            listener.close()
        return False

    worker.is_parent_alive = is_parent_alive
