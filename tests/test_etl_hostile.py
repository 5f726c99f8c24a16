"""`movierec etl` on raw folders an outside user may hand it: real kaggle-sample rows re-written with other line
endings, a BOM, a cut last line, reordered / duplicated / missing columns, values beyond int64 or infinite, impossible
dates, a header without rows, and output paths that cannot be folders. Each run ends with a clear message and a
non-zero exit, or reconciles with the bad rows in the quarantine: never a traceback, never a silent loss."""
import csv, gzip, io, json
from pathlib import Path
import pandas as pd
import pytest
from conftest import movierec

N = 30   # real movies rows used per case


@pytest.fixture(scope='module')
def real_rows(sample_raw):
    with gzip.open(sample_raw/'movies_metadata.csv.gz', 'rt', encoding='utf-8', newline='') as f:
        r = csv.reader(f); header = next(r); rows = [next(r) for _ in range(N)]
    return header, rows


def _csv(header, rows, nl='\n'):
    s = io.StringIO(); w = csv.writer(s, lineterminator=nl); w.writerow(header); w.writerows(rows); return s.getvalue()


def _with(header, rows, **cells):
    "The rows with cells of the first row (Toy Story) replaced."
    rows = [list(r) for r in rows]
    for k, v in cells.items(): rows[0][header.index(k)] = v
    return rows


def _run(tmp_path, files:dict, out=None):
    raw = tmp_path/'raw'; raw.mkdir()
    for name, data in files.items(): (raw/name).write_bytes(data)
    out = out or tmp_path/'clean'
    return movierec('etl', '--raw-dir', raw, '--out', out, '--no-progress', check=False), out


def _reconciled(out):
    rep = json.loads((out/'etl_report.json').read_text())
    q = pd.read_parquet(out/'quarantine.parquet')
    for name, f in rep['files'].items():
        assert f['rows_read'] == f['rows_kept'] + f['rows_quarantined'], (name, f)
        assert (q['source'] == name).sum() == f['rows_quarantined'], name
    return rep, q


def _kept(rep): return rep['files']['movies_metadata']['rows_kept']


@pytest.mark.parametrize('case', ['crlf', 'bom', 'reordered', 'extra_column', 'truncated_last_line', 'unclosed_quote'])
def test_layout_variants_reconcile(tmp_path, real_rows, case):
    h, rows = real_rows
    data = {'crlf': lambda: _csv(h, rows, '\r\n').encode(),
            'bom': lambda: b'\xef\xbb\xbf' + _csv(h, rows).encode(),
            'reordered': lambda: _csv(h[::-1], [r[::-1] for r in rows]).encode(),
            'extra_column': lambda: _csv(h + ['extra'], [r + ['x'] for r in rows]).encode(),
            'truncated_last_line': lambda: _csv(h, rows).encode()[:-150],
            'unclosed_quote': lambda: (_csv(h, rows) + 'False,"{oops,1,2\n').encode()}[case]()
    r, out = _run(tmp_path, {'movies_metadata.csv': data})
    assert r.returncode == 0 and 'Traceback' not in r.stderr, r.stderr
    rep, q = _reconciled(out)
    if case in ('truncated_last_line', 'unclosed_quote'):
        assert list(q['reason']) == ['field_count'] and _kept(rep) == N - (case == 'truncated_last_line')
    else:
        assert _kept(rep) == N and q.empty
        m = pd.read_parquet(out/'movies.parquet').set_index('id')
        assert m.loc[862, 'title'] == 'Toy Story' and m.loc[862, 'release_date'] == '1995-10-30'


@pytest.mark.parametrize('cells, reason', [
    (dict(id='9' * 30), 'bad_id'), (dict(id='0'), 'bad_id'), (dict(id='862.0'), 'bad_id'),
    (dict(release_date='1995-13-45'), 'bad_release_date'), (dict(release_date='30/10/1995'), 'bad_release_date'),
    (dict(release_date='0000-01-01'), 'bad_release_date')])
def test_bad_identity_is_quarantined(tmp_path, real_rows, cells, reason):
    h, rows = real_rows
    r, out = _run(tmp_path, {'movies_metadata.csv': _csv(h, _with(h, rows, **cells)).encode()})
    assert r.returncode == 0 and 'Traceback' not in r.stderr, r.stderr
    rep, q = _reconciled(out)
    assert list(q['reason']) == [reason] and json.loads(q['raw'][0])['title'] == 'Toy Story'
    assert _kept(rep) == N - 1


def test_id_with_leading_zeros_is_that_id(tmp_path, real_rows):
    h, rows = real_rows
    r, out = _run(tmp_path, {'movies_metadata.csv': _csv(h, _with(h, rows, id='000862')).encode()})
    assert r.returncode == 0, r.stderr
    assert pd.read_parquet(out/'movies.parquet').set_index('id').loc[862, 'title'] == 'Toy Story'


def test_infinite_and_negative_numbers_are_blanked(tmp_path, real_rows):
    h, rows = real_rows
    rows = _with(h, rows, budget='9' * 400, revenue='-5', runtime='inf', vote_count='-3')
    rows[1][h.index('budget')] = '1e400'
    r, out = _run(tmp_path, {'movies_metadata.csv': _csv(h, rows).encode()})
    assert r.returncode == 0, r.stderr
    rep, q = _reconciled(out)
    assert q.empty and rep['files']['movies_metadata']['blanked'] == {'budget': 2, 'revenue': 1, 'runtime': 1, 'vote_count': 1}
    m = pd.read_parquet(out/'movies.parquet').set_index('id')
    ts = m.loc[862]
    assert (ts.budget, ts.revenue, ts['return'], ts.vote_count) == (0, 0, 0, 0) and pd.isna(ts.runtime)
    assert all(pd.Series(m[c]).abs().lt(float('inf')).all() for c in ('budget', 'revenue', 'return'))


