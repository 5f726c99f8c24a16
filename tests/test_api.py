"""The API in-process (FastAPI TestClient) on clean data + model built from kaggle-sample by the real CLI.
Expected values are recomputed from the clean tables with plain pandas, or are facts of the raw rows."""
import json
from urllib.parse import quote

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from movierec.api import create_app
from movierec.names import normalize_name
from movierec.queries import MIN_VOTOS
from movierec.recommend import Recommender
from conftest import movierec


@pytest.fixture(scope='module')
def client(clean_dir, model_dir):
    with TestClient(create_app(clean_dir=clean_dir, model_dir=model_dir)) as c: yield c


@pytest.fixture(scope='module')
def movies(clean_dir):
    return pd.read_parquet(clean_dir/'movies.parquet')


def ok(client, url, **params):
    r = client.get(url, params=params or None)
    assert r.status_code == 200, (url, r.status_code, r.text)
    body = r.json()
    assert isinstance(body.get('mensaje'), str) and body['mensaje'], body
    return body


def err(client, url, status, **params):
    r = client.get(url, params=params or None)
    assert r.status_code == status, (url, r.status_code, r.text)
    body = r.json()
    assert set(body) == {'detail', 'sugerencias', 'errores'} and body['detail'], body
    return body


def test_health(client, movies):
    b = ok(client, '/health')
    assert b['status'] == 'ok' and b['movies'] == len(movies) and b['model']


# ---- catalogue questions: happy paths, checked against the data ----

def test_peliculas_duracion_toy_story(client):
    for q in ['Toy Story', 'TOY   story', 'toy-story!', 'Toy Story (1995)']:
        b = ok(client, f'/peliculas_duracion/{q}')
        assert (b['id'], b['titulo'], b['duracion'], b['anio']) == (862, 'Toy Story', 81.0, 1995), q
    assert 'Duración: 81 minutos' in b['mensaje']


def test_names_with_a_slash(client, movies):
    row = movies[movies['title'] == 'Victor/Victoria'].iloc[0]
    for path in ['Victor/Victoria', 'victor%2Fvictoria', 'VICTOR VICTORIA']:
        b = ok(client, f'/peliculas_duracion/{path}')
        assert (b['id'], b['duracion']) == (int(row['id']), row['runtime']), path


def test_peliculas_idioma(client, movies):
    for code in ['en', 'fr', 'it']:
        expected = int((movies['original_language'] == code).sum())
        assert expected > 0
        assert ok(client, f'/peliculas_idioma/{code}')['cantidad'] == expected
    assert ok(client, '/peliculas_idioma/EN')['cantidad'] == int((movies['original_language'] == 'en').sum())


def test_franquicia(client, movies):
    name = movies['collection_name'].value_counts().index[0]       # the largest franchise of the data
    ts = movies[movies['collection_name'] == name]
    assert len(ts) >= 2
    b = ok(client, f'/franquicia/{name.lower()}')
    assert b['cantidad'] == len(ts)
    assert b['ganancia_total'] == pytest.approx(ts['revenue'].sum())
    assert b['ganancia_promedio'] == pytest.approx(ts['revenue'].mean())
    assert b['retorno'] == pytest.approx(ts['revenue'].sum() / ts['budget'].sum())
    b = ok(client, '/franquicia/toy story')                            # without the trailing "Collection"
    assert (b['franquicia'], b['cantidad']) == ('Toy Story Collection', int((movies['collection_name'] == 'Toy Story Collection').sum()))


def test_peliculas_pais(client, movies):
    n_us = int(movies['countries'].map(lambda v: 'United States of America' in list(v)).sum())
    n_fr = int(movies['country_codes'].map(lambda v: 'FR' in list(v)).sum())
    assert ok(client, '/peliculas_pais/United States of America')['cantidad'] == n_us
    assert ok(client, '/peliculas_pais/united states of america')['cantidad'] == n_us
    b = ok(client, '/peliculas_pais/FR')
    assert (b['pais'], b['cantidad']) == ('France', n_fr)


