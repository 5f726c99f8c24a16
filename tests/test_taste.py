"""The taste model on the kaggle-sample clean data and models built by the real CLI (`movierec train` trains it)."""
import json, shutil
import numpy as np, pandas as pd, pytest
from movierec.config import MovierecError
from movierec.recommend import Recommender
from movierec.taste import TasteModel, train_taste, read_ratings


@pytest.fixture(scope='module')
def rec(clean_dir, model_dir): return Recommender.load(model_dir, clean_dir, 'fields')


@pytest.fixture(scope='module')
def taste(clean_dir, model_dir, rec): return TasteModel.load(model_dir, clean_dir, rec)


def _rows(rec, *titles):
    "The most voted row of each exact (lower-case) title."
    return [max((r for r, t in enumerate(rec._titles) if t.lower() == x), key=lambda r: rec._votes[r]) for x in titles]


def test_trained_by_movierec_train(clean_dir, model_dir):
    man = json.loads((model_dir/'taste'/'manifest.json').read_text())
    assert man['clean_fingerprint'] == json.loads((clean_dir/'manifest.json').read_text())['fingerprint']
    assert set(man['sha256']) >= {'weights.npz', 'items.parquet'} and man['ratings'] > 50_000


def test_scores_every_source(rec, taste):
    liked = _rows(rec, 'the empire strikes back', 'return of the jedi')
    for source in ('content', 'fans', 'popularity', 'hybrid'):
        s = taste.scores(liked, (), source)
        assert s.shape == (len(rec._ids),) and np.isfinite(s).all()
    s = taste.scores(liked)
    s[liked] = -np.inf
    top = [rec._titles[j] for j in np.argsort(-s)[:10]]
    assert 'Star Wars' in top and 'Raiders of the Lost Ark' in top, top


def test_disliked_lowers_scores(rec, taste):
    liked, disliked = _rows(rec, 'the empire strikes back'), _rows(rec, 'return of the jedi')
    assert taste.scores(liked, disliked)[disliked[0]] < taste.scores(liked)[disliked[0]]


def test_unrated_movie_gets_content(rec, taste):
    r = int(np.flatnonzero(~taste.rated & (np.diff(rec.X.indptr) > 0))[0])
    assert not taste.scores([r], (), 'fans').any()                       # nobody rated it: no fans
    assert np.count_nonzero(taste.scores([r], (), 'content')) > 10       # but its text finds neighbours
    h, c = taste.scores([r]), taste.scores([r], (), 'content')
    h[r] = c[r] = -np.inf
    assert set(np.argsort(-h)[:10]) & set(np.argsort(-c)[:10])        # the hybrid ranks it by content (+ popularity)


def test_explain_and_fans(rec, taste):
    liked = _rows(rec, 'the empire strikes back', 'toy story')
    e = taste.explain(liked, _rows(rec, 'return of the jedi')[0])
    assert e['resembles'][0] == liked[0] and e['fans'][0] == liked[0]
    f = [rec._titles[j] for j in taste.fans(liked[0], 10)]
    assert len(f) == 10 and 'The Empire Strikes Back' not in f and f[:2] == ['Star Wars', 'Return of the Jedi']


def test_refuses_other_data_and_damage(clean_dir, model_dir, rec, tmp_path):
    md = tmp_path/'models'
    shutil.copytree(model_dir/'taste', md/'taste')
    man = json.loads((md/'taste'/'manifest.json').read_text())
    (md/'taste'/'manifest.json').write_text(json.dumps(man | {'clean_fingerprint': 'other'}))
    with pytest.raises(MovierecError, match='other clean data.*run `movierec train`'): TasteModel.load(md, clean_dir, rec)
    (md/'taste'/'manifest.json').write_text(json.dumps(man))
    (md/'taste'/'items.parquet').write_bytes(b'cut')
    with pytest.raises(MovierecError, match='incomplete or damaged'): TasteModel.load(md, clean_dir, rec)


def test_without_ratings(clean_dir, rec, tmp_path):
    cd = tmp_path/'clean'
    shutil.copytree(clean_dir, cd)
    (cd/'ratings.parquet').unlink()
    assert read_ratings(cd) is None and train_taste(cd, tmp_path/'models') is None
    assert TasteModel.load(tmp_path/'models', cd, rec) is None and not (tmp_path/'models'/'taste').exists()


def test_manifest_holds_the_hybrid_weights(model_dir):
    from movierec.taste import HYBRID
    params = json.loads((model_dir/'taste'/'manifest.json').read_text())['params']
    assert {k: params[k] for k in HYBRID} == HYBRID and params['w_year'] > 0 and params['w_coll'] > 0


def test_prior_counts_raters_not_only_likes(taste):
    rated_not_liked = np.flatnonzero((taste.likes == 0) & (taste.prior > 0.01))
    nobody = np.flatnonzero(taste.prior < 0.01)
    assert len(rated_not_liked) and len(nobody)        # movies people rated but nobody liked still have a prior
    assert taste.prior[rated_not_liked].min() > taste.prior[nobody].max()


