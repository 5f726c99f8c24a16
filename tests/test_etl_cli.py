"""`movierec etl` on the real kaggle-sample files, checked against the raw files read independently
(pandas + ast.literal_eval), plus a hand-made defective raw folder, atomicity and determinism."""
import ast, csv, gzip, hashlib, io, json, shutil
from pathlib import Path
import pandas as pd
import pytest
from conftest import movierec

TABLES = ['cast', 'collections', 'companies', 'countries', 'crew', 'genres', 'keywords', 'languages', 'movies', 'original_titles',
          'movies_recomendacion', 'quarantine', 'ratings']
DROPPED = ['video', 'imdb_id', 'adult', 'original_title', 'poster_path', 'homepage']


def sha(p): return hashlib.sha256(Path(p).read_bytes()).hexdigest()

def lit(s): return ast.literal_eval(s) if isinstance(s, str) and s.strip() else None


@pytest.fixture(scope='module')
def raw_movies(sample_raw):
    return pd.read_csv(sample_raw/'movies_metadata.csv.gz', dtype=str, keep_default_na=False)

@pytest.fixture(scope='module')
def kept_raw(raw_movies):
    "The raw rows the ETL must keep: a release date, first occurrence of each id."
    r = raw_movies[raw_movies.release_date.str.strip() != '']
    return r[~r.id.duplicated()].assign(id=lambda d: d.id.astype('int64')).set_index('id')

@pytest.fixture(scope='module')
def movies(clean_dir): return pd.read_parquet(clean_dir/'movies.parquet').set_index('id')

@pytest.fixture(scope='module')
def report(clean_dir): return json.loads((clean_dir/'etl_report.json').read_text())


def test_outputs_present(clean_dir):
    for t in TABLES: assert (clean_dir/f'{t}.parquet').is_file(), t
    assert (clean_dir/'etl_report.json').is_file() and (clean_dir/'manifest.json').is_file()
    assert not list(clean_dir.parent.glob('.*staging*'))


def test_toy_story(movies, clean_dir):
    ts = movies.loc[862]
    assert ts.title == 'Toy Story' and ts.release_date == '1995-10-30'
    assert (ts.release_year, ts.release_month, ts.release_weekday) == (1995, 10, 0)   # 1995-10-30 was a Monday
    assert ts['return'] == pytest.approx(373554033 / 30000000)
    assert list(ts.genres) == ['Animation', 'Comedy', 'Family']
    assert ts.collection_name == 'Toy Story Collection' and ts.collection_id == 10194
    assert list(ts.directors) == ['John Lasseter']
    assert 'Tom Hanks' in list(ts.top_cast) and len(ts.top_cast) == 5
    assert 'toy' in list(ts.keywords)
    crew = pd.read_parquet(clean_dir/'crew.parquet')
    assert 'John Lasseter' in set(crew[(crew.movie_id == 862) & (crew.job == 'Director')].name)


def test_movies_rows_and_dropped_columns(movies, kept_raw):
    assert sorted(movies.index) == sorted(kept_raw.index)
    assert movies.index.is_unique and movies.index.is_monotonic_increasing
    assert not set(DROPPED) & set(movies.columns)
    assert movies.release_date.notna().all()


def test_money_dates_and_return(movies, kept_raw):
    raw = kept_raw.loc[movies.index]
    budget = pd.to_numeric(raw.budget.replace('', None)).fillna(0).astype(float)
    revenue = pd.to_numeric(raw.revenue.replace('', None)).fillna(0).astype(float)
    assert (movies.budget.values == budget.values).all() and (movies.revenue.values == revenue.values).all()
    expected = [r / b if b > 0 else 0.0 for r, b in zip(revenue, budget)]
    assert movies['return'].tolist() == pytest.approx(expected)
    assert (movies['return'] == 0).sum() > 0 and (movies['return'] > 0).sum() > 0
    dates = pd.to_datetime(raw.release_date, format='%Y-%m-%d')
    assert (movies.release_date.values == dates.dt.strftime('%Y-%m-%d').values).all()
    assert (movies.release_year.values == dates.dt.year.values).all()
    assert (movies.release_weekday.values == dates.dt.day_of_week.values).all()
    assert str(movies.release_year.dtype) == 'int64'