def test_productoras_exitosas(client, movies):
    pix = movies[movies['companies'].map(lambda v: 'Pixar Animation Studios' in list(v))]
    b = ok(client, '/productoras_exitosas/pixar animation studios')
    assert (b['productora'], b['cantidad']) == ('Pixar Animation Studios', len(pix))
    assert b['ganancia_total'] == pytest.approx(pix['revenue'].sum())


@pytest.mark.parametrize('mes,num', [('enero', 1), ('Febrero', 2), ('SEPTIEMBRE', 9), ('setiembre', 9), ('diciembre', 12)])
def test_cantidad_filmaciones_mes(client, movies, mes, num):
    b = ok(client, f'/cantidad_filmaciones_mes/{mes}')
    assert b['cantidad'] == int((movies['release_month'] == num).sum()) > 0


@pytest.mark.parametrize('dia,num', [('lunes', 0), ('miércoles', 2), ('Miercoles', 2), ('viernes', 4), ('sábado', 5), ('SABADO', 5), ('domingo', 6)])
def test_cantidad_filmaciones_dia(client, movies, dia, num):
    b = ok(client, f'/cantidad_filmaciones_dia/{dia}')
    assert b['cantidad'] == int((movies['release_weekday'] == num).sum()) > 0
    # weekday 0 = Monday in the contract: check it against the date itself
    assert b['cantidad'] == int((pd.to_datetime(movies['release_date']).dt.day_of_week == num).sum())


def test_score_titulo(client, movies):
    row = movies.set_index('id').loc[862]
    b = ok(client, '/score_titulo/toy story')
    assert (b['anio'], b['popularidad']) == (1995, pytest.approx(row['popularity']))


def test_votos_titulo(client, movies):
    b = ok(client, '/votos_titulo/Toy Story')
    row = movies.set_index('id').loc[862]
    assert row['vote_count'] >= MIN_VOTOS
    assert (b['cumple_minimo'], b['votos'], b['promedio']) == (True, int(row['vote_count']), pytest.approx(row['vote_average']))
    few = movies[(movies['vote_count'] < MIN_VOTOS) & movies['title'].map(lambda t: (movies['title'] == t).sum() == 1)].iloc[0]
    b = ok(client, f"/votos_titulo/{few['title']}")
    assert (b['id'], b['cumple_minimo'], b['votos'], b['promedio']) == (int(few['id']), False, None, None)
    assert 'no cumple' in b['mensaje']


def test_shared_title_picks_most_voted_and_lists_others(client, movies):
    key = movies['title'].map(normalize_name)
    dup = movies[key.duplicated(keep=False)].assign(key=key)
    assert len(dup), 'kaggle-sample has titles shared by several movies'
    k, grp = next(iter(dup.groupby('key')))
    grp = grp.sort_values('vote_count', ascending=False, kind='stable')
    b = ok(client, f"/peliculas_duracion/{grp['title'].iloc[0]}")
    assert b['id'] == int(grp['id'].iloc[0])
    assert sorted(o['id'] for o in b['otras']) == sorted(grp['id'].iloc[1:].astype(int))
    last = grp.iloc[-1]
    b = ok(client, f"/peliculas_duracion/{last['title']} ({last['release_year']})")
    assert b['id'] == int(last['id']) and b['anio'] == int(last['release_year'])


def test_get_actor(client, clean_dir, movies):
    cast = pd.read_parquet(clean_dir/'cast.parquet')
    ids = set(cast.loc[cast['name'] == 'Tom Hanks', 'movie_id'])
    assert 862 in ids
    b = ok(client, '/get_actor/tom hanks')
    assert b['actor'] == 'Tom Hanks' and b['cantidad'] == len(ids) == len(b['peliculas'])
    assert {f['id'] for f in b['peliculas']} == ids
    assert b['retorno_total'] == pytest.approx(movies.set_index('id').loc[sorted(ids), 'return'].sum())
    assert b['retorno_promedio'] == pytest.approx(b['retorno_total'] / len(ids))


