"""`movierec train` / `movierec recommend` end to end, on clean data and models built by the real CLI."""
import gzip, json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import movierec


def rec(clean_dir, model_dir, *args, check=True):
    return movierec('recommend', *args, '--clean-dir', clean_dir, '--model-dir', model_dir, check=check)


def rec_json(clean_dir, model_dir, *args):
    return json.loads(rec(clean_dir, model_dir, *args, '--json').stdout)


def test_train_writes_every_variant_with_manifest(clean_dir, model_dir):
    clean_fp = json.loads((clean_dir/'manifest.json').read_text())['fingerprint']
    for name in ('overview', 'overview_keywords', 'fields'):
        man = json.loads((model_dir/name/'manifest.json').read_text())
        assert man['clean_fingerprint'] == clean_fp and man['k'] == 50 and man['n_movies'] > 2900
        assert set(man['bytes']) <= {p.name for p in (model_dir/name).iterdir()}
    # movies without an overview are reported, and the field-weighted model leaves fewer of them without text
    ov, fields = (json.loads((model_dir/n/'manifest.json').read_text()) for n in ('overview', 'fields'))
    assert ov['n_no_text'] == ov['n_no_overview'] > 0 and fields['n_no_text'] < ov['n_no_text']


def test_json_shape_and_order(clean_dir, model_dir):
    out = rec_json(clean_dir, model_dir, 'Jumanji', '-k', '5')
    assert out['query'] == {'id': 8844, 'title': 'Jumanji', 'year': 1995}
    assert set(out) == {'query', 'recommendations', 'others'}
    recs = out['recommendations']
    assert len(recs) == 5 and 8844 not in [r['id'] for r in recs]
    assert [r['score'] for r in recs] == sorted((r['score'] for r in recs), reverse=True)
    for r in recs:
        assert set(r) == {'id', 'title', 'year', 'score', 'why'} and set(r['why']) == {'terms', 'genres', 'director'}
        assert 0 < r['score'] <= 1


def test_remake_and_sequel_are_neighbours(clean_dir, model_dir):
    # kaggle-sample holds both Psychos and Psycho II (Toy Story 2 is not in it: see the reconstructed-full test)
    titles = [r['title'] for r in rec_json(clean_dir, model_dir, 'Psycho (1998)')['recommendations']]
    assert 'Psycho' in titles and 'Psycho II' in titles
    out = rec_json(clean_dir, model_dir, 'Psycho (1998)', '--name', 'overview')
    assert 'motel' in out['recommendations'][0]['why']['terms']


def test_year_disambiguation(clean_dir, model_dir):
    a, b = rec_json(clean_dir, model_dir, 'Sabrina (1995)', '-k', '1'), rec_json(clean_dir, model_dir, 'sabrina (1954)', '-k', '1')
    assert (a['query']['year'], b['query']['year']) == (1995, 1954)
    assert a['others'] == [b['query']] and b['others'] == [a['query']]
    plain = rec_json(clean_dir, model_dir, '  SABRINA ', '-k', '1')
    assert plain['query']['id'] in (a['query']['id'], b['query']['id']) and len(plain['others']) == 1
    by_id = rec_json(clean_dir, model_dir, str(a['query']['id']), '-k', '1')
    assert by_id['query'] == a['query']
    r = rec(clean_dir, model_dir, 'Sabrina (2001)', check=False)
    assert r.returncode == 2 and '1954' in r.stderr and '1995' in r.stderr


def test_text_output(clean_dir, model_dir):
    out = rec(clean_dir, model_dir, 'Hamlet', '-k', '3').stdout
    assert out.startswith('Most similar to Hamlet (') and 'Other movies with this title' in out
    assert len([l for l in out.splitlines() if l.strip()[:2] in ('1.', '2.', '3.')]) == 3


def test_unknown_title_lists_closest(clean_dir, model_dir):
    r = rec(clean_dir, model_dir, 'Toy Stroy', check=False)
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert 'unknown title' in r.stderr and '  - Toy Story (1995)' in r.stderr