def test_hybrid_is_the_shared_fusion(rec, taste):
    from movierec.taste import fuse, same_collection, year_affinity
    liked = _rows(rec, 'the empire strikes back', 'toy story')
    year = year_affinity(taste.years, max(taste.years[liked]), taste.params['year_scale'])
    f, c = taste.scores(liked, (), 'fans'), taste.scores(liked, (), 'content')
    want = fuse(f, c, taste.prior, taste.cold, year, same_collection(taste.coll, liked), taste.params, taste.borrow @ f)
    np.testing.assert_allclose(taste.scores(liked), want, rtol=1e-6)


def test_cold_rated_movies_borrow_their_neighbours_fans_score(rec, taste):
    "A movie rated by someone but liked by fewer than COLD people gets the fans score of its warm content neighbours."
    from movierec.taste import COLD
    B = taste.borrow
    lenders = np.asarray(B.getnnz(axis=1) > 0)
    assert lenders.any()
    assert not lenders[taste.raters == 0].any() and not lenders[taste.likes >= COLD].any()   # unrated or warm: never
    assert (taste.likes[B.indices] >= COLD).all()                                             # only warm movies lend
    np.testing.assert_allclose(np.asarray(B.sum(axis=1)).ravel()[lenders], 1, rtol=1e-5)
    row = int(np.flatnonzero(lenders)[0])
    lender = int(B[row].indices[np.argmax(B[row].data)])              # its closest warm neighbour
    fans = taste.W[:, lender].toarray().ravel()                        # how much each movie's fans liked that neighbour
    fans[row] = -np.inf
    liked = [int(np.argmax(fans))]
    off = TasteModel(rec, taste.W, taste.likes, taste.params | {'w_borrow': 0}, taste.raters, taste.coll)
    assert taste.scores(liked)[row] > off.scores(liked)[row]
    never = np.flatnonzero(~lenders)
    np.testing.assert_allclose(taste.scores(liked)[never], off.scores(liked)[never], rtol=1e-6)
    near = taste.explain(liked, row)['near']                          # the why names what it borrowed from
    assert near and set(near) <= set(B[row].indices.tolist()) and taste.explain(liked, lender)['near'] == []


def test_why_names_the_collection(rec):
    from movierec.recommend import why_text
    out = rec.for_taste(['The Empire Strikes Back', 'Toy Story'], k=20)
    picks = {m['title']: m['why'] for m in out['recommendations']}
    assert [m['title'] for m in picks['Star Wars']['collection']] == ['The Empire Strikes Back']
    assert 'same collection as The Empire Strikes Back (1980)' in why_text(picks['Star Wars'])
    assert all(set(w) == {'resembles', 'fans', 'near', 'collection'} for w in picks.values())
    sagas = {rec._coll[rec._row[m['id']]] for m in out['liked']} - {-1}
    for m in out['recommendations']:                                  # named exactly when it shares a liked collection
        assert bool(m['why']['collection']) == (rec._coll[rec._row[m['id']]] in sagas), m


def test_collection_and_year_lift(rec, taste):
    liked = _rows(rec, 'the empire strikes back')                              # 1980
    flat = TasteModel(rec, taste.W, taste.likes, taste.params | {'w_coll': 0, 'w_year': 0}, taste.raters,
                      taste.coll)
    gain = taste.scores(liked) - flat.scores(liked)
    star_wars, toy_story = _rows(rec, 'star wars', 'toy story')                # 1977, same collection; 1995
    wy, wc, scale = (taste.params[k] for k in ('w_year', 'w_coll', 'year_scale'))
    assert taste.coll[star_wars] == taste.coll[liked[0]] >= 0
    assert gain[star_wars] == pytest.approx(wc + wy * np.exp(-0.5 * (3 / scale) ** 2), abs=1e-5)
    assert gain[toy_story] < 1e-3                                             # 15 years away, another collection


def test_model_without_the_new_weights_loads(clean_dir, model_dir, rec, tmp_path):
    "A taste model trained before the year and collection weights existed still loads; missing weights take defaults."
    md = tmp_path/'models'
    shutil.copytree(model_dir/'taste', md/'taste')
    man = json.loads((md/'taste'/'manifest.json').read_text())
    man['params'] = {k: v for k, v in man['params'].items() if k not in ('w_year', 'w_coll', 'year_scale')}
    (md/'taste'/'manifest.json').write_text(json.dumps(man))
    old = TasteModel.load(md, clean_dir, rec)
    liked = _rows(rec, 'the empire strikes back')
    np.testing.assert_allclose(old.scores(liked), TasteModel.load(model_dir, clean_dir, rec).scores(liked), rtol=1e-6)
