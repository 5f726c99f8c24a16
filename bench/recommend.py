"""Benchmark of the recommender: top-K neighbour table (sparse_dot_topn, blockwise) next to the dense N×N way.

Build time and peak memory at several sizes of two real corpora: the overviews of reconstructed-full
(11,848 movies with a synopsis) and the keyword names of the complete keywords.csv (~31k movies with keywords).
Each measurement runs in a fresh process (top-K builds: best time of --repeat runs); peak memory is the growth of the process's peak RSS during the
build (data already loaded). The dense way is the reference project's: `cosine_similarity` on the float64
TF-IDF matrix (N×N float64), then the top K of every row with argpartition (1,000 rows at a time, so that
only the N×N matrix itself is large).
Then query latency (p50/p99 over 1,000 lookups) of a model trained on the clean data, filtered queries that need
on-the-fly scoring (next to the naive X[candidates] @ X[r].T) and taste profiles of 50 liked movies (next to a
dense liked x catalogue product).

    python bench/recommend.py [--raw-dir DIR] [--clean-dir DIR --model-dir DIR] [--sizes 2000,5000,...] [--skip-dense-above N]
"""
from __future__ import annotations
import argparse, ast, gc, json, multiprocessing as mp, os, resource, sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd

K = 50


def _rss_peak_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus(kind:str, raw_dir:Path):
    "Documents of a real corpus: 'overview' (raw synopses) or 'keywords' (keyword names per movie)."
    from movierec.config import find_raw_file
    if kind == 'overview':
        m = pd.read_csv(find_raw_file(raw_dir, 'movies_metadata'), usecols=['id', 'overview'], dtype=str)
        return m['overview'].dropna().loc[lambda s: s.str.strip() != ''].tolist()
    kw = pd.read_csv(find_raw_file(raw_dir, 'keywords')).drop_duplicates('id')
    docs = [[d['name'] for d in ast.literal_eval(s)] for s in kw['keywords']]
    return [d for d in docs if d]


def vectorize(kind, docs, dtype):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from movierec.recommend import _items
    v = TfidfVectorizer(dtype=dtype, stop_words='english') if kind == 'overview' else TfidfVectorizer(dtype=dtype, analyzer=_items)
    return v.fit_transform(docs)


def _child(kind, raw_dir, n, method, q):
    docs = corpus(kind, raw_dir)[:n]
    X = vectorize(kind, docs, np.float64 if method == 'dense' else np.float32)
    gc.collect(); base = _rss_peak_mb(); t = time.perf_counter()
    if method == 'dense':
        from sklearn.metrics.pairwise import cosine_similarity
        S = cosine_similarity(X)                      # the N×N matrix
        np.fill_diagonal(S, -1)
        idx = np.vstack([np.argpartition(S[b:b+1000], -K, axis=1)[:, -K:]  # each row's top K (unsorted),
                         for b in range(0, n, 1000)])                     # a block of rows at a time
    else:
        from movierec.recommend import topk_neighbours
        idx, _ = topk_neighbours(X, k=K, method=method)
    dt = time.perf_counter() - t
    q.put(dict(seconds=dt, peak_mb=_rss_peak_mb() - base, nnz=int(X.nnz), terms=int(X.shape[1])))


def measure(kind, raw_dir, n, method, timeout=3600):
    q = mp.get_context('spawn').Queue()
    p = mp.get_context('spawn').Process(target=_child, args=(kind, raw_dir, n, method, q))
    p.start(); p.join(timeout)
    if p.is_alive(): p.kill(); return None
    return q.get() if p.exitcode == 0 else None


def build_table(raw_dir, sizes, skip_dense_above, repeat=3):
    rows = []
    for kind in ('overview', 'keywords'):
        total = len(corpus(kind, raw_dir))
        for n in sorted({min(s, total) for s in sizes} | {total}):
            for method in ('topn', 'blockwise', 'dense'):
                if method == 'dense' and n > skip_dense_above:
                    rows.append(dict(corpus=kind, docs=n, method=method, seconds=np.nan, peak_mb=np.nan, note='skipped')); continue
                runs = [measure(kind, raw_dir, n, method) for _ in range(1 if method == 'dense' else repeat)]
                runs = [r for r in runs if r]
                r = dict(runs[0], seconds=min(x['seconds'] for x in runs), peak_mb=max(x['peak_mb'] for x in runs)) if runs else None
                rows.append(dict(corpus=kind, docs=n, method=method, **(r or dict(note='failed (out of memory or time)'))))
                print(pd.DataFrame(rows[-1:]).to_string(index=False, header=len(rows) == 1), flush=True)
    return pd.DataFrame(rows)