def test_nested_columns_flattened_and_tidy(movies, kept_raw, clean_dir):
    raw = kept_raw.loc[movies.index]
    for col, key, flat in [('genres', 'name', 'genres'), ('production_companies', 'name', 'companies'),
                           ('production_countries', 'iso_3166_1', 'country_codes'), ('spoken_languages', 'iso_639_1', 'spoken_languages')]:
        expected = [[d[key] for d in (lit(s) or [])] for s in raw[col]]
        assert [list(v) for v in movies[flat]] == expected, col
    coll = [(lit(s) or {}).get('name') for s in raw.belongs_to_collection]
    assert [None if pd.isna(v) else v for v in movies.collection_name] == coll
    genres = pd.read_parquet(clean_dir/'genres.parquet')
    exp = [(i, p, d['id'], d['name']) for i, s in zip(raw.index, raw.genres) for p, d in enumerate(lit(s) or [])]
    assert list(genres.itertuples(index=False, name=None)) == sorted(exp)
    coll_t = pd.read_parquet(clean_dir/'collections.parquet')
    assert len(coll_t) == sum(c is not None for c in coll) and coll_t.movie_id.is_unique


def test_credits_and_keywords(movies, sample_raw, clean_dir):
    credits = pd.read_csv(sample_raw/'credits.csv.gz', dtype=str)
    cast = pd.read_parquet(clean_dir/'cast.parquet')
    for _, r in credits.iterrows():
        mid = int(r.id)
        crew = ast.literal_eval(r.crew); cst = ast.literal_eval(r['cast'])
        assert list(movies.loc[mid, 'directors']) == [d['name'] for d in crew if d['job'] == 'Director']
        assert list(movies.loc[mid, 'top_cast']) == [d['name'] for d in sorted(cst, key=lambda d: d['order'])][:5]
        assert cast[cast.movie_id == mid].name.tolist() == [d['name'] for d in cst]
    assert (movies.directors.map(len) > 0).sum() == len(credits)   # only the 35 credited movies have directors
    kw = pd.read_csv(sample_raw/'keywords.csv.gz', dtype=str)
    kw = kw[kw.id.astype(int).isin(movies.index)].drop_duplicates('id')
    for _, r in kw.sample(200, random_state=0).iterrows():
        assert list(movies.loc[int(r.id), 'keywords']) == [d['name'] for d in ast.literal_eval(r.keywords)]
    kt = pd.read_parquet(clean_dir/'keywords.parquet')
    assert set(kt.movie_id) <= set(movies.index) and len(kt) == sum(len(ast.literal_eval(s)) for s in kw.keywords)


def test_overview_clean(movies, clean_dir):
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    from movierec.etl import clean_text
    assert (movies.overview_clean.values == [clean_text(s) for s in movies.overview]).all()
    words = {w for s in movies.overview_clean for w in s.split()}
    assert not words & ENGLISH_STOP_WORDS
    assert all(w.isalpha() and w == w.lower() and w.isascii() or not w.isascii() for w in words)
    assert not any(ch.isdigit() for w in words for ch in w)
    assert (movies.overview.isna() <= (movies.overview_clean == '')).all()
    reco = pd.read_parquet(clean_dir/'movies_recomendacion.parquet')
    assert list(reco.columns) == ['id', 'title', 'release_year', 'overview_clean'] and len(reco) == len(movies)


def test_ratings_through_links(sample_raw, clean_dir, movies):
    ratings = pd.read_parquet(clean_dir/'ratings.parquet')
    raw = pd.read_csv(sample_raw/'ratings_small.csv.gz')
    links = pd.read_csv(sample_raw/'links.csv.gz').dropna(subset=['tmdbId'])
    j = raw.merge(links[['movieId', 'tmdbId']], on='movieId')
    j = j[j.tmdbId.astype(int).isin(movies.index)]
    assert len(ratings) == len(j)
    assert sorted(zip(ratings.user_id, ratings.movie_id, ratings.rating)) == sorted(zip(j.userId, j.tmdbId.astype(int), j.rating))


