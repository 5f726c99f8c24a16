"""`movierec serve` as a real process: it starts, answers over HTTP, and refuses to start with a clear message
(and the command to run) when the clean data or the model is missing."""
import socket, subprocess, time
from pathlib import Path

import httpx
import pytest

from conftest import BIN, movierec


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def test_serve_answers_over_http(clean_dir, model_dir):
    port = _free_port()
    p = subprocess.Popen([str(BIN/'movierec'), 'serve', '--port', str(port), '--clean-dir', str(clean_dir), '--model-dir', str(model_dir)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, r = time.time() + 60, None
        while time.time() < deadline and p.poll() is None:
            try: r = httpx.get(f'http://127.0.0.1:{port}/health', timeout=2); break
            except httpx.TransportError: time.sleep(0.2)
        assert r is not None and r.status_code == 200, p.stdout.read() if p.poll() is not None else 'no answer'
        r = httpx.get(f'http://127.0.0.1:{port}/peliculas_duracion/Toy Story', timeout=5)
        assert (r.status_code, r.json()['duracion']) == (200, 81.0)
        r = httpx.get(f'http://127.0.0.1:{port}/recomendacion/toy story', timeout=5)
        assert r.status_code == 200 and len(r.json()['recomendaciones']) == 5
    finally:
        p.terminate(); p.wait(10)


def test_serve_refuses_missing_clean_data(tmp_path):
    r = movierec('serve', '--clean-dir', tmp_path/'nothing', '--model-dir', tmp_path/'models', check=False, timeout=60)
    assert r.returncode == 2 and 'movierec etl' in r.stderr and 'Traceback' not in r.stderr


def test_serve_refuses_missing_model(clean_dir, tmp_path):
    r = movierec('serve', '--clean-dir', clean_dir, '--model-dir', tmp_path/'no-models', check=False, timeout=60)
    assert r.returncode == 2 and 'movierec train' in r.stderr and 'Traceback' not in r.stderr


def test_serve_refuses_busy_port(clean_dir, model_dir):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
        r = movierec('serve', '--port', port, '--clean-dir', clean_dir, '--model-dir', model_dir, check=False, timeout=60)
    assert r.returncode == 2 and f'port {port}' in r.stderr and '--port' in r.stderr