def test_get_actor_ignores_directing_credits(client, clean_dir):
    cast, crew = pd.read_parquet(clean_dir/'cast.parquet'), pd.read_parquet(clean_dir/'crew.parquet')
    directors = set(crew.loc[crew['job'] == 'Director', 'name']) - set(cast['name'])
    assert 'John Lasseter' in directors
    b = err(client, '/get_actor/John Lasseter', 404)
    assert 'actor' in b['detail']


def test_get_director(client, movies):
    lass = movies[movies['directors'].map(lambda v: 'John Lasseter' in list(v))]
    assert 862 in set(lass['id'])
    b = ok(client, '/get_director/john lasseter')
    assert b['cantidad'] == len(lass) and b['retorno_total'] == pytest.approx(lass['return'].sum())
    ts = next(f for f in b['peliculas'] if f['id'] == 862)
    row = movies.set_index('id').loc[862]
    assert (ts['fecha_estreno'], ts['presupuesto'], ts['ingresos']) == ('1995-10-30', row['budget'], row['revenue'])
    assert ts['retorno'] == pytest.approx(row['revenue'] / row['budget'])


# ---- recommendations and integrator routes ----

def test_recomendacion_matches_recommender(client, clean_dir, model_dir):
    rec = Recommender.load(model_dir=model_dir, clean_dir=clean_dir)
    b = ok(client, '/recomendacion/toy story')
    assert (b['id'], b['anio']) == (862, 1995)
    assert b['recomendaciones'] == rec.recommend('Toy Story', k=5) and len(b['recomendaciones']) == 5
    assert 'Toy Story' not in b['recomendaciones']                     # the movie itself is excluded
    assert all(isinstance(t, str) for t in b['recomendaciones'])


@pytest.mark.parametrize('query, id', [
    ('Usual Suspects', 629), ('usual suspects, the', 629), ('THE usual suspects', 629),   # articles dropped or moved
    ('Toy Story ( 1995 )', 862), ('toy story [1995]', 862), ('Toy Story 1995', 862), ('Hamlet 1948', 23383),
    ('2001: A Space Odyssey', 62), ('2010', 4437), ('Airport 1975', 27932),   # titles, not years (Airport 1975 is from 1974)
    ('Boot, Das', 387), ('Die Hard', 562)])
def test_title_forms_agree_across_routes_and_cli(client, clean_dir, model_dir, query, id):
    assert ok(client, f'/recomendacion/{quote(query)}')['id'] == id
    assert ok(client, f'/score_titulo/{quote(query)}')['titulo'] == ok(client, f'/movies/{id}')['title']
    out = json.loads(movierec('recommend', query, '-k', '1', '--json', '--clean-dir', clean_dir, '--model-dir', model_dir).stdout)
    assert out['query']['id'] == id


def test_title_forms_that_name_nothing(client, clean_dir, model_dir):
    err(client, f'/recomendacion/{quote("Hard")}', 404)                      # 'Die' is never dropped: no false Die Hard
    b = err(client, f'/score_titulo/{quote("Blade Runner 2049")}', 404)     # not in the catalogue: the 1982 one is named
    assert 'Blade Runner (1982)' in b['sugerencias']
    r = movierec('recommend', 'Blade Runner 2049', '--clean-dir', clean_dir, '--model-dir', model_dir, check=False)
    assert r.returncode != 0 and 'Blade Runner (1982)' in r.stderr and 'Traceback' not in r.stderr


@pytest.mark.parametrize('bad', ['862_0', '8_62', '+862', '%20862', '-862', '%EF%BC%98%EF%BC%96%EF%BC%92'])
def test_movie_ids_are_plain_digits(client, bad):
    for url in (f'/movies/{bad}', f'/movies/{bad}/similar'):
        assert 'digits only' in err(client, url, 422)['detail']
    assert ok(client, '/movies/0862')['id'] == 862