def test_reconciliation_per_file(sample_raw, clean_dir, report):
    q = pd.read_parquet(clean_dir/'quarantine.parquet')
    assert report['reconciled'] is True
    for name, f in report['files'].items():
        raw = pd.read_csv(sample_raw/f['file'], dtype=str)
        assert f['rows_read'] == len(raw), name
        assert f['rows_read'] == f['rows_kept'] + f['rows_quarantined'], name
        qn = q[q.source == name]
        assert len(qn) == f['rows_quarantined'] and qn.reason.value_counts().to_dict() == f['quarantined'], name
    m = report['files']['movies_metadata']
    assert m['quarantined'] == {'duplicate_id': 1, 'missing_release_date': 2} and m['duplicates'] == 1
    # the quarantined raw values are the raw row, as text
    qm = q[q.source == 'movies_metadata']
    raw = pd.read_csv(sample_raw/'movies_metadata.csv.gz', dtype=str, keep_default_na=False)
    for _, r in qm.iterrows():
        assert json.loads(r.raw) == raw.iloc[r.row_number - 1].to_dict()
    assert set(pd.read_parquet(clean_dir/'keywords.parquet').movie_id) <= set(pd.read_parquet(clean_dir/'movies.parquet').id)


def test_manifest(sample_raw, clean_dir):
    man = json.loads((clean_dir/'manifest.json').read_text())
    for name, i in man['inputs'].items(): assert i['sha256'] == sha(sample_raw/i['file'])
    assert man['outputs'] == {f'{t}.parquet': sha(clean_dir/f'{t}.parquet') for t in TABLES}
    assert len(man['fingerprint']) == 64 and man['package_version']


def test_two_runs_identical(sample_raw, clean_dir, tmp_path):
    out = tmp_path/'again'
    r = movierec('etl', '--raw-dir', sample_raw, '--out', out, '--no-progress')
    assert 'read 2,996 = kept 2,993 + quarantined 3' in r.stdout
    for t in TABLES: assert sha(out/f'{t}.parquet') == sha(clean_dir/f'{t}.parquet'), t
    assert json.loads((out/'manifest.json').read_text())['fingerprint'] == json.loads((clean_dir/'manifest.json').read_text())['fingerprint']


def test_raw_dir_from_environment(sample_raw, tmp_path):
    "Also: `--clean-dir` names the output folder as in train and pipeline (an alias of `--out`)."
    r = movierec('etl', '--clean-dir', tmp_path/'o', '--no-progress', env={'MOVIEREC_RAW_DIR': str(sample_raw)})
    assert (tmp_path/'o'/'movies.parquet').is_file() and 'movies_metadata.csv.gz' in r.stdout


def test_missing_movies_file(tmp_path):
    (tmp_path/'raw').mkdir()
    r = movierec('etl', '--raw-dir', tmp_path/'raw', '--out', tmp_path/'o', check=False)
    assert r.returncode != 0
    assert 'rounakbanik/the-movies-dataset' in r.stderr and '--raw-dir' in r.stderr and 'Traceback' not in r.stderr
    assert not (tmp_path/'o'/'movies.parquet').exists()


def test_failed_run_keeps_previous_outputs(sample_raw, clean_dir, tmp_path):
    out = tmp_path/'clean'; shutil.copytree(clean_dir, out)
    before = {p.name: sha(p) for p in out.iterdir()}
    bad = tmp_path/'raw'; bad.mkdir()
    shutil.copy(sample_raw/'movies_metadata.csv.gz', bad)            # movies go through, tables get staged ...
    (bad/'credits.csv.gz').write_bytes(b'\x1f\x8b truncated gzip')  # ... then credits cannot be read
    r = movierec('etl', '--raw-dir', bad, '--out', out, '--no-progress', check=False)
    assert r.returncode != 0 and 'cannot read' in r.stderr and 'Traceback' not in r.stderr
    assert {p.name: sha(p) for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if 'staging' in p.name]


# ---- a hand-made defective raw folder, from real rows --------------------------------------------------------

def _rows(path, n=None):
    with gzip.open(path, 'rt', newline='') as f: rows = list(csv.reader(f))
    return rows[0], rows[1:n + 1 if n else None]

def _write(path, header, rows):
    with open(path, 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f, lineterminator='\n'); w.writerow(header); w.writerows(rows)