def test_filters(clean_dir, model_dir):
    out = rec_json(clean_dir, model_dir, 'Heat', '-k', '10', '--year-min', '1990', '--year-max', '1999', '--min-votes', '50', '--genre', 'Crime')
    assert out['recommendations']
    for r in out['recommendations']:
        assert 1990 <= r['year'] <= 1999 and 'Crime' in r['why']['genres']
    import pandas as pd
    m = pd.read_parquet(clean_dir/'movies.parquet', columns=['id', 'original_language'])
    french = set(m.loc[m.original_language == 'fr', 'id'])
    fr = rec_json(clean_dir, model_dir, 'Heat', '-k', '50', '--language', 'FR')['recommendations']
    assert fr and {r['id'] for r in fr} <= french
    for bad, msg in ((['-k', '101'], 'from 1 to 100'), (['-k', '0'], 'from 1 to 100'), (['--genre', 'Comdy'], 'Comedy'),
                     (['--language', 'qq'], 'unknown original language'), (['--year-min', '2000', '--year-max', '1990'], 'after')):
        r = rec(clean_dir, model_dir, 'Heat', *bad, check=False)
        assert r.returncode == 2 and msg in r.stderr and 'Traceback' not in r.stderr



def _passing(clean_dir, year_min=None, genre=None, language=None, min_votes=None):
    "Ids of the clean movies passing the filters, read straight from movies.parquet."
    import pandas as pd
    m = pd.read_parquet(clean_dir/'movies.parquet', columns=['id', 'release_year', 'genres', 'original_language', 'vote_count'])
    ok = pd.Series(True, index=m.index)
    if year_min is not None: ok &= m.release_year.fillna(0) >= year_min
    if genre is not None: ok &= m.genres.map(lambda g: genre in list(g if g is not None else []))
    if language is not None: ok &= m.original_language == language
    if min_votes is not None: ok &= m.vote_count.fillna(0) >= min_votes
    return set(m.loc[ok, 'id'])


def test_filters_cover_the_whole_catalogue(clean_dir, model_dir):
    "Strict filters return k movies whenever k pass them, not only those among the 50 stored neighbours."
    passing = _passing(clean_dir, language='fr', genre='Comedy')
    assert 10 <= len(passing) < 100
    out = rec_json(clean_dir, model_dir, 'Heat', '-k', '100', '--language', 'fr', '--genre', 'Comedy')
    ids = [r['id'] for r in out['recommendations']]
    assert set(ids) == passing - {out['query']['id']} and len(ids) == len(set(ids))
    assert [r['score'] for r in out['recommendations']] == sorted((r['score'] for r in out['recommendations']), reverse=True)
    text = rec(clean_dir, model_dir, 'Heat', '-k', '100', '--language', 'fr', '--genre', 'Comedy').stdout
    assert f'(only {len(ids)} movie(s) pass the filters)' in text
    # k above the stored K (50), without filters: k movies, the first 50 being the stored neighbours
    top100 = rec_json(clean_dir, model_dir, 'Jumanji', '-k', '100')['recommendations']
    top50 = rec_json(clean_dir, model_dir, 'Jumanji', '-k', '50')['recommendations']
    assert len(top100) == 100 and [r['id'] for r in top100[:50]] == [r['id'] for r in top50]


def test_taste_profile_json(clean_dir, model_dir):
    out = rec_json(clean_dir, model_dir, 'Toy Story', 'Jumanji', '--dislike', 'Heat', '-k', '12')
    assert set(out) == {'liked', 'disliked', 'recommendations'}
    assert [m['title'] for m in out['liked']] == ['Toy Story', 'Jumanji'] and out['disliked'][0]['title'] == 'Heat'
    recs = out['recommendations']
    assert len(recs) == 12 and not {r['id'] for r in recs} & {m['id'] for m in out['liked'] + out['disliked']}
    assert [r['score'] for r in recs] == sorted((r['score'] for r in recs), reverse=True)
    for r in recs: assert set(r) == {'id', 'title', 'year', 'score', 'why'}
    liked = {m['id'] for m in out['liked']}
    assert any(r['why']['resembles'] for r in recs)
    assert all({m['id'] for m in r['why']['resembles'] + r['why']['fans']} <= liked for r in recs)
    text = rec(clean_dir, model_dir, 'Toy Story', 'Jumanji', '--dislike', 'Heat', '-k', '3').stdout
    assert text.startswith('Recommended for a taste for Toy Story (1995), Jumanji (1995) (not Heat (1995))')
    assert len([l for l in text.splitlines() if l.strip()[:2] in ('1.', '2.', '3.')]) == 3


def test_taste_names_the_other_movies_of_an_ambiguous_title(clean_dir, model_dir):
    out = rec_json(clean_dir, model_dir, 'Psycho', 'Toy Story', '-k', '3')
    psycho, toy = out['liked']
    assert psycho['others'] and all(o['title'] == 'Psycho' and o['id'] != psycho['id'] for o in psycho['others'])
    assert 'others' not in toy
    text = rec(clean_dir, model_dir, 'Psycho', 'Toy Story', '-k', '3').stdout
    other = psycho['others'][0]
    assert f"other movies with this title: Psycho ({other['year']}) id {other['id']}" in text, text