def test_search_and_movie(client):
    b = ok(client, '/movies/search', q='toy stroy')
    assert b['results'][0]['id'] == 862 and b['results'][0]['year'] == 1995
    assert len(ok(client, '/movies/search', q='the', limit=3)['results']) == 3
    m = ok(client, '/movies/862')
    assert (m['title'], m['year'], m['runtime'], m['release_date']) == ('Toy Story', 1995, 81.0, '1995-10-30')
    assert 'John Lasseter' in m['directors'] and 'Tom Hanks' in m['top_cast'] and m['return'] > 0


def test_similar_with_filters(client, movies):
    b = ok(client, '/movies/862/similar', k=3)
    assert b['query']['id'] == 862 and len(b['recommendations']) == 3
    assert all(h['id'] != 862 and set(h['why']) == {'terms', 'genres', 'director'} for h in b['recommendations'])
    scores = [h['score'] for h in b['recommendations']]
    assert scores == sorted(scores, reverse=True)
    b = ok(client, '/movies/862/similar', k=10, year_min=1990, year_max=1995, genre='comedy', min_votes=10)
    by_id = movies.set_index('id')
    for h in b['recommendations']:
        r = by_id.loc[h['id']]
        assert 1990 <= r['release_year'] <= 1995 and 'Comedy' in list(r['genres']) and r['vote_count'] >= 10


# ---- errors: unknown names 404 with suggestions, bad parameters 422 ----

@pytest.mark.parametrize('url,first', [
    ('/peliculas_duracion/Toy Stroy', 'Toy Story (1995)'),
    ('/score_titulo/jumanjii', 'Jumanji (1995)'),
    ('/votos_titulo/toy stori', 'Toy Story (1995)'),
    ('/recomendacion/Toy Stori', 'Toy Story (1995)'),
    ('/get_director/John Laseter', 'John Lasseter'),
    ('/get_actor/Tom Hank', 'Tom Hanks'),
    ('/productoras_exitosas/Pixar', 'Pixar Animation Studios'),
    ('/peliculas_pais/Frence', 'France'),
])
def test_unknown_names_404_with_suggestions(client, url, first):
    b = err(client, url, 404)
    assert first in b['sugerencias'][:3], b


def test_unknown_franchise_and_language(client):
    assert err(client, '/franquicia/Toy Stori Colection', 404)['sugerencias'][0] == 'Toy Story Collection'
    assert err(client, '/peliculas_idioma/zz', 404)['sugerencias']
    assert err(client, '/movies/999999999', 404)['detail']
    assert err(client, '/movies/999999999/similar', 404)['detail']


def test_invalid_month_day_422_naming_valid_values(client):
    b = err(client, '/cantidad_filmaciones_mes/january', 422)
    assert len(b['sugerencias']) == 12 and 'enero' in b['detail'] and 'diciembre' in b['detail']
    b = err(client, '/cantidad_filmaciones_dia/monday', 422)
    assert b['sugerencias'][:3] == ['lunes', 'martes', 'miércoles'] and 'domingo' in b['detail']


@pytest.mark.parametrize('params', [dict(k=0), dict(k=10_000), dict(k='abc'), dict(year_min=2000, year_max=1990),
                                    dict(genre='not-a-genre'), dict(language='klingon'), dict(min_votes=-1), dict(year_min='x')])
def test_similar_bad_params_422(client, params):
    b = err(client, '/movies/862/similar', 422, **params)
    assert b['detail']


def test_bad_params_422(client):
    err(client, '/movies/abc', 422)
    err(client, '/movies/-5', 422)
    err(client, '/movies/search', 422)                  # q is required
    err(client, '/movies/search', 422, q='toy', limit=0)
    assert err(client, '/movies/search', 422, q='x' * 201)['errores'][0]['loc'] == ['query', 'q']


HOSTILE = ['x' * 10_000, 'x' * 201, '../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', '%00', 'a\x00b', "' OR 1=1 --",
           "Robert'); DROP TABLE movies;--", '🎬🍿 película', '\u202eevil', '   ', '.', '%', '<script>alert(1)</script>',
           'null', '0', '-1', '1e309', 'ÅÄÖ ß ﬁ', '\\', '{"$ne": null}', 'Toy Story (99999)', '(1995)']
