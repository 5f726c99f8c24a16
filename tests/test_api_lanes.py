"""Issue 10: unknown titles cannot slow everyone else. A title needing a fuzzy search runs in its own lane (normal
requests are never queued behind it, nor refused); clients answered mostly 404 are laned by address, whatever
connection they use; the cheaper, remembered fuzzy search gives the same answers as a scan of every title.
No timing is asserted: the tests hold the lane and check who gets through."""
import asyncio, threading
import pytest
from fastapi.testclient import TestClient
from rapidfuzz import fuzz, process
from movierec.api import TASTE_INLINE, _SuspectLane, create_app
from movierec.names import Matcher, NeedsFuzzy, no_fuzzy
from movierec.store import read_movies
from conftest import wait_until


@pytest.fixture(scope='module')
def client(clean_dir, model_dir):
    with TestClient(create_app(clean_dir=clean_dir, model_dir=model_dir), raise_server_exceptions=False) as c: yield c


class _Borrower: pass


def _hold(c, lane):
    "Take the fuzzy lane's only token (from the server's event loop); returns the borrower to give it back."
    who = _Borrower()
    c.portal.call(lane.acquire_on_behalf_of_nowait, who)
    return who


def test_normal_requests_pass_while_the_fuzzy_lane_is_busy(client):
    st = client.app.state
    expected = client.get('/peliculas_duracion/toy storyy qq').json()      # an unknown title's answer, lane free
    st.unknowns.d.clear()                                                  # ask again: not remembered by the API
    for m in (st.catalog.matcher, st.recommender.matcher): m._memo.d.clear()
    client.get('/movies/search?q=toy')                                     # asked before: remembered, no scan
    who = _hold(client, st.fuzzy_lane)
    out = {}
    late = threading.Thread(target=lambda: out.update(r=client.get('/peliculas_duracion/toy storyy qq')))
    try:
        late.start()
        ok = [client.get(u) for u in ('/peliculas_duracion/toy story', '/recomendacion/toy story', '/movies/862',
                                      '/movies/search?q=toy', '/movies/862/similar?k=3', '/health')]
        taste = client.post('/recommendations', json={'liked': [862, 'Jumanji'], 'k': 3})
        assert [r.status_code for r in ok] + [taste.status_code] == [200] * 7
        assert late.is_alive()                          # the unknown title waits for the lane: it needs a scan
    finally: client.portal.call(st.fuzzy_lane.release_on_behalf_of, who)
    late.join(120)
    assert not late.is_alive()
    assert out['r'].status_code == 404 and out['r'].json() == expected   # same 404, same suggestions, no error


def test_unknown_titles_keep_their_suggestions_through_the_lane(client):
    a = client.post('/recommendations', json={'liked': ['Jumanjii']}).json()    # one edit: did-you-mean, in the lane
    assert a['liked'][0]['title'] == 'Jumanji' and 'Jumanji (1995)' in a['note']
    r = client.post('/recommendations', json={'liked': ['toy storyy qq zz']})
    assert r.status_code == 404 and r.json()['sugerencias'][0].startswith('Toy Story')
    r = client.get('/movies/search', params=dict(q='jumanjii'))
    assert r.status_code == 200 and r.json()['results'][0]['title'] == 'Jumanji'


def test_a_small_taste_is_answered_while_the_taste_lane_is_full(client):
    "A taste of at most TASTE_INLINE movies is scored in the event loop; a larger one waits for a taste-lane thread."
    st = client.app.state
    many = [int(i) for i in st.recommender._ids[:TASTE_INLINE + 1]]
    who = [_hold(client, st.taste_lane) for _ in range(int(st.taste_lane.total_tokens))]   # every lane thread taken
    out = {}
    post = lambda key, liked: out.update({key: client.post('/recommendations', json={'liked': liked, 'k': 3})})
    big = threading.Thread(target=post, args=('big', many))
    try:
        big.start()
        waiting = lambda: client.portal.call(st.taste_lane.statistics).tasks_waiting
        assert wait_until(lambda: waiting() == 1)   # the large one is queued in the lane
        small = threading.Thread(target=post, args=('small', [862, 'Jumanji']))
        small.start()
        small.join(120)
        assert not small.is_alive() and out['small'].status_code == 200   # answered with the lane still full
        assert big.is_alive()
    finally:
        for w in who: client.portal.call(st.taste_lane.release_on_behalf_of, w)
    big.join(120)
    assert out['big'].status_code == 200 and len(out['big'].json()['recommendations']) == 3


class _Spy(_SuspectLane):
    "The suspect lane, recording which requests it ran in the lane."
    async def _in_lane(self, scope, receive, send):
        self.laned.append(scope['client'])
        await super()._in_lane(scope, receive, send)


def _ask(mw, client, path):
    async def receive(): return {'type': 'http.request', 'body': b'', 'more_body': False}
    async def send(msg): pass
    scope = {'type': 'http', 'method': 'GET', 'path': path, 'client': client, 'headers': []}
    asyncio.run(mw(scope, receive, send))


async def _app(scope, receive, send):
    await send({'type': 'http.response.start', 'status': 404 if scope['path'] == '/nope' else 200, 'headers': []})
    await send({'type': 'http.response.body', 'body': b''})


def test_suspects_are_laned_by_address_not_by_connection():
    mw = _Spy(_app)
    mw.laned = []
    for port in (40001, 40002, 40003): _ask(mw, ('10.0.0.9', port), '/nope')    # three connections, three 404s
    _ask(mw, ('10.0.0.9', 40004), '/fine')                                      # a fourth connection: laned
    _ask(mw, ('10.0.0.7', 40005), '/fine')                                      # another address: not laned
    _ask(mw, ('10.0.0.7', 40005), '/nope')                                      # one mistake: not laned
    _ask(mw, ('10.0.0.7', 40006), '/fine')
    assert mw.laned == [('10.0.0.9', 40004)]


def test_remembered_and_cheaper_fuzzy_answers_are_a_full_scan_s(clean_dir):
    m = read_movies(clean_dir, ['title', 'vote_count'])
    mt = Matcher(m['title'], m['vote_count'].fillna(0))
    keys = mt._names.keys
    for q in ('jumanjii', 'toy stroy', 'the godfather partt', 'zzqx', 'star wars episode'):
        scan = [(k, s) for k, s, _ in process.extract(q, keys, scorer=fuzz.QRatio, limit=30, score_cutoff=50)]
        assert mt._names.closest(q, 30) == scan
        first = mt.suggest(q, 10)
        first.append('junk')                                     # a caller changing its list changes no memory
        with no_fuzzy(): assert mt.suggest(q, 10) == first[:-1]  # remembered: answered without a scan
    with no_fuzzy(), pytest.raises(NeedsFuzzy): mt.suggest('never asked before qq')