def test_taste_filters_and_single_dislike(clean_dir, model_dir):
    passing = _passing(clean_dir, language='fr', year_min=1990)
    one = rec_json(clean_dir, model_dir, 'Toy Story', '-k', '30', '--language', 'fr', '--year-min', '1990')
    assert set(one) == {'query', 'recommendations', 'others'}   # one title without --dislike: the similar shape
    assert {r['id'] for r in one['recommendations']} <= passing and len(one['recommendations']) == min(30, len(passing))
    out = rec_json(clean_dir, model_dir, 'Toy Story', '--dislike', 'Heat', '-k', '30', '--language', 'fr', '--year-min', '1990')
    assert {r['id'] for r in out['recommendations']} <= passing
    assert len(out['recommendations']) == min(30, len(passing))


def test_taste_rules_are_named(clean_dir, model_dir):
    for args, msg in ((['Heat', 'Jumanji', '--dislike', 'heat'], 'Heat (1995) is both liked and disliked'),
                      (['Heat', 'Jumanji', '-k', '101'], 'from 1 to 100'),
                      (['Heat', 'Toy Stroy'], 'unknown title'),
                      (['Heat', '--source', 'sideways'], 'invalid choice')):
        r = rec(clean_dir, model_dir, *args, check=False)
        assert r.returncode == 2 and msg in r.stderr and 'Traceback' not in r.stderr, (args, r.stderr)


def test_typo_is_corrected_with_a_note(clean_dir, model_dir):
    out = rec_json(clean_dir, model_dir, 'Jumanjii', '-k', '3')
    assert out['query']['title'] == 'Jumanji' and out['corrected_from'] == 'Jumanjii'
    text = rec(clean_dir, model_dir, 'Jumanjii', '-k', '3').stdout
    assert text.startswith("Showing results for Jumanji (1995) (no title 'Jumanjii')")
    taste = rec_json(clean_dir, model_dir, 'Jumanjii', 'Heat', '-k', '3')
    assert taste['liked'][0] == {'id': 8844, 'title': 'Jumanji', 'year': 1995, 'corrected_from': 'Jumanjii'}


def test_sources_of_one_title(clean_dir, model_dir):
    content = rec_json(clean_dir, model_dir, 'Jumanji', '--source', 'content', '-k', '5')
    assert content == rec_json(clean_dir, model_dir, 'Jumanji', '-k', '5')
    r = rec(clean_dir, model_dir, 'Jumanji', '--source', 'fans', '-k', '5', '--json', check=False)
    if r.returncode == 0:   # a taste model was trained from the ratings: fans also liked
        fans = json.loads(r.stdout)['recommendations']
        assert len(fans) == 5 and 8844 not in [m['id'] for m in fans]
    else: assert r.returncode == 2 and "'fans also liked' needs ratings" in r.stderr and 'Traceback' not in r.stderr


def test_missing_and_stale_models(clean_dir, model_dir, sample_raw, tmp_path):
    r = rec(clean_dir, tmp_path/'nomodels', 'Heat', check=False)
    assert r.returncode == 2 and 'run `movierec train`' in r.stderr
    # clean data rebuilt from other raw rows (the first 500 movies): the models are stale
    raw = tmp_path/'raw'; raw.mkdir()
    for p in sample_raw.iterdir():
        if p.name.startswith('movies_metadata'): continue
        os.symlink(p, raw/p.name)
    with gzip.open(sample_raw/'movies_metadata.csv.gz', 'rt', encoding='utf-8') as f: lines = f.read().split('\n')
    (raw/'movies_metadata.csv').write_text('\n'.join(lines[:501]) + '\n', encoding='utf-8')
    other = tmp_path/'clean'
    movierec('etl', '--raw-dir', raw, '--out', other)
    r = rec(other, model_dir, 'Heat', check=False)
    assert r.returncode == 2 and 'trained on other clean data' in r.stderr and 'run `movierec train`' in r.stderr
    # retraining fixes it
    models = tmp_path/'models'; shutil.copytree(model_dir, models)
    movierec('train', '--clean-dir', other, '--model-dir', models, '--name', 'fields')
    assert rec_json(other, models, 'Heat', '-k', '1')['query']['title'] == 'Heat'