ROUTES = ['/peliculas_idioma/{}', '/peliculas_duracion/{}', '/franquicia/{}', '/peliculas_pais/{}', '/productoras_exitosas/{}',
          '/cantidad_filmaciones_mes/{}', '/cantidad_filmaciones_dia/{}', '/score_titulo/{}', '/votos_titulo/{}',
          '/get_actor/{}', '/get_director/{}', '/recomendacion/{}', '/movies/{}', '/movies/{}/similar']


@pytest.mark.parametrize('route', ROUTES)
def test_hostile_inputs_never_5xx(client, route):
    for s in HOSTILE:
      for enc in {quote(s, safe=''), quote(s, safe='/%')}:   # fully encoded, and with '/' and '%' sent literally
        r = client.get(route.format(enc))
        assert r.status_code < 500, (route, enc, r.status_code, r.text)
        assert r.headers['content-type'].startswith('application/json'), (route, enc)
        if r.status_code >= 400: assert r.json()['detail']
    for s in HOSTILE:
        r = client.get('/movies/search', params=dict(q=s))
        assert r.status_code < 500, (s, r.status_code, r.text)


def test_openapi_documents_every_route(client):
    spec = client.get('/openapi.json').json()
    paths = spec['paths']
    for p in ['/recomendacion/{titulo}', '/peliculas_idioma/{idioma}', '/peliculas_duracion/{pelicula}', '/franquicia/{franquicia}',
              '/peliculas_pais/{pais}', '/productoras_exitosas/{productora}', '/cantidad_filmaciones_mes/{mes}',
              '/cantidad_filmaciones_dia/{dia}', '/score_titulo/{titulo}', '/votos_titulo/{titulo}', '/get_actor/{nombre_actor}',
              '/get_director/{nombre_director}', '/movies/search', '/movies/{id}', '/movies/{id}/similar', '/health']:
        resp = paths[p]['get']['responses']
        assert resp['200']['content']['application/json']['schema']['$ref'].startswith('#/components/schemas/'), p
        if p != '/health': assert resp['422']['content']['application/json']['schema']['$ref'].endswith('/ErrorOut'), p
    assert client.get('/docs').status_code == 200


def test_docs_work_offline(client):
    "The interactive docs load their scripts and styles from the service itself, never from a CDN."
    import re
    for page in ('/docs', '/redoc'):
        html = client.get(page).text
        refs = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', html) + re.findall(r'<script[^>]*src=\s*"([^"]+)"', html)
        assert refs, page
        assert not [u for u in refs if u.startswith(('http://', 'https://', '//'))], (page, refs)
        for u in refs:
            if u.endswith(('.js', '.css')): assert client.get(u).status_code == 200, u


# ---- POST /recommendations (issue 11) and languages (issue 12) ----

ES = {'Accept-Language': 'es-ES,es;q=0.9'}


def post(client, body, status=200, headers=None):
    r = client.post('/recommendations', json=body, headers=headers)
    assert r.status_code == status, (body, r.status_code, r.text)
    return r.json()


def test_taste_from_ids_and_titles(client, movies):
    b = post(client, {'liked': [862, 'Jumanji', 'toy story'], 'disliked': ['Heat'], 'k': 12})
    assert [m['id'] for m in b['liked']] == [862, 8844] and [m['id'] for m in b['disliked']] == [949]
    recs = b['recommendations']
    assert len(recs) == 12 and not {h['id'] for h in recs} & {862, 8844, 949}     # liked/disliked never come back
    assert all(h['why_text'] and h['id'] in set(movies['id']) for h in recs)
    assert [h['score'] for h in recs] == sorted((h['score'] for h in recs), reverse=True)
    assert b['note'] is None and b['mensaje']


def test_taste_ambiguous_title_names_the_others(client, movies):
    b = post(client, {'liked': ['Psycho', 862], 'k': 3})
    others = movies[(movies['title'] == 'Psycho') & (movies['id'] != b['liked'][0]['id'])]['id']
    assert len(others) and all(f'id {i}' in b['note'] for i in others[:5]), b['note']
    assert 'other movies have this title' in b['note']
    assert 'otras películas tienen este título' in post(client, {'liked': ['Psycho'], 'k': 3}, headers=ES)['note']


