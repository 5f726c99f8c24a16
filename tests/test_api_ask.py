"""`movierec ask`: the catalogue questions from the shell, on clean data built from kaggle-sample."""
import json, shutil

from conftest import movierec


def test_ask_prints_the_mensaje(clean_dir):
    r = movierec('ask', 'peliculas_duracion', 'TOY   story', '--clean-dir', clean_dir)
    assert r.stdout.strip() == 'Toy Story. Duración: 81 minutos. Año: 1995'


def test_ask_json(clean_dir):
    r = movierec('ask', 'get_director', 'john lasseter', '--clean-dir', clean_dir, '--json')
    b = json.loads(r.stdout)
    assert b['director'] == 'John Lasseter' and 862 in [f['id'] for f in b['peliculas']]


def test_ask_unknown_name_and_bad_month(clean_dir):
    r = movierec('ask', 'get_actor', 'Tom Hank', '--clean-dir', clean_dir, check=False)
    assert r.returncode == 2 and 'Tom Hanks' in r.stderr and 'Traceback' not in r.stderr
    r = movierec('ask', 'cantidad_filmaciones_mes', 'january', '--clean-dir', clean_dir, check=False)
    assert r.returncode == 2 and 'enero' in r.stderr and 'Traceback' not in r.stderr
    r = movierec('ask', 'nope', 'x', '--clean-dir', clean_dir, check=False)
    assert r.returncode == 2 and 'invalid choice' in r.stderr


def _hints(stderr:str)->list[str]:
    return [l.strip()[2:] for l in stderr.splitlines() if l.strip().startswith('- ')]


def test_ask_hints_equal_the_recommenders_suggestions(clean_dir, model_dir):
    "One matcher (movierec.names): the catalogue questions and `movierec recommend` suggest the same titles."
    a = movierec('ask', 'score_titulo', 'toy stroy', '--clean-dir', clean_dir, check=False)
    r = movierec('recommend', 'toy stroy', '--clean-dir', clean_dir, '--model-dir', model_dir, check=False)
    assert a.returncode == r.returncode == 2 and 'Traceback' not in a.stderr + r.stderr, (a.stderr, r.stderr)
    assert _hints(a.stderr) == _hints(r.stderr) and _hints(a.stderr)[0] == 'Toy Story (1995)', (a.stderr, r.stderr)
    a = movierec('ask', 'score_titulo', 'jumanjii', '--clean-dir', clean_dir, check=False)
    r = movierec('recommend', 'jumanjii', '--clean-dir', clean_dir, '--model-dir', model_dir, '--json')
    assert _hints(a.stderr)[0] == 'Jumanji (1995)' and json.loads(r.stdout)['query']['title'] == 'Jumanji', a.stderr


def test_ask_refuses_a_mixed_catalogue(tmp_path, clean_dir):
    "A table that is not the one the ETL manifest records (two runs into one folder) is named, with the fix."
    c = tmp_path/'clean'
    shutil.copytree(clean_dir, c)
    shutil.copy(c/'crew.parquet', c/'cast.parquet')
    r = movierec('ask', 'get_actor', 'Tom Hanks', '--clean-dir', c, check=False)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert 'cast.parquet is not the file its manifest records' in r.stderr and '`movierec etl`' in r.stderr, r.stderr
