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