def test_taste_filters_apply(client, movies):
    b = post(client, {'liked': [862], 'k': 5, 'year_min': 1990, 'genre': ['Comedy'], 'min_votes': 20})
    by_id = movies.set_index('id')
    for h in b['recommendations']:
        r = by_id.loc[h['id']]
        assert r['release_year'] >= 1990 and 'Comedy' in list(r['genres']) and r['vote_count'] >= 20


@pytest.mark.parametrize('body, words', [
    ({'liked': []}, ['liked', 'at least one']),
    ({'liked': list(range(1, 2002))}, ['2,001', '2000']),
    ({'liked': list(range(1, 1001)), 'disliked': list(range(5001, 6002))}, ['2,001', '2000']),
    ({'liked': [862], 'disliked': ['Toy Story']}, ['Toy Story (1995)', 'both liked and disliked']),
    ({'liked': [862], 'k': 0}, ['k must be between 1 and 100']),
    ({'liked': [862], 'k': 101}, ['k must be between 1 and 100', '101']),
    ({'liked': [862], 'year_min': 2000, 'year_max': 1990}, ['year_min']),
    ({'liked': [862], 'genre': ['not-a-genre']}, ['genre']),
    ({'liked': [True]}, ['liked.0', 'TMDB id']),
    ({'liked': ['x' * 201]}, ['liked.0', '200']),
    ({'liked': [862], 'dislike': [1]}, ['dislike']),
])
def test_taste_422_names_the_rule(client, body, words):
    b = post(client, body, 422)
    assert all(w in b['detail'] for w in words), b['detail']


def test_taste_unknown_title_404_with_suggestions_and_typo_note(client):
    b = post(client, {'liked': [862, 'Toy Story Forever Zq']}, 404)
    assert "'Toy Story Forever Zq'" in b['detail'] and 'Toy Story (1995)' in b['sugerencias'][:3], b
    assert post(client, {'liked': [999999999]}, 404)['detail'] == 'No movie has id 999999999.'
    b = post(client, {'liked': ['Jumanjii'], 'k': 3})                  # one edit from exactly one title
    assert b['liked'][0]['id'] == 8844 and 'Jumanji (1995)' in b['note'] and 'Jumanjii' in b['note']


def _typos(clean_dir, model_dir, movies, n):
    """`n` misspelt titles (last letter doubled) that each correct to a different movie, found by a separate recommender
    (the app's remembers what it corrected: a remembered correction costs no scan)."""
    probe, out, seen = Recommender.load(model_dir, clean_dir), [], set()
    titles = movies.sort_values('vote_count', ascending=False)['title']
    for t in titles[titles.str.len() > 12]:
        try: m = probe.resolve(t + t[-1])
        except Exception: continue
        if m.get('corrected_from') and m['id'] not in seen:
            seen.add(m['id'])
            out.append(t + t[-1])
        if len(out) == n: return out
    raise AssertionError(f'only {len(out)} correctable titles')


def test_taste_bounds_the_spelling_corrections(client, movies, clean_dir, model_dir):
    "At most TASTE_TYPOS titles of one request may need a fuzzy search: a few KB must not buy seconds of scanning."
    from movierec.api import TASTE_TYPOS
    typos = _typos(clean_dir, model_dir, movies, 3 * TASTE_TYPOS + 2)
    b = post(client, {'liked': typos[:TASTE_TYPOS], 'k': 3})
    assert len(b['liked']) == TASTE_TYPOS and b['note'].count('Showing results for') == TASTE_TYPOS
    b = post(client, {'liked': [862] + typos[TASTE_TYPOS:2 * TASTE_TYPOS + 1], 'k': 3}, 422)
    assert b['detail'].startswith(f'More than {TASTE_TYPOS} titles of this request need a spelling correction'), b
    b = post(client, {'liked': typos[2 * TASTE_TYPOS + 1:], 'k': 3}, 422, ES)
    assert b['detail'].startswith(f'Más de {TASTE_TYPOS} títulos de esta petición'), b
    assert len(post(client, {'liked': typos[:TASTE_TYPOS] + [862, 'Jumanji'], 'k': 3})['liked']) == TASTE_TYPOS + 2


