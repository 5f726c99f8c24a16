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
