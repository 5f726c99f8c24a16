"""Taste model benchmarks (figures printed next to a naive way; nothing asserted).

    .venv/bin/python bench/taste.py --clean-dir /tmp/full/clean --model-dir /tmp/full/models [--rows 26000000]

1. taste query with 50 liked movies (hybrid: content profile + EASE + raters prior + year + collection + borrowed
   fans score), p50/p99 in process, the scores alone and the whole `for_taste` call, next to a naive way (one cosine
   row per liked movie, averaged, plus a dense EASE row sum).
2. the collaborative build on ratings_small's users replicated under new ids to --rows ratings (sparse Gram, EASE by
   Cholesky, pruning), time and peak memory in a child process, next to a naive pandas pivot + dense Gram at a
   smaller size (the dense user × movie matrix at 26M rows would not fit: its size is printed);
3. `movierec evaluate --ranking` wall time and peak memory (a child process);
4. one EASE fit on ratings_small (all ratings): the Woodbury users × users solve that fit_ease uses when fewer people
   than movies rated, next to the movies × movies Cholesky inverse (the naive way here), and their largest difference.
"""
import argparse, os, resource, subprocess, sys, time
import numpy as np, pandas as pd, scipy.sparse as sp


_PEAK = "\nimport resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)"


def _child(code:str, *args)->tuple[float, float, str]:
    "Run `code` in a fresh interpreter: (seconds, its peak RSS in GB, its stdout without the last line)."
    t = time.perf_counter()
    r = subprocess.run([sys.executable, '-c', code + _PEAK, *map(str, args)], capture_output=True, text=True)
    if r.returncode: raise SystemExit(r.stderr)
    *out, peak = r.stdout.strip().splitlines()
    return time.perf_counter() - t, float(peak), '\n'.join(out)


def _pct(ts)->str:
    return f'p50 {np.percentile(ts, 50) * 1e3:.2f} ms, p99 {np.percentile(ts, 99) * 1e3:.2f} ms'


def bench_query(clean_dir, model_dir, n:int=200):
    from movierec.recommend import Recommender
    from movierec.taste import fit_ease, interactions, read_ratings
    rec = Recommender.load(model_dir, clean_dir, 'fields').warm()   # as servers do: taste model loaded before timing
    m = rec.taste
    rng = np.random.default_rng(0)
    rated = np.flatnonzero(m.rated)
    queries = [rng.choice(rated, 50, replace=False).tolist() for _ in range(n)]
    ts = []
    for q in queries:
        t = time.perf_counter()
        m.scores(q)
        ts.append(time.perf_counter() - t)
    print(f'taste query, 50 liked, {len(rec._ids):,} movies (hybrid): {_pct(ts)}')
    ts = []
    for q in queries[:100]:                    # the whole call: names resolved, filters, top k, why of each pick
        t = time.perf_counter()
        rec.for_taste(rec._ids[q].tolist(), k=10)
        ts.append(time.perf_counter() - t)
    print(f'  Recommender.for_taste, same queries, k=10 with the why of each pick: {_pct(ts)}')
    act, B = fit_ease(interactions(read_ratings(clean_dir), rec._ids, 0.0), 200.0)
    pos = pd.Series(np.arange(len(act)), index=act)
    ts = []
    for q in queries[:20]:
        t = time.perf_counter()
        c = np.mean([rec.X @ rec.X[r].toarray().ravel() for r in q], axis=0)   # one cosine row per liked movie
        f = B[pos.reindex(q).dropna().astype(int).to_numpy()].sum(axis=0)     # dense EASE rows
        ts.append(time.perf_counter() - t)
    print(f'  naive (a cosine row per liked movie + dense EASE rows): {_pct(ts)}')


_BUILD = '''
import sys, time, numpy as np, pandas as pd
from movierec.taste import read_ratings, fit_taste
r = read_ratings(sys.argv[1]); rows = int(sys.argv[2])
reps = -(-rows // len(r))
big = pd.concat([r.assign(user_id=r['user_id'] + i * 1_000_000) for i in range(reps)], ignore_index=True).iloc[:rows]
ids = np.sort(pd.read_parquet(sys.argv[1] + '/movies.parquet', columns=['id'])['id'].to_numpy())
t = time.perf_counter()
W, items = fit_taste(big, ids)
cpu = time.process_time()
print(f"{len(big):,} ratings, {big['user_id'].nunique():,} users, {len(items):,} movies: fit {time.perf_counter() - t:.1f}s (CPU {cpu:.0f}s)")
'''