def test_accept_language(client):
    assert post(client, {'liked': [862], 'k': 0}, 422, ES)['detail'] == 'k debe estar entre 1 y 100; se recibió 0.'
    assert post(client, {'liked': []}, 422, ES)['detail'] == 'liked debe nombrar al menos una película.'
    b = post(client, {'liked': ['Jumanjii'], 'k': 3}, headers=ES)
    assert b['note'].startswith('Mostrando resultados para Jumanji (1995)')
    assert post(client, {'liked': ['Toy Story Forever Zq']}, 404, ES)['detail'].startswith('No se encontró la película')
    assert client.get('/movies/999999999', headers=ES).json()['detail'] == 'No hay ninguna película con id 999999999.'
    assert client.get('/movies/999999999').json()['detail'] == 'No movie has id 999999999.'
    assert client.get('/movies/862/similar', params=dict(k=0), headers=ES).json()['detail'].startswith('Parámetros inválidos')
    assert client.get('/movies/862/similar', params=dict(k=0)).json()['detail'].startswith('Invalid parameters')
    assert client.get('/health', headers=ES).json()['mensaje'].startswith('Servicio activo')


def test_spanish_routes_stay_spanish(client):
    en = {'Accept-Language': 'en'}
    assert client.get('/score_titulo/zzqqxx', headers=en).json()['detail'].startswith('No se encontró')
    assert client.get('/recomendacion/' + 'x' * 300, headers=en).json()['detail'].startswith('Parámetros inválidos')
    assert client.get('/cantidad_filmaciones_mes/january', headers=en).json()['detail'].startswith("'january' no es")
    assert client.get('/nope', headers=en).json()['detail'] == 'Ruta no encontrada; ver /docs.'


@pytest.mark.parametrize('source', ['content', 'fans', 'hybrid'])
def test_similar_sources_and_k_100(client, source):
    b = ok(client, '/movies/862/similar', k=100, source=source)
    assert b['source'] == source and len(b['recommendations']) == 100
    assert 862 not in {h['id'] for h in b['recommendations']}
    err(client, '/movies/862/similar', 422, source='friends')
    err(client, '/movies/862/similar', 422, k=101)


def test_a_movie_without_text_is_named_in_the_readers_language(client, clean_dir, model_dir):
    rec = Recommender.load(model_dir=model_dir, clean_dir=clean_dir)
    row = next(r for r in range(len(rec._ids)) if not rec._has_text[r])
    m = rec._brief(row)
    b = err(client, f"/recomendacion/{quote(m['title'])} ({m['year']})", 422)
    assert b['detail'].startswith(f"{m['title']} ({m['year']}) no tiene texto en este modelo"), b
    b = err(client, f"/movies/{m['id']}/similar", 422)
    assert b['detail'].startswith(f"{m['title']} ({m['year']}) has no text in this model"), b


@pytest.mark.parametrize('params, es, en', [
    ({'genre': 'Comdy'}, "género desconocido: 'Comdy'", "unknown genre 'Comdy'"),
    ({'language': 'zz'}, "idioma original desconocido: 'zz'", "unknown original language 'zz'"),
    ({'year_min': 2000, 'year_max': 1990}, 'year_min (2000) es posterior a year_max (1990)',
     'year_min (2000) is after year_max (1990)')])
def test_filter_errors_speak_the_readers_language(client, params, es, en):
    "The recommender's filter rules reach a Spanish reader in Spanish, whole, not an English sentence in a Spanish frame."
    r = client.get('/movies/862/similar', params=params, headers=ES)
    assert r.status_code == 422 and es in r.json()['detail'] and 'unknown' not in r.json()['detail'], r.json()
    r = client.get('/movies/862/similar', params=params, headers={'Accept-Language': 'en'})
    assert r.status_code == 422 and en in r.json()['detail'], r.json()