def _other_clean(sample_raw, tmp_path, n=500):
    "Clean data of the first `n` movies of kaggle-sample (other data, other fingerprint)."
    raw = tmp_path/'raw'
    raw.mkdir()
    for p in sample_raw.iterdir():
        if not p.name.startswith('movies_metadata'): os.symlink(p, raw/p.name)
    with gzip.open(sample_raw/'movies_metadata.csv.gz', 'rt', encoding='utf-8') as f: lines = f.read().split('\n')
    (raw/'movies_metadata.csv').write_text('\n'.join(lines[:n + 1]) + '\n', encoding='utf-8')
    movierec('etl', '--raw-dir', raw, '--out', tmp_path/'clean_small')
    return tmp_path/'clean_small'


def _train_proc(clean, models, *args):
    return subprocess.Popen([str(Path(sys.executable).parent/'movierec'), 'train', '--clean-dir', str(clean),
                             '--model-dir', str(models), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _kill_tree(p):
    if p.poll() is None: os.killpg(p.pid, signal.SIGKILL)
    p.communicate(timeout=120)


def test_killed_train_keeps_the_previous_model(clean_dir, model_dir, sample_raw, tmp_path):
    "A train killed while writing its new model leaves the previous model whole; the next train tidies up."
    models = tmp_path/'models'
    shutil.copytree(model_dir, models)
    before = rec_json(clean_dir, models, 'Jumanji', '-k', '5')
    p = _train_proc(_other_clean(sample_raw, tmp_path), models, '--name', 'fields')
    try:
        deadline = time.monotonic() + 300
        while not list(models.glob('.fields.staging.*')) and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        staged = bool(list(models.glob('.fields.staging.*')))
    finally: _kill_tree(p)
    print('killed while staging' if staged else 'finished before the kill')
    if staged: assert rec_json(clean_dir, models, 'Jumanji', '-k', '5') == before   # the old model, whole
    else:   # the run finished before the poll saw its staging folder: the new model is there, whole
        r = rec(clean_dir, models, 'Jumanji', check=False)
        assert r.returncode == 2 and 'trained on other clean data' in r.stderr
    movierec('train', '--clean-dir', clean_dir, '--model-dir', models, '--name', 'fields')
    assert not [q for q in models.glob('.fields.*') if q.is_dir()]   # no staging folder, no old version left
    assert rec_json(clean_dir, models, 'Jumanji', '-k', '5') == before


def test_two_trains_into_one_folder_take_turns(clean_dir, sample_raw, tmp_path):
    "Two trains on different data into one models folder: both finish, and each model is one training's, whole."
    small, models = _other_clean(sample_raw, tmp_path), tmp_path/'models'
    procs = [_train_proc(c, models, '--name', 'fields', '--name', 'overview') for c in (clean_dir, small)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    for name in ('fields', 'overview'):
        ok = [rec(c, models, 'Heat', '--name', name, check=False) for c in (clean_dir, small)]
        assert sorted(r.returncode for r in ok) == [0, 2], [r.stderr for r in ok]
        assert all('Traceback' not in r.stderr for r in ok)
    fps = {json.loads((models/n/'manifest.json').read_text())['clean_fingerprint'] for n in ('fields', 'overview')}
    assert len(fps) == 1   # the writer lock holds for a whole run: both variants come from the same one


def test_train_rejects_bad_arguments(clean_dir, tmp_path):
    r = movierec('train', '--clean-dir', clean_dir, '--model-dir', tmp_path, '--name', 'nope', check=False)
    assert r.returncode == 2 and 'unknown model' in r.stderr
    r = movierec('train', '--clean-dir', tmp_path/'nothing', '--model-dir', tmp_path, check=False)
    assert r.returncode == 2 and 'movierec etl' in r.stderr


@pytest.fixture(scope='module')
def full_model(full_raw, tmp_path_factory):
    d = tmp_path_factory.mktemp('full')
    movierec('etl', '--raw-dir', full_raw, '--out', d/'clean')
    movierec('train', '--clean-dir', d/'clean', '--model-dir', d/'models', '--name', 'fields')
    return d/'clean', d/'models'


def test_toy_story_on_the_full_catalogue(full_model):
    clean, models = full_model
    out = rec_json(clean, models, 'toy story')
    assert 'Toy Story 2' in [r['title'] for r in out['recommendations']]
    kk = rec_json(clean, models, 'King Kong (1976)', '-k', '1')
    assert kk['query']['year'] == 1976 and {o['year'] for o in kk['others']} >= {1933, 2005}
