"""The API on requests an outside client may send: HEAD probes, Unicode normalisation forms, percent-encoded slashes
and traversal, control characters, wrong parameter types and bounds. Never a 5xx; the same answer for NFC and NFD."""
import unicodedata
import pytest
from fastapi.testclient import TestClient
from movierec.api import create_app


@pytest.fixture(scope='module')
def client(clean_dir, model_dir):
    with TestClient(create_app(clean_dir=clean_dir, model_dir=model_dir), raise_server_exceptions=False) as c: yield c


@pytest.mark.parametrize('url', ['/health', '/recomendacion/toy story', '/movies/862', '/movies/862/similar?k=3',
                                 '/movies/search?q=toy', '/peliculas_idioma/en', '/get_actor/tom hanks'])
def test_head_answers_like_get_without_body(client, url):
    g, h = client.get(url), client.head(url)
    assert (h.status_code, h.content) == (200, b'')
    assert h.headers['content-type'] == g.headers['content-type'] and h.headers['content-length'] == g.headers['content-length']


def test_head_keeps_error_statuses(client):
    assert [client.head(u).status_code for u in ('/movies/1', '/movies/abc', '/recomendacion/zzzzqqq', '/nope')] == [404, 422, 404, 404]


@pytest.mark.parametrize('route', ['recomendacion', 'score_titulo', 'peliculas_duracion'])
def test_nfc_and_nfd_titles_agree(client, route):
    nfc, nfd = (unicodedata.normalize(f, 'Les Misérables') for f in ('NFC', 'NFD'))
    assert nfc != nfd
    a, b = client.get(f'/{route}/{nfc}'), client.get(f'/{route}/{nfd}')
    assert a.status_code == b.status_code == 200 and a.json() == b.json() and a.json()['titulo'] == 'Les Misérables'


HOSTILE = ['/recomendacion/..%2F..%2Fetc%2Fpasswd', '/recomendacion/%2F', '/recomendacion//', '/recomendacion/%00',
           '/recomendacion/%ff%fe', '/recomendacion/%C0%AF', '/recomendacion/(1995)', '/recomendacion/%C2%B2',
           '/recomendacion/%20%20', '/recomendacion/' + 'a' * 5000, '/peliculas_pais/..', '/franquicia/%25',
           '/get_director/%E2%80%8B', '/cantidad_filmaciones_mes/13', '/cantidad_filmaciones_dia/%C2%B2',
           '/movies/search?q=%00', '/movies/search?q=toy&limit=1e3', '/movies/-1', '/movies/862.5',
           '/movies/99999999999999999999999999', '/movies/862/similar?k=0', '/movies/862/similar?k=1.5',
           '/movies/862/similar?year_min=2000&year_max=1990', '/movies/862/similar?genre=%00',
           '/movies/862/similar?language=', '/movies/862/similar?min_votes=-1', '/movies/862/similar?year_min=abc']


@pytest.mark.parametrize('url', HOSTILE)
def test_hostile_requests_never_5xx(client, url):
    r = client.get(url)
    assert r.status_code < 500 and r.headers['content-type'] == 'application/json', (r.status_code, r.text[:300])
    body = r.json()
    if url.startswith('/movies/search'): assert r.status_code == 422 or body['results'] == []
    else: assert 400 <= r.status_code and body['detail'] and isinstance(body['sugerencias'], list), body


TASTE_HOSTILE = [
    b'{"liked": [' + b'862,' * 400_000 + b'862]}',                        # 2 MB: refused before it is read (413)
    ('{"liked": ["' + 'x' * 100_000 + '"]}').encode(),                    # a 100k-character title
    ('{"liked": [' + ','.join(map(str, range(2001))) + ']}').encode(),   # 2,001 liked ids
    b'{"liked": [862], "disliked": [' + b'"a",' * 2000 + b'"b"]}',        # 2,002 movies in all
    b'\xff\xfe{"liked": [862]}', b'{"liked": [862', b'[862]', b'null', b'', b'{"liked": {"$ne": null}}',
    b'{"liked": [862], "k": 1e309}', b'{"liked": [862], "k": "ten"}', b'{"liked": [[862]]}', b'{"liked": [-1]}',
    b'{"liked": [99999999999999999999999]}', b'{"liked": ["\\u0000"]}', b'{"liked": ["(1995)"]}', b'{"liked": ["%"]}',
    b'{"liked": [862], "genre": "Comedy"}', b'{"liked": [862], "genre": ["' + b'x' * 1000 + b'"]}',
    b'{"liked": [862], "language": ""}', b'{"liked": [862], "min_votes": -1}', b'{"liked": [862], "year_min": 99999}',
]


@pytest.mark.parametrize('body', TASTE_HOSTILE, ids=range(len(TASTE_HOSTILE)))
def test_hostile_taste_bodies_never_5xx(client, body):
    r = client.post('/recommendations', content=body, headers={'content-type': 'application/json'})
    assert 400 <= r.status_code < 500 and r.headers['content-type'] == 'application/json', (r.status_code, r.text[:300])
    assert r.json()['detail']
    if len(body) > 1 << 20: assert r.status_code == 413


def test_a_repeated_unknown_title_is_answered_the_same(client):
    a, b = (client.get('/score_titulo/zzqq toy story xq') for _ in range(2))
    assert a.status_code == b.status_code == 404 and a.json() == b.json()
    a, b = (client.post('/recommendations', json={'liked': ['zzqq toy story xq']}) for _ in range(2))
    assert a.status_code == b.status_code == 404 and a.json() == b.json() and 'Toy Story (1995)' in a.json()['sugerencias']


def test_huge_accept_language_reads_its_first_items(client):
    "A 54 KB Accept-Language of 6,000 items: the language is taken from its first items, like a browser's short one."
    junk = ','.join(['de;q=0.1'] * 6000)
    assert client.get('/movies/999999999', headers={'Accept-Language': 'es;q=0.5,' + junk}).json()['detail'] \
        == 'No hay ninguna película con id 999999999.'
    assert client.get('/movies/999999999', headers={'Accept-Language': junk + ',es'}).json()['detail'] \
        == 'No movie has id 999999999.'
    r = client.post('/recommendations', json={'liked': [862], 'k': 2}, headers={'Accept-Language': junk})
    assert r.status_code == 200 and len(r.json()['recommendations']) == 2
