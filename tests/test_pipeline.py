"""`movierec pipeline`: stages re-run only when stale, and `--serve` brings up the API and the app, then stops
them and every kernel on SIGTERM / Ctrl-C."""
import os, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import psutil, pytest
from conftest import BIN, movierec


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def test_up_to_date_stages_are_skipped(sample_raw, clean_dir, model_dir):
    r = movierec('pipeline', '--no-report', '--raw-dir', sample_raw, '--clean-dir', clean_dir, '--model-dir', model_dir)
    assert 'etl: ' in r.stdout and 'is up to date' in r.stdout
    assert 'train: ' in r.stdout and 'wrote' not in r.stdout


def test_missing_raw_folder_is_a_clear_error(tmp_path):
    r = movierec('pipeline', '--no-report', '--raw-dir', tmp_path/'nope', '--clean-dir', tmp_path/'c', '--model-dir', tmp_path/'m', check=False)
    assert r.returncode != 0 and 'Traceback' not in r.stderr
    assert 'kaggle' in (r.stdout + r.stderr).lower()


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_serve_then_stop_everything(sample_raw, clean_dir, model_dir, sig):
    api, app = _free_port(), _free_port()
    p = subprocess.Popen([str(BIN/'movierec'), 'pipeline', '--no-report', '--serve', '--raw-dir', str(sample_raw),
                          '--clean-dir', str(clean_dir), '--model-dir', str(model_dir),
                          '--api-port', str(api), '--app-port', str(app)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    out, kids = [], []
    try:
        end = time.monotonic() + 240
        while time.monotonic() < end:
            line = p.stdout.readline()
            if not line and p.poll() is not None: break
            out.append(line)
            if 'Ctrl-C stops everything' in line: break
        text = ''.join(out)
        assert 'movierec is up' in text, text
        with urllib.request.urlopen(f'http://127.0.0.1:{api}/recomendacion/toy%20story', timeout=10) as r:
            assert r.status == 200 and b'recomendaciones' in r.read()
        with urllib.request.urlopen(f'http://127.0.0.1:{app}/', timeout=60) as r:
            assert r.status == 200
        kids = psutil.Process(p.pid).children(recursive=True)
        assert len(kids) >= 3   # API, app launcher, Voila (and its kernels)
        p.send_signal(sig)
        p.wait(60)
        gone, alive = psutil.wait_procs(kids, timeout=30)
        assert not alive, f'left running: {[k.cmdline() for k in alive]}'
    finally:
        if p.poll() is None: os.killpg(p.pid, signal.SIGKILL)
        for k in kids:
            try: k.kill()
            except psutil.NoSuchProcess: pass