def test_ratings_out_of_range_are_quarantined(tmp_path, real_rows):
    h, rows = real_rows
    ratings = b'userId,movieId,rating,timestamp\n1,1,4.0,1\n1,1,inf,2\n1,1,-4,3\n1,1,nan,4\n99999999999999999999,1,4,5\n'
    r, out = _run(tmp_path, {'movies_metadata.csv': _csv(h, rows).encode(), 'links.csv': b'movieId,imdbId,tmdbId\n1,0114709,862\n',
                             'ratings_small.csv': ratings})
    assert r.returncode == 0 and 'Traceback' not in r.stderr, r.stderr
    rep, q = _reconciled(out)
    assert rep['files']['ratings_small']['quarantined'] == {'bad_value': 4}
    assert pd.read_parquet(out/'ratings.parquet')['rating'].tolist() == [4.0]


@pytest.mark.parametrize('case, message', [
    ('duplicate_header', "['id'] more than once"), ('header_only', 'has a header but no data rows'),
    ('all_rejected', 'keeps no movie: all 30 rows were rejected (bad_release_date 30)'),
    ('missing_column', "lacks the column(s) ['overview']"), ('empty', 'is empty'),
    ('not_gzip', 'Not a gzipped file'), ('not_utf8', 'not UTF-8 text (line 2, byte 0xe9)')])
def test_unusable_file_is_a_clear_error_and_keeps_previous_outputs(tmp_path, real_rows, sample_raw, case, message):
    h, rows = real_rows
    out = tmp_path/'clean'
    movierec('etl', '--raw-dir', sample_raw, '--out', out, '--no-progress')
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    name, data = 'movies_metadata.csv', None
    if case == 'duplicate_header': data = _csv(h + ['id'], [r + ['1'] for r in rows]).encode()
    elif case == 'header_only': data = _csv(h, []).encode()
    elif case == 'all_rejected': data = _csv(h, [r[:h.index('release_date')] + ['31/12/1999'] + r[h.index('release_date') + 1:] for r in rows]).encode()
    elif case == 'missing_column':
        keep = [i for i, c in enumerate(h) if c != 'overview']; data = _csv([h[i] for i in keep], [[r[i] for i in keep] for r in rows]).encode()
    elif case == 'empty': data = b''
    elif case == 'not_gzip': name, data = 'movies_metadata.csv.gz', _csv(h, rows).encode()
    elif case == 'not_utf8': data = _csv(h, _with(h, rows, overview='MARK')).encode().replace(b'MARK', 'Amélie'.encode('latin-1'))
    r, _ = _run(tmp_path, {name: data}, out=out)
    assert r.returncode == 2 and 'Traceback' not in r.stderr and message in r.stderr, r.stderr
    assert r.stderr.startswith('error: ')
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_duplicate_header_in_credits(tmp_path, real_rows):
    h, rows = real_rows
    r, _ = _run(tmp_path, {'movies_metadata.csv': _csv(h, rows).encode(), 'credits.csv': b'cast,crew,id,id\n"[]","[]",862,862\n'})
    assert r.returncode == 2 and "credits: the header names the column(s) ['id'] more than once" in r.stderr, r.stderr


@pytest.mark.parametrize('where', ['a_file', 'under_a_file', 'proc'])
def test_output_folder_that_cannot_be_one(tmp_path, sample_raw, where):
    (tmp_path/'f').write_text('x')
    out = {'a_file': tmp_path/'f', 'under_a_file': tmp_path/'f'/'clean', 'proc': Path('/proc/movierec-clean')}[where]
    r = movierec('etl', '--raw-dir', sample_raw, '--out', out, '--no-progress', check=False)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert r.stderr.startswith(f'error: ') and str(out) in r.stderr and ('is a file' in r.stderr or 'cannot create' in r.stderr)


def test_kaggle_zip_or_renamed_file_is_pointed_at(tmp_path, real_rows):
    "The Kaggle download is a zip; a file saved as MOVIES_METADATA.CSV is not the expected name either."
    import zipfile
    h, rows = real_rows
    raw = tmp_path/'raw'; raw.mkdir()
    with zipfile.ZipFile(raw/'the-movies-dataset.zip', 'w') as z: z.writestr('movies_metadata.csv', _csv(h, rows))
    (raw/'MOVIES_METADATA.CSV').write_text(_csv(h, rows))
    r = movierec('etl', '--raw-dir', raw, '--out', tmp_path/'clean', check=False)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert 'found MOVIES_METADATA.CSV, the-movies-dataset.zip' in r.stderr and 'unzip' in r.stderr, r.stderr


def test_raw_dir_that_is_the_file_itself(tmp_path, sample_raw):
    r = movierec('etl', '--raw-dir', sample_raw/'movies_metadata.csv.gz', '--out', tmp_path/'clean', check=False)
    assert r.returncode == 2 and r.stderr.startswith(f"error: --raw-dir {sample_raw/'movies_metadata.csv.gz'} is a file; pass the folder"), r.stderr
