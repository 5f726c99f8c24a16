"""`movierec ask`: the catalogue questions from the shell, on clean data built from kaggle-sample."""
import json

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
