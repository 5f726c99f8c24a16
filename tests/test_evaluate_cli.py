"""`movierec evaluate` end to end on the kaggle-sample clean data and models built by the real CLI."""
import json
from conftest import movierec


def test_evaluate_table(clean_dir, model_dir):
    r = movierec('evaluate', '--clean-dir', clean_dir, '--model-dir', model_dir)
    lines = r.stdout.splitlines()
    assert 'collection_hit@5' in lines[0] and 'ratings_agreement@5' in lines[0]
    assert {l.split()[0] for l in lines[2:6]} == {'overview', 'overview_keywords', 'fields', 'random'}
    assert lines[-1].startswith('best variant: ')


def test_evaluate_json_and_quality(clean_dir, model_dir):
    rows = {r['model']: r for r in json.loads(movierec('evaluate', '--clean-dir', clean_dir, '--model-dir', model_dir, '--json').stdout)}
    assert rows['overview']['movies'] == rows['random']['movies'] > 2900
    # every content model beats random on the proxies that do not reward noise
    for name in ('overview', 'overview_keywords', 'fields'):
        for m in ('collection_hit@5', 'genre_precision@5', 'ratings_agreement@5'):
            assert rows[name][m] > rows['random'][m], (name, m)
    # the default model is the best one by collection hit rate
    from movierec.recommend import DEFAULT_MODEL
    assert max(rows, key=lambda n: rows[n]['collection_hit@5']) == DEFAULT_MODEL


def test_evaluate_errors(clean_dir, model_dir, tmp_path):
    r = movierec('evaluate', '--clean-dir', clean_dir, '--model-dir', tmp_path, check=False)
    assert r.returncode == 2 and 'run `movierec train`' in r.stderr
    r = movierec('evaluate', '--clean-dir', clean_dir, '--model-dir', model_dir, '-k', '80', check=False)
    assert r.returncode == 2 and 'fewer than k=80' in r.stderr
    r = movierec('evaluate', '--clean-dir', clean_dir, '--model-dir', tmp_path, '--train', '--name', 'overview')
    assert 'overview' in r.stdout and (tmp_path/'overview'/'manifest.json').is_file()


def test_evaluate_ranking_json(clean_dir, model_dir):
    res = json.loads(movierec('evaluate', '--ranking', '--json', '--clean-dir', clean_dir, '--model-dir', model_dir).stdout)
    rows = {r['model']: r for r in res['table']}
    assert res['split'] == 'test' and res['users'] > 600 and 0 < res['cold'] < res['users']
    assert set(rows) == {'popularity', 'item-kNN cosine', 'EASE λ=200 (likes)', 'EASE (taste model)', 'content', 'hybrid'}
    # what people liked predicts the held-out like better than popularity, which beats text alone
    assert rows['EASE (taste model)']['HR@10'] > rows['popularity']['HR@10'] > rows['content']['HR@10']
    assert rows['hybrid']['HR@10 cold'] >= max(rows[m]['HR@10 cold'] for m in ('item-kNN cosine', 'EASE (taste model)'))
    assert [r['model'] for r in res['single']] == ['similar (content)', 'fans also liked', 'hybrid']
    assert all(r['low'] <= r['ΔHR'] <= r['high'] for r in res['against'])


def test_evaluate_ranking_without_ratings(clean_dir, model_dir, tmp_path):
    import shutil
    shutil.copytree(clean_dir, tmp_path/'clean')
    (tmp_path/'clean'/'ratings.parquet').unlink()
    r = movierec('evaluate', '--ranking', '--clean-dir', tmp_path/'clean', '--model-dir', model_dir, check=False)
    assert r.returncode == 2 and 'needs ratings' in r.stderr and 'Traceback' not in r.stderr


def test_ranking_measures_the_taste_models_formula(clean_dir, model_dir):
    "The evaluation's hybrid row for a user is what TasteModel.scores (the one for_taste uses) gives that profile."
    import numpy as np
    from movierec.evaluate import fit_models, hybrid_signals, model_scores, ranking_data, recency_profile
    from movierec.taste import HYBRID, TasteModel
    d = ranking_data(clean_dir, model_dir, 'validation')
    fit = fit_models(d)
    Q = recency_profile(d)
    many = np.flatnonzero(Q.getnnz(axis=1) > 2)   # profiles where the order of the liked movies matters
    users = [many[0], many[len(many) // 2], many[-1]]
    Q = Q[users]
    got = model_scores(d, fit, Q)['hybrid']
    likes = d['likes'].getnnz(axis=0)
    tm = TasteModel(d['rec'], fit['taste'], likes, dict(HYBRID), d['raters'], d['coll'])
    for i in range(len(users)):
        named = Q[i].indices[np.argsort(Q[i].data, kind='stable')]   # the liked movies in the order they were rated
        np.testing.assert_allclose(got[i], tm.scores(named), rtol=1e-5, atol=1e-6)
    assert not np.allclose(got[-1], tm.scores(named[::-1]), rtol=1e-5, atol=1e-6)   # named the other way round
    sig = hybrid_signals(d, Q)
    assert sig['coll'].sum() > 0 and (sig['year'] > 0.99).any(axis=1).all()   # every profile has its newest year
    assert (d['raters'] >= likes).all() and (d['raters'] > likes).any()          # the prior counts every rating