@pytest.fixture(scope='module')
def defective(sample_raw, tmp_path_factory):
    d = tmp_path_factory.mktemp('defective')
    h, rows = _rows(sample_raw/'movies_metadata.csv.gz', 40)
    col = {c: i for i, c in enumerate(h)}
    rows = [list(r) for r in rows]
    rows[3][col['genres']] = rows[3][col['genres']][:-3]            # unparsable nested cell (cut short)
    rows[4][col['production_companies']] = '0.065736'                  # wrong shape
    rows[5][col['budget']] = ' 1.5e7 '; rows[5][col['vote_count']] = '12.0'   # numbers as text
    rows[6][col['revenue']] = 'Released'                               # text in a numeric column
    rows[7][col['overview']] = ''; rows[7][col['genres']] = '[]'       # missing overview, empty list
    split = rows[8]; cut = col['overview']
    first_half = split[:cut] + [split[cut][:40]]                         # a raw line break split this movie
    second_half = [' - Written by Ørnås'] + split[cut + 1:]
    shifted = second_half + [''] * (len(h) - len(second_half))           # the same, padded: id holds a date
    dup = list(rows[0]); dup[col['popularity']] = '99.0'
    raw = rows[:8] + [first_half, second_half, shifted] + rows[9:] + [dup]
    _write(d/'movies_metadata.csv', h, raw)
    ch, crows = _rows(sample_raw/'credits.csv.gz')
    crows = [list(r) for r in crows]
    crows[1][1] = crows[1][1][:100]                                      # crew cell cut short
    _write(d/'credits.csv', ch, crows + [crows[0]] + [['[]', '[]', '1997-08-20']])
    kh, krows = _rows(sample_raw/'keywords.csv.gz', 60)
    krows = [list(r) for r in krows]; krows[2][1] = "[{'id': 1, 'name': 'x'"
    _write(d/'keywords.csv', kh, krows)
    return d, dict(split_id=int(split[col['id']]), dup_id=int(rows[0][col['id']]),
                   ids=[int(r[col['id']]) for r in rows], bad_genres_id=int(rows[3][col['id']]),
                   text_num_id=int(rows[5][col['id']]), no_overview_id=int(rows[7][col['id']]),
                   bad_crew_id=int(crows[1][2]), bad_kw_id=int(krows[2][0]))


def test_defective_folder(defective, tmp_path):
    raw, info = defective
    out = tmp_path/'o'
    r = movierec('etl', '--raw-dir', raw, '--out', out, '--no-progress')
    rep = json.loads((out/'etl_report.json').read_text())
    m = rep['files']['movies_metadata']
    assert m['rows_read'] == 43 and rep['reconciled']
    assert m['quarantined'] == {'bad_id': 1, 'duplicate_id': 1, 'field_count': 2}
    assert m['blanked'] == {'genres': 1, 'production_companies': 1, 'revenue': 1}
    movies = pd.read_parquet(out/'movies.parquet').set_index('id')
    assert info['split_id'] not in movies.index and len(movies) == 39
    assert movies.loc[info['dup_id'], 'popularity'] != 99.0                # first occurrence kept
    assert list(movies.loc[info['bad_genres_id'], 'genres']) == []
    tn = movies.loc[info['text_num_id']]
    assert (tn.budget, tn.vote_count) == (1.5e7, 12)
    nov = movies.loc[info['no_overview_id']]
    assert pd.isna(nov.overview) and nov.overview_clean == '' and list(nov.genres) == []
    c = rep['files']['credits']
    # the split movie is quarantined, so its credits row is too
    assert c['quarantined'] == {'bad_id': 1, 'duplicate_id': 1, 'unknown_movie_id': 1} and c['blanked'] == {'crew': 1}
    assert list(movies.loc[info['bad_crew_id'], 'directors']) == [] and len(movies.loc[info['bad_crew_id'], 'top_cast']) == 5
    k = rep['files']['keywords']
    assert k['quarantined']['unparsable_keywords'] == 1 and k['quarantined']['unknown_movie_id'] > 0
    q = pd.read_parquet(out/'quarantine.parquet')
    for name, f in rep['files'].items():
        assert f['rows_read'] == f['rows_kept'] + f['rows_quarantined'] == f['rows_kept'] + (q.source == name).sum()
    fc = q[(q.source == 'movies_metadata') & (q.reason == 'field_count')]
    assert sorted(fc.row_number) == [9, 10]
    assert json.loads(q[(q.source == 'movies_metadata') & (q.reason == 'bad_id')].raw.iloc[0])['adult'] == ' - Written by Ørnås'
    assert 'field_count 2' in r.stdout and 'blanked cells' in r.stdout
