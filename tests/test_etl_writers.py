"""Two `movierec etl` runs into one folder, and runs killed at random moments: the clean folder is always one whole
run (every table matches the checksum its manifest records), never a mix, and a killed run leaves no staging folder
behind once the next run is done (issue 10, items 4, 6 and 8)."""
import hashlib, json, os, random, signal, subprocess, time
from pathlib import Path
import pytest
from conftest import BIN, movierec, wait_until


def sha(p): return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def whole(out:Path)->str:
    "The fingerprint of the one run the folder holds; fails when a table does not match the manifest."
    man = json.loads((out/'manifest.json').read_text())
    assert sorted(p.name for p in out.glob('*.parquet')) == sorted(man['outputs'])
    for f, h in man['outputs'].items(): assert sha(out/f) == h, f'{f} is from another run than manifest.json'
    return man['fingerprint']


def etl(raw, out):
    env = {**os.environ, 'MPLBACKEND': 'Agg'}
    return subprocess.Popen([str(BIN/'movierec'), 'etl', '--raw-dir', str(raw), '--out', str(out), '--no-progress'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)


def test_two_runs_into_one_folder_publish_one_whole_catalogue(sample_raw, full_raw, tmp_path):
    out = tmp_path/'clean'
    a, b = etl(full_raw, out), etl(sample_raw, out)
    try:
        ra, rb = a.communicate(timeout=900), b.communicate(timeout=900)
    finally:
        for p in (a, b):
            if p.poll() is None: os.killpg(p.pid, signal.SIGKILL)
    assert a.returncode == 0, ra[1]
    assert b.returncode == 0, rb[1]
    fp = whole(out)
    printed = [r[0].strip().splitlines()[-1] for r in (ra, rb)]
    assert any(fp[:12] in line for line in printed), (fp, printed)   # the folder holds the run that published last
    assert not list(tmp_path.glob('.clean.staging.*'))


def test_a_killed_run_keeps_the_previous_catalogue_whole(sample_raw, full_raw, tmp_path):
    movierec('etl', '--raw-dir', full_raw, '--out', tmp_path/'full', '--no-progress')
    out = tmp_path/'clean'
    movierec('etl', '--raw-dir', sample_raw, '--out', out, '--no-progress')
    runs = {whole(out), whole(tmp_path/'full')}   # the ETL is deterministic: a run of either folder has this fingerprint
    rnd = random.Random(7)
    for i in range(4):
        p = etl(full_raw, out)
        try:
            time.sleep(rnd.uniform(0.5, 4.0))   # a random moment of the run: reading, cleaning, writing or publishing
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=60)
        finally:
            if p.poll() is None: os.killpg(p.pid, signal.SIGKILL)
        assert whole(out) in runs   # the sample's or the full catalogue, never a mix
    movierec('etl', '--raw-dir', sample_raw, '--out', out, '--no-progress')
    whole(out)
    assert not list(tmp_path.glob('.clean.staging.*')), list(tmp_path.iterdir())
    assert not list(tmp_path.glob('.clean.old.*'))
