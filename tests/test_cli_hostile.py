"""The `movierec` commands on inputs an outside user may type: Unicode digits for a title, output folders that cannot
be folders, every command's --help and a wrong flag. A clear `error:` line and a non-zero exit, never a traceback."""
import json
from pathlib import Path
import pytest
from conftest import movierec

COMMANDS = ['etl', 'train', 'recommend', 'ask', 'evaluate', 'report', 'serve', 'app', 'pipeline']


@pytest.mark.parametrize('cmd', COMMANDS)
def test_help_and_wrong_flag(cmd):
    h = movierec(cmd, '--help')
    assert h.stdout.startswith(f'usage: movierec {cmd}'), h.stdout
    r = movierec(cmd, '--no-such-flag', check=False)   # commands with required arguments name those first
    assert r.returncode == 2 and r.stderr.startswith(f'usage: movierec {cmd}') and f'movierec {cmd}: error: ' in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr


@pytest.mark.parametrize('title', ['²', '٨٦٢', '(1995)'])
def test_recommend_title_that_only_looks_like_an_id(clean_dir, model_dir, title):
    r = movierec('recommend', title, '--clean-dir', clean_dir, '--model-dir', model_dir, check=False)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert r.stderr.startswith(f"error: unknown title '{title}'"), r.stderr


def test_recommend_ascii_id_and_numeric_title(clean_dir, model_dir):
    "An id gives its movie; a title made of digits ('54', 1998) is a title first."
    r = movierec('recommend', '862', '-k', '1', '--json', '--clean-dir', clean_dir, '--model-dir', model_dir)
    assert json.loads(r.stdout)['query']['title'] == 'Toy Story'
    r = movierec('recommend', '54', '-k', '1', '--json', '--clean-dir', clean_dir, '--model-dir', model_dir)
    assert json.loads(r.stdout)['query'] == {'id': 3682, 'title': '54', 'year': 1998}


@pytest.fixture
def a_file(tmp_path):
    f = tmp_path/'a_file'; f.write_text('x'); return f


def test_train_into_a_file(clean_dir, a_file):
    r = movierec('train', '--clean-dir', clean_dir, '--model-dir', a_file, check=False)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert r.stderr.startswith('error: cannot create the model folder') and f'{a_file} is a file, not a folder' in r.stderr, r.stderr


@pytest.mark.parametrize('where', ['a_file', 'under_a_file'])
def test_report_into_a_file(clean_dir, a_file, where):
    out = a_file if where == 'a_file' else a_file/'reports'
    r = movierec('report', 'eda', '--clean-dir', clean_dir, '--out', out, check=False)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert r.stderr.startswith('error: ') and 'report folder' in r.stderr and 'is a file, not a folder' in r.stderr, r.stderr


@pytest.fixture
def damaged(tmp_path, clean_dir, model_dir):
    "Copies of the clean data and models, to damage."
    import shutil
    c, m = tmp_path/'clean', tmp_path/'models'
    shutil.copytree(clean_dir, c); shutil.copytree(model_dir, m)
    return c, m


@pytest.mark.parametrize('damage, message', [
    ('clean manifest not JSON', 'manifest.json is damaged'), ('clean manifest a list', 'not a JSON object'),
    ('movies.parquet cut short', 'with `movierec etl`'),
    ('neighbours.npz cut short', 'is incomplete or damaged'), ('tfidf.npz cut short', 'is incomplete or damaged')])
@pytest.mark.parametrize('cmd', ['recommend', 'evaluate', 'ask'])
def test_damaged_artifacts_are_named(damaged, damage, message, cmd):
    c, m = damaged
    target = {'clean manifest not JSON': c/'manifest.json', 'clean manifest a list': c/'manifest.json',
              'movies.parquet cut short': c/'movies.parquet', 'neighbours.npz cut short': m/'fields'/'neighbours.npz',
              'tfidf.npz cut short': m/'fields'/'tfidf.npz'}[damage]
    target.write_bytes({'clean manifest not JSON': b'{cut', 'clean manifest a list': b'[1, 2]'}.get(damage, target.read_bytes()[:300]))
    args = {'recommend': ['recommend', 'toy story', '--clean-dir', c, '--model-dir', m],
            'evaluate': ['evaluate', '--clean-dir', c, '--model-dir', m],
            'ask': ['ask', 'peliculas_idioma', 'en', '--clean-dir', c]}[cmd]
    r = movierec(*args, check=False)
    assert 'Traceback' not in r.stderr, r.stderr
    if cmd == 'ask' and damage.startswith(('neighbours', 'tfidf')):   # the catalogue questions need no model
        assert r.returncode == 0, r.stderr
    else:   # every reader checks the tables against the manifest's checksums, so a damaged manifest stops them all
        assert r.returncode == 2 and r.stderr.startswith('error: ') and message in r.stderr, r.stderr


@pytest.mark.parametrize('args, message', [(['-k', '0'], 'k must be a positive integer, got 0'),
                                           (['-k', '-1'], 'k must be a positive integer, got -1'),
                                           (['--name', ''], 'give model names')])
def test_evaluate_bad_arguments(clean_dir, model_dir, args, message):
    r = movierec('evaluate', *args, '--clean-dir', clean_dir, '--model-dir', model_dir, check=False)
    assert r.returncode == 2 and 'Traceback' not in r.stderr and r.stderr.startswith(f'error: {message}'), (r.stdout, r.stderr)


def test_serve_names_the_real_bind_problem(clean_dir, model_dir):
    "A host that is no address is not reported as a port in use; a port in use is."
    import socket
    r = movierec('serve', '--host', '256.1.1.1', '--clean-dir', clean_dir, '--model-dir', model_dir, check=False, timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("error: cannot listen on --host '256.1.1.1'") and 'in use' not in r.stderr, r.stderr
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); s.listen(); port = s.getsockname()[1]
        r = movierec('serve', '--port', port, '--clean-dir', clean_dir, '--model-dir', model_dir, check=False, timeout=60)
    assert r.returncode == 2 and r.stderr.startswith(f'error: port {port} on 127.0.0.1 is in use'), r.stderr


def test_swapped_folders_get_a_pointer(clean_dir, model_dir, sample_raw):
    "The folder of one model for --model-dir, the raw folder for --clean-dir: the message says what to pass instead."
    r = movierec('recommend', 'toy story', '--clean-dir', clean_dir, '--model-dir', model_dir/'fields', check=False)
    assert r.returncode == 2 and f'--model-dir {model_dir} --name fields' in r.stderr, r.stderr
    r = movierec('recommend', 'toy story', '--clean-dir', sample_raw, '--model-dir', model_dir, check=False)
    assert r.returncode == 2 and f'this is a raw folder: movierec etl --raw-dir {sample_raw} --out DIR' in r.stderr, r.stderr
