#!/usr/bin/env python
"""Benchmark of `movierec etl`: rows/s per raw file and peak memory, next to the naive way
(pandas `read_csv`, `apply(ast.literal_eval)` over whole nested columns, then `explode` + `json_normalize`).

    python bench/etl.py --raw-dir DIR                 # ours vs naive on a raw folder
    python bench/etl.py --raw-dir DIR --scale 5000,10000,20000,45000
        # also: the 35 real credits rows (big cast/crew lists) of the sample replicated to N rows, to show the
        # per-row cost is linear and extrapolate it to the real credits.csv (45,476 rows, ~190 MB)

Each measured run is a separate child process (so the peak RSS is its own); times are wall clock and CPU
(user+sys) seconds, since the machine may be shared. Nothing here asserts a time.
"""
from __future__ import annotations
import argparse, ast, csv, gzip, io, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL_FULL = dict(movies_metadata=(45_466, 34_445_126), credits=(45_476, 189_917_659))  # rows, bytes of the real Kaggle files
NESTED = dict(movies_metadata=['belongs_to_collection', 'genres', 'production_companies', 'production_countries', 'spoken_languages'],
              credits=['cast', 'crew'], keywords=['keywords'])
FILES = ('movies_metadata', 'credits', 'keywords', 'links', 'ratings_small')


def _usage():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return dict(peak_rss_mb=round(ru.ru_maxrss / 1024, 1), cpu_s=round(ru.ru_utime + ru.ru_stime, 2))


# ---- the two ways, each run in a child process ----------------------------------------------------------------

def child_ours(raw, out):
    from movierec.etl import run_etl
    t = time.perf_counter(); rep = run_etl(raw, out, progress=False); wall = time.perf_counter() - t
    rd = lambda n, k: rep['timings'].get(f'read {n}', {}).get(k, 0)
    files = {n: dict(rows=f['rows_read'], seconds=round(f['seconds'] + rd(n, 'seconds'), 3),
                     cpu=round(f['cpu_seconds'] + rd(n, 'cpu_seconds'), 3)) for n, f in rep['files'].items()}
    return dict(wall_s=round(wall, 2), files=files, reconciled=rep['reconciled'], **_usage())


def _safe_eval(s):
    if not isinstance(s, str): return None
    try: return ast.literal_eval(s)
    except (ValueError, SyntaxError): return None   # the naive way would crash here on the real file; we let it go on


def child_naive(raw, only=None):
    import pandas as pd
    from movierec.config import find_raw_file
    files, t0 = {}, time.perf_counter()
    for n in FILES:
        if only and n not in only: continue
        p = find_raw_file(raw, n)
        if p is None: continue
        t, c = time.perf_counter(), time.process_time()
        df = pd.read_csv(p, low_memory=False)
        idc = 'id' if 'id' in df else None
        for col in NESTED.get(n, []):
            df[col] = df[col].apply(_safe_eval)
            if col == 'belongs_to_collection':
                cl = df.loc[df[col].map(lambda v: isinstance(v, dict)), [idc, col]]
                tidy = pd.concat([cl[[idc]].reset_index(drop=True), pd.json_normalize(cl[col].tolist())], axis=1)
            else:
                e = df[[idc, col]].explode(col)
                e = e[e[col].map(lambda v: isinstance(v, dict))]
                tidy = pd.concat([e[[idc]].reset_index(drop=True), pd.json_normalize(e[col].tolist())], axis=1)
        rows = len(df)
        if n == 'ratings_small':
            links = pd.read_csv(find_raw_file(raw, 'links')).dropna(subset=['tmdbId'])
            df = df.merge(links[['movieId', 'tmdbId']], on='movieId')
        files[n] = dict(rows=rows, seconds=round(time.perf_counter() - t, 3), cpu=round(time.process_time() - c, 3))
    return dict(wall_s=round(time.perf_counter() - t0, 2), files=files, **_usage())


