"""`movierec serve` as a real process: it starts, answers over HTTP, and refuses to start with a clear message
(and the command to run) when the clean data or the model is missing."""
import os, re, signal, socket, subprocess, time
from pathlib import Path

import httpx
import psutil
import pytest

from conftest import BIN, movierec, free_port, wait_until, family, kill_all


def _serve(port, clean_dir, model_dir, *more):
    return subprocess.Popen([str(BIN/'movierec'), 'serve', '--port', str(port), '--clean-dir', str(clean_dir),
                             '--model-dir', str(model_dir), *more], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _health(port):
    try: return httpx.get(f'http://127.0.0.1:{port}/health', timeout=5, headers={'Connection': 'close'}).status_code
    except httpx.TransportError: return None


def _stop(p):
    kids = family(p.pid)
    p.terminate()
    try: p.wait(60)
    finally: kill_all(kids)


def test_serve_answers_over_http(clean_dir, model_dir):
    "One process (the other tests run the default, forked workers)."
    port = free_port()
    p = _serve(port, clean_dir, model_dir, '--workers', '1')
    try:
        up = wait_until(lambda: p.poll() is not None or _health(port) == 200, timeout=180)
        assert up and p.poll() is None, p.stdout.read() if p.poll() is not None else 'no answer'
        t = time.perf_counter()
        r = httpx.get(f'http://127.0.0.1:{port}/peliculas_duracion/Toy Story', timeout=5)
        waited = (time.perf_counter() - t) * 1e3
        assert (r.status_code, r.json()['duracion']) == (200, 81.0)
        name, _, ms = r.headers['server-timing'].partition(';dur=')   # the server's own part of the wait
        assert name == 'app' and 0 < float(ms) <= waited
        r = httpx.get(f'http://127.0.0.1:{port}/recomendacion/toy story', timeout=5)
        assert r.status_code == 200 and len(r.json()['recomendaciones']) == 5
    finally: _stop(p)


def test_restart_right_after_stop(clean_dir, model_dir):
    "Connections the server closed are in TIME_WAIT on its port after a stop: a restart at once must still work."
    port = free_port()
    p = _serve(port, clean_dir, model_dir)
    try:
        assert wait_until(lambda: p.poll() is not None or _health(port) == 200, timeout=180) and p.poll() is None
        for _ in range(3): assert _health(port) == 200   # 'Connection: close': the server closes first
    finally: _stop(p)
    tw = [c for c in psutil.net_connections('tcp') if c.laddr and c.laddr.port == port and c.status == 'TIME_WAIT']
    p = _serve(port, clean_dir, model_dir)
    try:
        up = wait_until(lambda: p.poll() is not None or _health(port) == 200, timeout=180)
        assert up and p.poll() is None, (len(tw), p.stdout.read() if p.poll() is not None else 'no answer')
    finally: _stop(p)


def _workers(p):
    try: return [c.pid for c in psutil.Process(p.pid).children() if c.status() != psutil.STATUS_ZOMBIE]
    except psutil.Error: return []


def test_serve_workers_share_restart_and_stop(clean_dir, model_dir):
    "--workers 2: forked once loaded (the loaded pages shared, not copied); one killed is replaced; SIGTERM stops all."
    port = free_port()
    p = _serve(port, clean_dir, model_dir, '--workers', '2')
    try:
        up = wait_until(lambda: p.poll() is not None or (_health(port) == 200 and len(_workers(p)) == 2), timeout=180)
        assert up and p.poll() is None, p.stdout.read() if p.poll() is not None else 'no answer'
        first = _workers(p)
        mem = [psutil.Process(w).memory_full_info() for w in first]
        assert all(m.uss < m.rss / 3 for m in mem), mem   # most of each worker is the parent's pages
        os.kill(first[0], signal.SIGKILL)
        assert wait_until(lambda: len(w := _workers(p)) == 2 and first[0] not in w, timeout=60), _workers(p)
        assert wait_until(lambda: _health(port) == 200, timeout=60)
        r = httpx.post(f'http://127.0.0.1:{port}/recommendations', json={'liked': [862, 'Jumanji']}, timeout=10)
        assert r.status_code == 200 and len(r.json()['recommendations']) == 10
        now = _workers(p)
        p.terminate()
        assert p.wait(60) == 0
        assert wait_until(lambda: not any(psutil.pid_exists(w) for w in now), timeout=30)
    finally: _stop(p)
    assert 'was killed by SIGKILL: starting it again' in p.stdout.read()


def test_serve_refuses_missing_clean_data(tmp_path):
    r = movierec('serve', '--clean-dir', tmp_path/'nothing', '--model-dir', tmp_path/'models', check=False, timeout=60)
    assert r.returncode == 2 and 'movierec etl' in r.stderr and 'Traceback' not in r.stderr


def test_serve_refuses_missing_model(clean_dir, tmp_path):
    r = movierec('serve', '--clean-dir', clean_dir, '--model-dir', tmp_path/'no-models', check=False, timeout=60)
    assert r.returncode == 2 and 'movierec train' in r.stderr and 'Traceback' not in r.stderr


def test_serve_refuses_busy_port(clean_dir, model_dir):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        r = movierec('serve', '--port', port, '--clean-dir', clean_dir, '--model-dir', model_dir, check=False, timeout=60)
    assert r.returncode == 2 and f'port {port}' in r.stderr and '--port' in r.stderr


def test_serve_replaces_a_hung_worker(clean_dir, model_dir):
    "A worker whose event loop stops (here SIGSTOP) sends no heartbeat: after --worker-timeout it is replaced."
    port = free_port()
    p = _serve(port, clean_dir, model_dir, '--workers', '2', '--worker-timeout', '3')
    try:
        up = wait_until(lambda: p.poll() is not None or (_health(port) == 200 and len(_workers(p)) == 2), timeout=180)
        assert up and p.poll() is None, p.stdout.read() if p.poll() is not None else 'no answer'
        first = _workers(p)
        os.kill(first[0], signal.SIGSTOP)
        assert wait_until(lambda: len(w := _workers(p)) == 2 and first[0] not in w, timeout=60), _workers(p)
        assert first[1] in _workers(p)                 # the one that kept beating was left alone
        assert wait_until(lambda: _health(port) == 200, timeout=60)
        r = httpx.post(f'http://127.0.0.1:{port}/recommendations', json={'liked': [862, 'Jumanji']}, timeout=10)
        assert r.status_code == 200 and len(r.json()['recommendations']) == 10
        p.terminate()
        assert p.wait(60) == 0
    finally: _stop(p)
    out = p.stdout.read()
    assert re.search(rf'\(pid {first[0]}\) sent no heartbeat for \d+ s: killing it', out), out[-2000:]
    assert f'(pid {first[0]}) was killed by SIGKILL: starting it again' in out
