"""`movierec pipeline`: stages re-run only when stale, and `--serve` brings up the API and the app (its readiness
check costs no kernel), then stops them and every kernel on Ctrl-C, SIGTERM, SIGHUP or its own `kill -9`."""
import json, os, signal, subprocess, urllib.request
import psutil, pytest
from conftest import BIN, movierec, free_port, Output, family, is_kernel, wait_until, kill_all


def test_up_to_date_stages_are_skipped(sample_raw, clean_dir, model_dir):
    r = movierec('pipeline', '--no-report', '--raw-dir', sample_raw, '--clean-dir', clean_dir, '--model-dir', model_dir)
    assert 'etl: ' in r.stdout and 'is up to date' in r.stdout
    assert 'train: ' in r.stdout and 'wrote' not in r.stdout


def test_missing_raw_folder_is_a_clear_error(tmp_path):
    r = movierec('pipeline', '--no-report', '--raw-dir', tmp_path/'nope', '--clean-dir', tmp_path/'c', '--model-dir', tmp_path/'m', check=False)
    assert r.returncode != 0 and 'Traceback' not in r.stderr
    assert 'kaggle' in (r.stdout + r.stderr).lower()


def test_busy_port_is_named_before_anything_starts(sample_raw, clean_dir, model_dir):
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen()
        busy = s.getsockname()[1]
        r = movierec('pipeline', '--no-report', '--serve', '--raw-dir', sample_raw, '--clean-dir', clean_dir,
                     '--model-dir', model_dir, '--api-port', free_port(), '--app-port', busy, check=False)
    assert r.returncode != 0 and f'port {busy}' in r.stderr and '--app-port' in r.stderr and 'Traceback' not in r.stderr


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name)
def test_serve_then_stop_everything(sample_raw, clean_dir, model_dir, sig):
    """Started with SIGINT ignored (as a script's background job is): each way of stopping the pipeline, its own
    `kill -9` included, stops the API, the app, Voila and every kernel."""
    api, app = free_port(), free_port()
    p = subprocess.Popen([str(BIN/'movierec'), 'pipeline', '--no-report', '--serve', '--raw-dir', str(sample_raw),
                          '--clean-dir', str(clean_dir), '--model-dir', str(model_dir),
                          '--api-port', str(api), '--app-port', str(app)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    out, kids = Output(p), []
    try:
        assert out.wait_for('Ctrl-C stops everything', 600), out.text
        assert 'movierec is up' in out.text
        with urllib.request.urlopen(f'http://127.0.0.1:{app}/movierec/health', timeout=60) as r:
            assert json.loads(r.read())['in_use'] == 0   # the readiness check took no kernel
        with urllib.request.urlopen(f'http://127.0.0.1:{api}/recomendacion/toy%20story', timeout=60) as r:
            assert r.status == 200 and b'recomendaciones' in r.read()
        with urllib.request.urlopen(f'http://127.0.0.1:{app}/', timeout=300) as r:
            assert r.status == 200
        assert wait_until(lambda: any(is_kernel(k) for k in family(p.pid)), 300)
        kids = family(p.pid)[1:]
        assert len(kids) >= 4, [k.cmdline() for k in kids]   # API, app launcher, Voila, kernels
        p.send_signal(sig)
        p.wait(120)
        _, alive = psutil.wait_procs(kids, timeout=120)
        assert not alive, f'left running: {[k.cmdline() for k in alive]}'
    finally:
        if p.poll() is None: os.killpg(p.pid, signal.SIGKILL)
        kill_all(kids + family(p.pid))
        p.wait(30)