def latency(clean_dir, model_dir, n=1000, seed=0):
    "p50/p99 in ms of lookups on a loaded model (after one warm-up query)."
    from movierec.recommend import Recommender
    t = time.perf_counter(); rec = Recommender.load(model_dir, clean_dir); load_s = time.perf_counter() - t
    rng = np.random.default_rng(seed)
    answered = np.flatnonzero(rec.idx[:, 0] >= 0)
    rows = rng.choice(answered, n)
    ids = [int(rec._ids[r]) for r in rows]
    titles = [f"{rec._titles[r]} ({rec._years[r]})" if rec._years[r] else rec._titles[r] for r in rows]
    typed = [rec._titles[r][:max(3, len(rec._titles[r]) // 2)] for r in rows]
    out = {}
    def run(label, f, args):
        f(args[0]); ts = []
        for a in args:
            t0 = time.perf_counter_ns(); f(a); ts.append((time.perf_counter_ns() - t0) / 1e6)
        out[label] = dict(p50_ms=float(np.percentile(ts, 50)), p99_ms=float(np.percentile(ts, 99)), max_ms=float(np.max(ts)))
    run('neighbour row by id', lambda i: rec.idx[rec._row[i]], ids)
    run('recommend(title) -> 5 titles', lambda s: rec.recommend(s, k=5), titles)
    run('similar(title, k=5) with why', lambda s: rec.similar(s, k=5), titles)
    run('similar(..., filters)', lambda s: rec.similar(s, k=5, year_min=1990, min_votes=10), titles)
    run('suggest(half a title)', lambda s: rec.suggest(s, limit=10), typed)
    return rec, load_s, pd.DataFrame(out).T


def _pcts(ts): return dict(p50_ms=float(np.percentile(ts, 50)), p99_ms=float(np.percentile(ts, 99)), max_ms=float(np.max(ts)))


def _timed(f, args):
    "Per-call times in ms of f(a) for a in args (after one warm-up call)."
    f(args[0])
    ts = []
    for a in args:
        t0 = time.perf_counter_ns()
        f(a)
        ts.append((time.perf_counter_ns() - t0) / 1e6)
    return ts


def _naive_filtered(rec, r, k, ok):
    "The naive way: cosine of the query row with every candidate passing the filters, X[cands] @ X[r].T, then top k."
    cands = np.flatnonzero(ok)
    cands = cands[cands != r]
    s = (rec.X[cands] @ rec.X[r].T).toarray().ravel()
    top = np.argsort(-s, kind='stable')[:k]
    return cands[top], s[top]


CASES = [(dict(language='fr', genres=['Comedy']), 10), (dict(year_min=2010, genres=['Horror']), 10),
         (dict(language='ja', min_votes=20), 10), (dict(year_max=1960, genres=['Western', 'War']), 10),
         (dict(genres=['Drama']), 100), (dict(year_min=1990), 100), (dict(), 100)]


def _short_rows(rec, ok, k, n, rng):
    "Up to n random rows with text whose stored neighbours passing `ok` are fewer than k (on-the-fly needed)."
    rows = rng.permutation(np.flatnonzero(rec._has_text & (rec.idx[:, -1] >= 0)))[:20 * n]
    return [int(r) for r in rows if len(rec._stored_hits(r, k, ok)) < k][:n]


def filtered_latency(rec, n=200, seed=0):
    "Filtered single-title queries whose stored neighbours run out (on-the-fly scoring), ours vs the naive way."
    rng = np.random.default_rng(seed)
    out, every, full, old = {}, {'ours': [], 'naive': []}, [], []
    for f, k in CASES:
        ok = rec._mask(rec.check_filters(k, **f))
        ok = np.ones(len(rec._ids), bool) if ok is None else ok
        rows = _short_rows(rec, ok, k, n, rng)
        ours = _timed(lambda r: rec.similar(int(rec._ids[r]), k=k, **f), rows)
        naive = _timed(lambda r: _naive_filtered(rec, r, k, ok), rows)
        every['ours'] += ours
        every['naive'] += naive
        full += [len(rec.similar(int(rec._ids[r]), k=k, **f)['recommendations']) == min(k, ok.sum() - 1) for r in rows]
        old += [len(rec._stored_hits(r, k, ok)) == k for r in rows]
        label = f"{' '.join(f'{a}={b}' for a, b in f.items()) or 'no filter'}, k={k}"
        out[label] = dict(passing=int(ok.sum()), queries=len(rows), **{f'ours_{a}': v for a, v in _pcts(ours).items()},
                          **{f'naive_{a}': v for a, v in _pcts(naive).items()})
    out['all'] = dict(passing=np.nan, queries=len(full), **{f'ours_{a}': v for a, v in _pcts(every['ours']).items()},
                      **{f'naive_{a}': v for a, v in _pcts(every['naive']).items()})
    return pd.DataFrame(out).T.drop(columns=['ours_max_ms', 'naive_max_ms']), np.mean(full), np.mean(old)


def _naive_taste(rec, liked, k):
    "The naive way: the dense liked x catalogue cosine matrix, averaged, then a full sort."
    S = (rec.X[liked] @ rec.X.T).toarray().mean(0)
    S[liked] = -np.inf
    return np.argsort(-S, kind='stable')[:k]


def taste_latency(rec, n=300, n_liked=50, k=10, seed=0):
    "for_taste with `n_liked` liked movies (the most voted 5,000 movies with text), ours vs the naive way."
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(rec._has_text)
    pool = pool[np.argsort(-rec._votes[pool], kind='stable')[:5000]]
    profiles = [rng.choice(pool, n_liked, replace=False) for _ in range(n)]
    ids = [[int(rec._ids[r]) for r in p] for p in profiles]
    rows = {f'for_taste({n_liked} liked, k={k}) with why': _pcts(_timed(lambda L: rec.for_taste(L, k=k), ids)),
            f'for_taste({n_liked} liked, k={k}, filters)': _pcts(_timed(
                lambda L: rec.for_taste(L, k=k, year_min=1990, genres=['Drama']), ids)),
            '  scores only': _pcts(_timed(lambda p: rec.taste.scores(list(p)), profiles)),
            '  naive dense liked x catalogue': _pcts(_timed(lambda p: _naive_taste(rec, p, k), profiles[:50]))}
    return pd.DataFrame(rows).T, type(rec.taste).__name__


def main(argv=None):
    from movierec.config import full_raw_dir
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--raw-dir', default=None, help='raw folder (default: reconstructed-full)')
    ap.add_argument('--clean-dir'); ap.add_argument('--model-dir')
    ap.add_argument('--sizes', default='2000,5000,10000,20000,30000')
    ap.add_argument('--skip-dense-above', type=int, default=40000)
    ap.add_argument('--repeat', type=int, default=3, help='runs of each top-K build (best time is kept; dense runs once)')
    ap.add_argument('--no-build', action='store_true', help='only the query latency')
    a = ap.parse_args(argv)
    raw = Path(a.raw_dir) if a.raw_dir else full_raw_dir()
    if raw is None: sys.exit('no raw folder: pass --raw-dir (reconstructed-full)')
    print(f'raw data: {raw}\nmachine: {os.cpu_count()} cores; K = {K}\n')
    if not a.no_build:
        t = build_table(raw, [int(s) for s in a.sizes.split(',')], a.skip_dense_above, a.repeat)
        piv = t.pivot_table(index=['corpus', 'docs'], columns='method', values=['seconds', 'peak_mb'])
        best = piv['seconds'][['topn', 'blockwise']].min(axis=1)
        piv[('dense / top-K', 'time ×')] = piv['seconds']['dense'] / best
        piv[('dense / top-K', 'memory ×')] = piv['peak_mb']['dense'] / piv['peak_mb'][['topn', 'blockwise']].min(axis=1)
        with pd.option_context('display.width', 200, 'display.max_columns', 20):
            print('\nbuild of the K-neighbour table (seconds, peak MB above the loaded data):')
            print(piv.round(2).to_string())
    clean, models = a.clean_dir, a.model_dir
    if not clean:
        from movierec.etl import run_etl
        tmp = Path(tempfile.mkdtemp(prefix='bench-rec-')); clean, models = tmp/'clean', tmp/'models'
        run_etl(raw, clean, progress=False)
    if not models or not (Path(models)).exists():
        from movierec.recommend import train
        models = models or Path(tempfile.mkdtemp(prefix='bench-rec-'))/'models'
        train(clean, models)
    rec, load_s, lat = latency(clean, models)
    print(f'\nquery latency, model {rec.name!r} on {len(rec._ids):,} movies (loaded in {load_s:.2f}s), 1,000 random titles:')
    print(lat.round(3).to_string())
    ft, full, old = filtered_latency(rec)
    print(f'\nfiltered single-title queries whose stored top-{rec.K} runs out: ours = similar() with why (stored '
          'neighbours, then the cosine with every movie through the term index); naive = X[cands] @ X[r].T + sort')
    with pd.option_context('display.width', 200):
        print(ft.round(3).to_string())
    print(f'answers holding k movies whenever k pass: {full:.0%} (post-filtering the stored neighbours only: {old:.0%})')
    tt, model = taste_latency(rec)
    print(f'\ntaste profiles, taste model {model}:')
    print(tt.round(3).to_string())


if __name__ == '__main__':
    main()
