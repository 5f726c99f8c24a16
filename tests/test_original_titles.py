"""Movies are found by their original title where the data has one (Il postino, Lola rennt, La Cité des Enfants
Perdus), by every face, while the movies table keeps the required drop of `original_title` (issue 12)."""
import json
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from conftest import movierec


def test_the_etl_keeps_original_titles_apart(clean_dir):
    assert 'original_title' not in pd.read_parquet(clean_dir/'movies.parquet').columns   # the required drop
    t = pd.read_parquet(clean_dir/'original_titles.parquet').set_index('movie_id')['original_title']
    assert t[11010] == 'Il postino' and t[104] == 'Lola rennt'
    assert 862 not in t.index   # Toy Story's original title is its title: nothing to add
    man = json.loads((clean_dir/'manifest.json').read_text())
    assert 'original_titles.parquet' in man['outputs']


@pytest.mark.parametrize('typed, title, year', [('Il postino', 'The Postman', 1994), ('lola rennt', 'Run Lola Run', 1998),
                                                ('la cite des enfants perdus', 'The City of Lost Children', 1995)])
def test_cli_finds_a_movie_by_its_original_title(clean_dir, model_dir, typed, title, year):
    r = movierec('recommend', typed, '-k', '2', '--json', '--clean-dir', clean_dir, '--model-dir', model_dir)
    assert json.loads(r.stdout)['query'] | {'title': title, 'year': year} == json.loads(r.stdout)['query']


def test_an_english_title_still_wins_over_an_original_one(clean_dir, model_dir):
    r = movierec('recommend', 'The Postman', '-k', '2', '--json', '--clean-dir', clean_dir, '--model-dir', model_dir)
    assert json.loads(r.stdout)['query']['year'] == 1997   # the most voted of the two movies really titled so


def test_api_and_catalogue_find_original_titles(clean_dir, model_dir):
    from movierec.api import create_app
    with TestClient(create_app(clean_dir=clean_dir, model_dir=model_dir)) as c:
        assert c.get('/movies/search', params={'q': 'lola rennt'}).json()['results'][0]['title'] == 'Run Lola Run'
        assert c.get('/score_titulo/Il postino').json()['anio'] == 1994
