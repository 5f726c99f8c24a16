"""Shared fixtures for the cross-process tests: the real kaggle-sample raw folder, and clean data + model
built from it once per test session by the real CLI."""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get('MOVIEREC_SHARED_DATA', ROOT.parent/'shared'/'data'/'movies-dataset'))
BIN = Path(sys.executable).parent


def movierec(*args, check=True, timeout=600, env=None, **kw):
    "Run the `movierec` CLI of this environment in a subprocess."
    e = {**os.environ, 'MPLBACKEND': 'Agg', **(env or {})}
    r = subprocess.run([str(BIN/'movierec'), *map(str, args)], capture_output=True, text=True, timeout=timeout, env=e, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f'movierec {" ".join(map(str, args))} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}')
    return r


@pytest.fixture(scope='session')
def sample_raw():
    d = SHARED/'kaggle-sample'
    if not d.is_dir(): pytest.fail(f'the shared kaggle-sample folder is missing: {d}')
    return d


@pytest.fixture(scope='session')
def full_raw():
    d = SHARED/'reconstructed-full'
    if not d.is_dir(): pytest.fail(f'the shared reconstructed-full folder is missing: {d}')
    return d


@pytest.fixture(scope='session')
def clean_dir(sample_raw, tmp_path_factory):
    out = tmp_path_factory.mktemp('clean')
    movierec('etl', '--raw-dir', sample_raw, '--out', out)
    return out


@pytest.fixture(scope='session')
def model_dir(clean_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp('models')
    movierec('train', '--clean-dir', clean_dir, '--model-dir', out)
    return out


# --- processes: free ports, reading a child's output with deadlines, and leaving nothing behind -------------------

def free_port()->int:
    "A loopback port nothing listens on (the system picks it)."
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Output:
    "Collect a child's text stdout in a thread, so tests wait for a line with a deadline instead of blocking."
    def __init__(self, proc):
        import threading
        self.proc, self.lines, self.new = proc, [], threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.new:
                self.lines.append(line)
                self.new.notify_all()
        with self.new:
            self.lines.append('')
            self.new.notify_all()

    @property
    def text(self)->str: return ''.join(self.lines)

    def wait_for(self, marker:str, timeout:float=300)->bool:
        "True once a line holds `marker`; False at the deadline or when the output ended without it."
        import time
        end = time.monotonic() + timeout
        with self.new:
            while marker not in self.text:
                if (self.lines and self.lines[-1] == '') or time.monotonic() > end: return False
                self.new.wait(min(1, max(0.01, end - time.monotonic())))
        return True


def family(pid:int)->list:
    "The process `pid` and all its descendants (psutil objects; empty once it is gone)."
    import psutil
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error: return []


def is_kernel(p)->bool:
    import psutil
    try: return 'ipykernel' in ' '.join(p.cmdline())
    except psutil.Error: return False


def wait_until(cond, timeout:float=120, every:float=0.2)->bool:
    "Poll `cond` until it is true or the deadline passes (a condition wait, not a fixed sleep)."
    import time
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end: return False
        time.sleep(every)
    return True


def kill_all(procs):
    "SIGKILL every psutil process in `procs` still running and reap them (test clean-up)."
    import psutil
    for p in procs:
        try: p.kill()
        except psutil.Error: pass
    psutil.wait_procs(procs, timeout=30)