def _run_child(*args):
    r = subprocess.run([sys.executable, __file__, '--child', *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0: raise SystemExit(f'child {args} failed:\n{r.stderr[-3000:]}')
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---- parse micro-benchmark: the nested cells alone ------------------------------------------------------------

def parse_speed(raw):
    from movierec.etl import parse_literal, read_raw_csv
    from movierec.config import find_raw_file
    cells = []
    for n, cols in NESTED.items():
        p = find_raw_file(raw, n)
        if p is None: continue
        h, rows = read_raw_csv(p)
        for c in cols: cells += [r[h.index(c)] for r in rows if len(r) == len(h) and r[h.index(c)]]
    mb = sum(map(len, cells)) / 1e6
    out = {}
    for name, f in (('ast.literal_eval', ast.literal_eval), ('parse_literal', parse_literal)):
        t = time.process_time()
        for s in cells:
            try: f(s)
            except (ValueError, SyntaxError): pass
        dt = time.process_time() - t
        out[name] = dict(cpu_s=round(dt, 2), mb_per_s=round(mb / dt, 1))
    return dict(cells=len(cells), mb=round(mb, 1), **out)


# ---- replicated credits -----------------------------------------------------------------------------------------

def replicate_credits(raw, n, dest):
    "A raw folder: raw's movies_metadata + the sample's 35 real credits rows replicated to n rows (ids of raw's movies)."
    from movierec.config import find_raw_file, sample_raw_dir
    from movierec.etl import read_raw_csv
    dest = Path(dest); dest.mkdir(parents=True, exist_ok=True)
    mp = find_raw_file(raw, 'movies_metadata'); os.symlink(mp.resolve(), dest/mp.name)
    h, rows = read_raw_csv(mp)
    ids = list(dict.fromkeys(r[h.index('id')] for r in rows if len(r) == len(h) and r[h.index('id')].isdigit() and r[h.index('release_date')]))
    if n > len(ids): raise SystemExit(f'--scale {n} needs a raw folder with at least {n} movies (use reconstructed-full)')
    ch, crows = read_raw_csv(find_raw_file(sample_raw_dir(), 'credits'))
    with open(dest/'credits.csv', 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f, lineterminator='\n'); w.writerow(ch)
        for i in range(n): r = crows[i % len(crows)]; w.writerow([r[0], r[1], ids[i]])
    return (dest/'credits.csv').stat().st_size


def _fmt_files(res):
    "rows/s by CPU time (what an idle machine gives), with wall and CPU seconds."
    return '\n       '.join(f"{n:<16} {f['rows']:>8,} rows  {f['rows']/max(f['cpu'], 1e-3):>10,.0f} rows/s  (cpu {f['cpu']:.2f} s, wall {f['seconds']:.2f} s)"
                            for n, f in res['files'].items() if f['rows'])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--raw-dir', required=True)
    ap.add_argument('--scale', default='', help='comma-separated row counts for the replicated-credits run')
    ap.add_argument('--no-naive', action='store_true', help='skip the naive baseline')
    a = ap.parse_args(argv)
    raw = Path(a.raw_dir).resolve()
    print(f'# movierec ETL benchmark on {raw} ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})')
    with tempfile.TemporaryDirectory(prefix='movierec-bench-') as tmp:
        ours = _run_child('ours', raw, Path(tmp)/'out')
        print(f"ours : wall {ours['wall_s']:.2f} s, cpu {ours['cpu_s']:.2f} s (whole process), peak RSS {ours['peak_rss_mb']:.0f} MB, "
              f"reconciled {ours['reconciled']}\n       {_fmt_files(ours)}")
        if not a.no_naive:
            nv = _run_child('naive', raw)
            print(f"naive: wall {nv['wall_s']:.2f} s, cpu {nv['cpu_s']:.2f} s, peak RSS {nv['peak_rss_mb']:.0f} MB "
                  f"(parse + unnest only: no validation, no quarantine, no output)\n       {_fmt_files(nv)}")
        ps = parse_speed(raw)
        print(f"parse of the {ps['cells']:,} nested cells ({ps['mb']} MB), cpu: ast.literal_eval {ps['ast.literal_eval']['mb_per_s']} MB/s, "
              f"parse_literal {ps['parse_literal']['mb_per_s']} MB/s "
              f"({ps['ast.literal_eval']['cpu_s'] / ps['parse_literal']['cpu_s']:.1f}x)")
        if a.scale:
            ns = [int(x) for x in a.scale.split(',')]
            print('\n# real credits rows (35, big cast/crew lists) replicated to N rows: per-row cost')
            print(f"{'N':>7} {'MB':>6} | {'ours cpu s':>10} {'ms/row':>7} {'s/100MB':>8} {'wall s':>7} {'peak MB':>8} | "
                  f"{'naive cpu s':>11} {'wall s':>7} {'peak MB':>8}")
            pts = []
            for n in ns:
                d = Path(tmp)/f'rep{n}'; size = replicate_credits(raw, n, d)
                o = _run_child('ours', d, d/'out'); c = o['files']['credits']
                nv = None if a.no_naive else _run_child('naive', d, 'credits')
                pts.append((n, size, c['cpu'], c['seconds']))
                print(f"{n:>7} {size/1e6:>6.1f} | {c['cpu']:>10.2f} {c['cpu']/n*1000:>7.2f} {c['cpu']/size*1e8:>8.2f} {c['seconds']:>7.2f} "
                      f"{o['peak_rss_mb']:>8.0f} | " + (f"{nv['files']['credits']['cpu']:>11.2f} {nv['files']['credits']['seconds']:>7.2f} "
                                                        f"{nv['peak_rss_mb']:>8.0f}" if nv else '') + f"   (load {os.getloadavg()[0]:.1f})")
            if len(pts) >= 2:
                import numpy as np
                x, y = np.array([p[1] for p in pts], float), np.array([p[2] for p in pts], float)
                slope, icpt = np.polyfit(x, y, 1); r2 = 1 - ((y - (slope*x + icpt))**2).sum() / ((y - y.mean())**2).sum()
                rows, size = REAL_FULL['credits']
                est = slope*size + icpt
                print(f"linear fit (cpu): credits seconds = {slope*1e6:.4f} s/MB x MB + {icpt:.2f} (R^2 {r2:.4f})")
                print(f"real credits.csv ({rows:,} rows, {size/1e6:.0f} MB): {est:.1f} s by size; {pts[-1][2]/pts[-1][0]*rows:.1f} s by rows "
                      f"at the head's row size (an upper bound: head rows are {pts[-1][1]/pts[-1][0]/(size/rows):.1f}x the average row)")
                m = ours['files'].get('movies_metadata')
                if m:
                    mrows, mbytes = REAL_FULL['movies_metadata']
                    mov = m['cpu'] / m['rows'] * mrows
                    other = sum(f['cpu'] for n, f in ours['files'].items() if n not in ('movies_metadata', 'credits'))
                    write = max(ours['cpu_s'] - sum(f['cpu'] for f in ours['files'].values()), 0)
                    print(f"real full run estimate (cpu): movies {mov:.1f} s + credits {est:.1f} s + keywords/links/ratings {other:.1f} s "
                          f"+ start-up/writing {write:.1f} s = {mov + est + other + write:.0f} s (target < 60 s on 2 cores)")


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--child':
        kind, args = sys.argv[2], sys.argv[3:]
        res = child_ours(*args) if kind == 'ours' else child_naive(args[0], set(args[1].split(',')) if len(args) > 1 else None)
        print(json.dumps(res))
    else: main()