_NAIVE = '''
import sys, time, numpy as np, pandas as pd
from movierec.taste import read_ratings
r = read_ratings(sys.argv[1]); rows = int(sys.argv[2])
reps = -(-rows // len(r))
big = pd.concat([r.assign(user_id=r['user_id'] + i * 1_000_000) for i in range(reps)], ignore_index=True).iloc[:rows]
t = time.perf_counter()
M = big.assign(v=1.0).pivot_table(index='user_id', columns='movie_id', values='v', fill_value=0).to_numpy(np.float32)
G = M.T @ M
G[np.diag_indices_from(G)] += 200
P = np.linalg.inv(G)
print(f"{len(big):,} ratings: dense {M.shape[0]:,} x {M.shape[1]:,} pivot + Gram + inverse {time.perf_counter() - t:.1f}s")
'''


def bench_build(clean_dir, rows:int, naive_rows:int):
    s, peak, out = _child(_BUILD, clean_dir, rows)
    print(f'collaborative build: {out}; {s:.0f}s in all (incl. replication), peak {peak:.2f} GB')
    s, peak, out = _child(_NAIVE, clean_dir, naive_rows)
    users = rows / 100_000 * 671
    print(f'  naive {out}; {s:.0f}s, peak {peak:.2f} GB; at {rows:,} ratings its dense user x movie matrix alone '
          f'would be {users * 9000 * 4 / 2**30:.0f} GB')


def bench_evaluate(clean_dir, model_dir):
    code = 'import sys; from movierec.evaluate import evaluate_cli; evaluate_cli(sys.argv[1:])'
    s, peak, out = _child(code, '--ranking', '--json', '--clean-dir', clean_dir, '--model-dir', model_dir)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f'movierec evaluate --ranking: {s:.1f}s wall, peak {peak:.2f} GB (CPU of the children so far '
          f'{cpu.ru_utime + cpu.ru_stime:.0f}s; wall time depends on what else runs)')


def bench_ease(clean_dir):
    from movierec.taste import _gram, _spd_inverse, _woodbury_inverse, interactions, read_ratings
    ids = pd.read_parquet(os.path.join(clean_dir, 'movies.parquet'), columns=['id'])['id'].to_numpy()
    X = interactions(read_ratings(clean_dir), ids, 1.0)
    Xa = X[:, np.flatnonzero(X.getnnz(axis=0) > 0)].astype(np.float32)
    t, c = time.perf_counter(), time.process_time()
    Pw = _woodbury_inverse(Xa, 200.0)
    tw, cw = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    Pc = _spd_inverse(_gram(Xa, 200.0))
    tc, cc = time.perf_counter() - t, time.process_time() - c
    print(f'EASE inverse, {Xa.shape[0]} users x {Xa.shape[1]} movies: Woodbury {tw:.1f}s wall / {cw:.1f}s CPU; '
          f'naive Cholesky {tc:.1f}s wall / {cc:.1f}s CPU; largest difference {np.abs(Pw - Pc).max():.1e}')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--clean-dir', required=True)
    ap.add_argument('--model-dir', required=True)
    ap.add_argument('--rows', type=int, default=26_000_000, help='ratings of the scale build (default 26M)')
    ap.add_argument('--naive-rows', type=int, default=1_000_000, help='ratings of the naive dense build (default 1M)')
    ap.add_argument('--skip', action='append', default=[], choices=['query', 'build', 'evaluate', 'ease'])
    a = ap.parse_args()
    print(f'{os.cpu_count()} CPUs')
    if 'query' not in a.skip: bench_query(a.clean_dir, a.model_dir)
    if 'evaluate' not in a.skip: bench_evaluate(a.clean_dir, a.model_dir)
    if 'ease' not in a.skip: bench_ease(a.clean_dir)
    if 'build' not in a.skip: bench_build(a.clean_dir, a.rows, a.naive_rows)
