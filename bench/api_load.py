"""Load test of the API: start `movierec serve` on a free 127.0.0.1 port, send a bounded open-loop mixed load
(default 200 requests/s for 30 s), print throughput, latency percentiles and errors, then stop the server.

Also times, in-process, each catalogue question answered by the indexed `Catalog` next to the naive way
(a pandas scan of the movie table per question), on the same data.

    python bench/api_load.py --raw-dir ../shared/data/movies-dataset/kaggle-sample
    python bench/api_load.py --raw-dir ../shared/data/movies-dataset/reconstructed-full --rate 200 --duration 30
    python bench/api_load.py --clean-dir data/clean --model-dir data/models

With --raw-dir, clean data and a model are built once (by the real CLI) into --work (default /tmp/movierec-bench/<name>).
Latency is measured from each request's scheduled send time (open loop), so a slow server cannot hide its queue.
Then the load's own taste queries (POST /recommendations) are sent again one at a time with nothing else running:
the difference between the two figures is waiting (for the cores and the GIL), not computing.
Meanwhile a small process sleeps 1 ms at a time and reports how late it woke, with the CPU steal: stalls of the
machine itself (a virtual machine whose cores are shared), which every request in flight then waits out too.
"""
from __future__ import annotations
import argparse, asyncio, json, os, random, socket, subprocess, sys, tempfile, time
from pathlib import Path
from urllib.parse import quote

import httpx, numpy as np, pandas as pd, psutil

BIN = Path(sys.executable).parent


def sh(*args):
    print('$', ' '.join(map(str, args)), flush=True)
    subprocess.run([str(a) for a in args], check=True)


def prepare(a) -> tuple[Path, Path]:
    "Clean data + model folders: given, or built once from --raw-dir."
    if a.clean_dir: return Path(a.clean_dir), Path(a.model_dir or Path(a.clean_dir).parent/'models')
    raw = Path(a.raw_dir).resolve()
    work = Path(a.work or Path(tempfile.gettempdir())/'movierec-bench'/raw.name)
    clean, models = work/'clean', work/'models'
    if not (clean/'manifest.json').is_file(): sh(BIN/'movierec', 'etl', '--raw-dir', raw, '--out', clean)
    if not any(models.glob('*/manifest.json')): sh(BIN/'movierec', 'train', '--clean-dir', clean, '--model-dir', models)
    return clean, models


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def request_mix(clean: Path, n: int, seed: int = 0, taste: int = 8) -> list[tuple[str, str, tuple]]:
    "n (route label, url, accepted statuses) drawn from the data: mostly known names, some typos and unknown names."
    rng = random.Random(seed)
    m = pd.read_parquet(clean/'movies.parquet', columns=['id', 'title', 'vote_count', 'overview_clean', 'directors', 'companies',
                                                        'countries', 'original_language', 'collection_name'])
    top = m.sort_values('vote_count', ascending=False)
    titles = top['title'].head(2000).tolist()
    text_titles = top.loc[top['overview_clean'].str.len() > 0, 'title'].head(2000).tolist()
    text_ids = top.loc[top['overview_clean'].str.len() > 0, 'id'].head(2000).tolist()
    ids = m['id'].tolist()
    id_title = dict(zip(m['id'], m['title']))
    flat = lambda col: sorted({x for v in m[col] for x in v})
    directors, companies, countries = flat('directors'), flat('companies'), flat('countries')
    colls = m['collection_name'].dropna().unique().tolist()
    langs = m['original_language'].dropna().value_counts().index[:20].tolist()
    meses = ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre']
    dias = ['lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado', 'domingo']
    casts = pd.read_parquet(clean/'cast.parquet', columns=['name'])['name'].unique().tolist() if (clean/'cast.parquet').is_file() else []
    ok, ok404 = (200,), (200, 404)
    def taste_body():   # 1 to 50 liked movies (ids or titles), sometimes a disliked one and a filter
        liked = rng.sample(text_ids[:500], rng.randint(1, 50))
        body = {'liked': [int(i) if rng.random() < 0.5 else id_title[i] for i in liked], 'k': rng.choice([10, 20, 50])}
        if rng.random() < 0.3: body['disliked'] = [int(rng.choice(text_ids[500:1000]))]
        if rng.random() < 0.3: body['year_min'] = 1980
        return 'POST /recommendations ' + json.dumps(body)
    gens = [  # (weight, label, builder)
        (14, 'recomendacion', lambda: (f'/recomendacion/{quote(rng.choice(text_titles))}', ok404)),
        (6, 'peliculas_duracion', lambda: (f'/peliculas_duracion/{quote(rng.choice(titles).upper())}', ok)),
        (6, 'score_titulo', lambda: (f'/score_titulo/{quote(rng.choice(titles))}', ok)),
        (6, 'votos_titulo', lambda: (f'/votos_titulo/{quote(rng.choice(titles))}', ok)),
        (5, 'peliculas_idioma', lambda: (f'/peliculas_idioma/{rng.choice(langs)}', ok)),
        (5, 'franquicia', lambda: (f'/franquicia/{quote(rng.choice(colls))}', ok)),
        (5, 'peliculas_pais', lambda: (f'/peliculas_pais/{quote(rng.choice(countries))}', ok)),
        (5, 'productoras_exitosas', lambda: (f'/productoras_exitosas/{quote(rng.choice(companies))}', ok)),
        (4, 'cantidad_filmaciones_mes', lambda: (f'/cantidad_filmaciones_mes/{quote(rng.choice(meses))}', ok)),
        (4, 'cantidad_filmaciones_dia', lambda: (f'/cantidad_filmaciones_dia/{quote(rng.choice(dias))}', ok)),
        (4 if casts else 0, 'get_actor', lambda: (f'/get_actor/{quote(rng.choice(casts))}', ok)),
        (5, 'get_director', lambda: (f'/get_director/{quote(rng.choice(directors))}', ok)),
        (8, 'movies/search', lambda: (f'/movies/search?q={quote(rng.choice(titles)[:rng.randint(3, 12)])}', ok)),
        (6, 'movies/{id}', lambda: (f'/movies/{rng.choice(ids)}', ok)),
        (8, 'movies/{id}/similar', lambda: (f'/movies/{rng.choice(text_ids)}/similar?k={rng.randint(1, 10)}'
                                            + rng.choice(['', '&year_min=1980', '&min_votes=50', '&year_min=1950&year_max=2000']), ok)),
        (3, 'unknown title (404)', lambda: (f'/peliculas_duracion/{quote(rng.choice(titles) + " xq")}', (404,))),
        (1, 'bad month (422)', lambda: ('/cantidad_filmaciones_mes/brumario', (422,))),
        (1, 'health', lambda: ('/health', ok)),
        (taste, 'POST /recommendations', lambda: (taste_body(), ok)),
    ]
    w = [g[0] for g in gens]
    out = []
    for _ in range(n):
        _, label, b = rng.choices(gens, weights=w)[0]
        url, accept = b(); out.append((label, url, accept))
    return out


async def _get(reader, writer, path: str) -> tuple[int, float]:
    """One request on a kept-alive HTTP/1.1 connection; returns the status and the server's own time in ms (its
    Server-Timing header, NaN without one); the body is read and dropped. `path` is a URL path (GET), or
    'POST <path> <json body>'."""
    if path.startswith('POST '):
        _, url, body = path.split(' ', 2)
        data = body.encode()
        writer.write(f'POST {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n'
                     f'Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n'.encode() + data)
    else: writer.write(f'GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n'.encode())
    head = await reader.readuntil(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1])
    h = {k.strip().lower(): v.strip() for k, _, v in (l.partition(':') for l in lines[1:] if l)}
    if 'content-length' in h: await reader.readexactly(int(h['content-length']))
    elif h.get('transfer-encoding') == 'chunked':
        while (n := int((await reader.readline()).strip() or b'0', 16)): await reader.readexactly(n + 2)
        await reader.readline()
    return status, server_ms(h.get('server-timing'))


def server_ms(header: str | None) -> float:
    "The milliseconds of a `Server-Timing: app;dur=<ms>` header (NaN when absent)."
    _, _, dur = (header or '').partition('dur=')
    try: return float(dur.split(',')[0])
    except ValueError: return float('nan')


STALL_PROBE = """
import json, sys, time
def ticks(): return [int(x) for x in open('/proc/stat').readline().split()[1:]]
end, late, c0 = time.perf_counter() + float(sys.argv[1]), [], ticks()
while (t := time.perf_counter()) < end:
    time.sleep(0.001)
    late.append((time.perf_counter() - t - 0.001) * 1e3)
d = [b - a for a, b in zip(c0, ticks())]
late.sort()
print(json.dumps(dict(n=len(late), over10=sum(x > 10 for x in late), p999=late[int(0.999 * len(late))], max=late[-1],
                      steal=100 * d[7] / max(sum(d), 1))))
"""


def stall_probe(seconds: float) -> subprocess.Popen:
    "A process that sleeps 1 ms at a time for `seconds` and reports how late it woke, and the CPU steal meanwhile."
    return subprocess.Popen([sys.executable, '-c', STALL_PROBE, str(seconds)], stdout=subprocess.PIPE, text=True)


def stall_line(probe: subprocess.Popen) -> str:
    try: r = json.loads(probe.communicate(timeout=60)[0])
    except (subprocess.TimeoutExpired, ValueError): return 'the machine meanwhile: no probe figures'
    return (f"the machine meanwhile (a process sleeping 1 ms at a time, {r['n']:,} times): woken over 10 ms late "
            f"{r['over10']} times, p99.9 {r['p999']:.1f} ms late, at worst {r['max']:.1f} ms; "
            f"CPU steal {r['steal']:.1f} % (the cores given to other machines): stalls no server can avoid")


def unknown_titles(clean: Path, n: int, seed: int = 1) -> list[str]:
    "n different unknown titles (a known title with a random 3-letter word appended): each costs a fuzzy search."
    rng = random.Random(seed)
    titles = pd.read_parquet(clean/'movies.parquet', columns=['title'])['title'].tolist()
    word = lambda: ''.join(rng.choice('bcdfghjklmnpqrstvwxz') for _ in range(3))
    return [f'{rng.choice(titles)} {word()}' for _ in range(n)]


async def hostile_clients(port: int, n: int, titles: list[str], stop: asyncio.Event, reconnect: bool = False) -> list[int]:
    """n clients, each sending unknown titles back to back (closed loop) until `stop`; returns each one's request count.
    Each client has its own address (127.0.0.2, 127.0.0.3, ...: all of 127/8 is loopback), as real clients would, and
    the measured normal load comes from 127.0.0.1; with `reconnect` each request opens a new connection."""
    async def client(j):
        addr = (f'127.0.0.{2 + j % 250}', 0)
        open_ = lambda: asyncio.open_connection('127.0.0.1', port, local_addr=addr)
        reader, writer = await open_()
        done = 0
        try:
            while not stop.is_set():
                t = titles[(j*7919 + done) % len(titles)]
                route = ('peliculas_duracion', 'recomendacion', 'score_titulo', 'POST /recommendations')[done % 4]
                url = (f'POST /recommendations {json.dumps({"liked": [t]})}' if route.startswith('POST')
                       else f'/{route}/{quote(t)}')
                if reconnect and done:
                    writer.close()
                    reader, writer = await open_()
                await asyncio.wait_for(_get(reader, writer, url), 30)
                done += 1
        finally: writer.close()
        return done
    return await asyncio.gather(*[client(j) for j in range(n)])


async def run_load(port: int, reqs, rate: float, concurrency: int, hostile: int = 0, bad_titles=(), reconnect=False):
    """Open loop: request i is due at t0 + i/rate and goes to the next free connection (<= `concurrency` kept-alive
    connections); latency counts from the due time, so queueing on the client side is counted too.
    A minimal HTTP/1.1 client (asyncio streams) keeps the load generator's own CPU cost low on a 2-core machine."""
    res = [None]*len(reqs)
    q: asyncio.Queue = asyncio.Queue()
    async def conn():
        reader = writer = None
        while (item := await q.get()) is not None:
            i, due, (label, url, accept) = item
            try:
                if writer is None: reader, writer = await asyncio.open_connection('127.0.0.1', port)
                status, srv_ms = await asyncio.wait_for(_get(reader, writer, url), 10)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as e:
                status, srv_ms = type(e).__name__, float('nan')
                if writer is not None: writer.close()
                reader = writer = None
            res[i] = (label, time.perf_counter() - due, status, status in accept, srv_ms)
        if writer is not None: writer.close()
    workers = [asyncio.create_task(conn()) for _ in range(concurrency)]
    stop = asyncio.Event()
    bad = asyncio.create_task(hostile_clients(port, hostile, list(bad_titles), stop, reconnect)) if hostile else None
    t0 = time.perf_counter() + 0.05
    for i, r in enumerate(reqs):
        due = t0 + i/rate
        d = due - time.perf_counter()
        if d > 0: await asyncio.sleep(d)
        q.put_nowait((i, due, r))
    for _ in workers: q.put_nowait(None)
    await asyncio.gather(*workers)
    wall = time.perf_counter() - t0
    stop.set()
    n_bad = sum(await bad) if bad else 0
    return res, wall, n_bad


def one_at_a_time(base:str, posts:list[str])->np.ndarray:
    "Latency and server time in ms (two columns) of each 'POST <path> <json body>' of `posts`, sent one by one."
    out = []
    with httpx.Client(base_url=base, timeout=30) as c:
        for p in posts:
            _, url, body = p.split(' ', 2)
            t = time.perf_counter()
            r = c.post(url, content=body, headers={'Content-Type': 'application/json'})
            out.append(((time.perf_counter() - t) * 1e3, server_ms(r.headers.get('server-timing'))))
            r.raise_for_status()
    return np.array(out).reshape(-1, 2)


def naive_vs_indexed(clean: Path, repeat: int = 20):
    "Per-question time in-process: indexed Catalog vs a pandas scan of the movie table per question."
    from movierec.queries import Catalog
    from movierec.names import normalize_name
    t = time.perf_counter(); cat = Catalog.load(clean); load_s = time.perf_counter() - t
    m = pd.read_parquet(clean/'movies.parquet')
    d = m['directors'].explode().dropna().value_counts().index[0]
    co = m['companies'].explode().dropna().value_counts().index[0]
    title = m.sort_values('vote_count').iloc[-1]['title']
    naive = {
        'get_director': lambda: m[m['directors'].map(lambda v: any(normalize_name(x) == normalize_name(d) for x in v))]['return'].sum(),
        'productoras_exitosas': lambda: m[m['companies'].map(lambda v: any(normalize_name(x) == normalize_name(co) for x in v))]['revenue'].sum(),
        'peliculas_duracion': lambda: m[m['title'].map(normalize_name) == normalize_name(title)]['runtime'].iloc[0],
        'cantidad_filmaciones_dia': lambda: int((pd.to_datetime(m['release_date']).dt.day_of_week == 2).sum()),
    }
    fast = {'get_director': lambda: cat.get_director(d), 'productoras_exitosas': lambda: cat.productoras_exitosas(co),
            'peliculas_duracion': lambda: cat.peliculas_duracion(title), 'cantidad_filmaciones_dia': lambda: cat.cantidad_filmaciones_dia('miércoles')}
    def best(f, n):
        ts = []
        for _ in range(n):
            t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
        return min(ts)*1e3
    print(f'\nin-process, {len(m):,} movies (Catalog.load {load_s:.2f} s): best of {repeat}, ms per question')
    print(f"  {'question':<26}{'naive scan':>12}{'indexed':>10}{'speed-up':>10}")
    for k in naive:
        a, b = best(naive[k], max(3, repeat//5)), best(fast[k], repeat)
        print(f'  {k:<26}{a:>12.2f}{b:>10.3f}{a/b:>9.0f}x')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument('--raw-dir', help='raw Kaggle folder: build clean data + model from it (cached in --work)')
    g.add_argument('--clean-dir', help='existing clean data folder')
    ap.add_argument('--model-dir', help='existing model folder (with --clean-dir)')
    ap.add_argument('--work', help='where --raw-dir builds are cached')
    ap.add_argument('--rate', type=float, default=200, help='requests per second (default 200)')
    ap.add_argument('--duration', type=float, default=30, help='seconds of load (default 30)')
    ap.add_argument('--concurrency', type=int, default=32, help='kept-alive connections = max requests in flight (default 32)')
    ap.add_argument('--workers', type=int, help="server processes (default: `movierec serve`'s)")
    ap.add_argument('--taste', type=int, default=8, help='weight of POST /recommendations in the mix (default 8 of ~100)')
    ap.add_argument('--threads', type=int, help='movierec serve --threads (handler threads)')
    ap.add_argument('--hostile', type=int, default=0,
                    help='also run this many clients sending unknown titles back to back (issue 10: default 0)')
    ap.add_argument('--hostile-reconnect', action='store_true',
                    help='the hostile clients open a new connection for every request')
    ap.add_argument('--no-access-log', action='store_true', help='the server logs no line per request')
    ap.add_argument('--no-naive', action='store_true', help='skip the in-process naive-vs-indexed timing')
    ap.add_argument('--alone', type=int, default=300,
                    help='taste queries sent one at a time after the load, to compare (default 300; 0: none)')
    a = ap.parse_args(argv)
    if a.rate <= 0 or a.duration <= 0 or a.concurrency < 1: ap.error('--rate, --duration and --concurrency must be positive')
    clean, models = prepare(a)
    n = int(a.rate*a.duration)
    reqs = request_mix(clean, n, taste=a.taste)
    port = free_port(); base = f'http://127.0.0.1:{port}'
    log = open(Path(tempfile.gettempdir())/f'movierec-bench-serve-{port}.log', 'w')
    t, probe = time.perf_counter(), None
    cmd = [str(BIN/'movierec'), 'serve', '--port', str(port), '--clean-dir', str(clean), '--model-dir', str(models)]
    cmd += ['--workers', str(a.workers)] * bool(a.workers) + ['--threads', str(a.threads)] * bool(a.threads)
    cmd += ['--no-access-log'] * a.no_access_log
    srv = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while True:
            if srv.poll() is not None: sys.exit(f'the server exited ({srv.returncode}); see {log.name}')
            try:
                if httpx.get(base + '/health', timeout=1).status_code == 200: break
            except httpx.TransportError: pass
            if time.perf_counter() - t > 180: sys.exit(f'the server did not answer within 180 s; see {log.name}')
            time.sleep(0.1)
        ready = time.perf_counter() - t
        health = httpx.get(base + '/health').json()
        for label, url, _ in reqs[:50]:   # warm-up (not counted)
            if not url.startswith('POST '): httpx.get(base + url, timeout=10)
        print(f"\nserver ready in {ready:.1f} s: {health['movies']:,} movies, model {health['model']}; "
              f"load {a.rate:g} req/s x {a.duration:g} s = {n:,} requests (open loop, <= {a.concurrency} in flight), "
              f"{len(psutil.Process(srv.pid).children()) or 1} worker process(es), {psutil.cpu_count()} cores")
        procs = [psutil.Process(srv.pid)] + psutil.Process(srv.pid).children(recursive=True)
        cpu0, me0, load0 = sum(sum(p.cpu_times()[:2]) for p in procs), sum(psutil.Process().cpu_times()[:2]), os.getloadavg()[0]
        bad_titles = unknown_titles(clean, 5000) if a.hostile else []
        probe = stall_probe(a.duration)
        res, wall, n_bad = asyncio.run(run_load(port, reqs, a.rate, a.concurrency, a.hostile, bad_titles,
                                                 a.hostile_reconnect))
        cpu = sum(sum(p.cpu_times()[:2]) for p in procs) - cpu0; me = sum(psutil.Process().cpu_times()[:2]) - me0
        machine = stall_line(probe)
        alone = one_at_a_time(base, [u for label, u, _ in reqs if label == 'POST /recommendations'][:a.alone])
        rss = psutil.Process(srv.pid).memory_info().rss/2**20
        pss = sum(p.memory_full_info().pss for p in procs if p.is_running())/2**20   # shared pages counted once
        load1 = os.getloadavg()[0]
    finally:
        if probe is not None and probe.poll() is None: probe.kill()
        os.killpg(srv.pid, 15)
        try: srv.wait(15)
        except subprocess.TimeoutExpired: os.killpg(srv.pid, 9)
        log.close()
    lat = np.array([r[1] for r in res])*1e3
    errors = [r for r in res if not r[3]]
    print(f'throughput {len(res)/wall:.1f} req/s over {wall:.1f} s; latency p50 {np.percentile(lat, 50):.2f} ms, '
          f'p90 {np.percentile(lat, 90):.2f} ms, p99 {np.percentile(lat, 99):.2f} ms, max {lat.max():.1f} ms; '
          f'errors {len(errors)} (status not the expected one, 5xx or transport); server RSS {rss:.0f} MiB, '
          f'{len(procs)} process(es) PSS {pss:.0f} MiB')
    if a.hostile:
        how = 'a new connection per request' if a.hostile_reconnect else 'one connection each'
        print(f'meanwhile {a.hostile} clients ({how}, own addresses) sent unknown titles back to back: {n_bad:,} requests '
              f'({n_bad/wall:.0f}/s, not counted above)')
    print(machine)
    print(f'CPU per request: server {cpu/len(res)*1e3:.2f} ms, load generator {me/len(res)*1e3:.2f} ms; '
          f'machine load average {load0:.1f} before, {load1:.1f} after (other processes share the cores)')
    df = pd.DataFrame(res, columns=['route', 'ms', 'status', 'ok', 'server']).assign(ms=lambda d: d.ms*1e3)
    p99 = lambda s: np.nanpercentile(s, 99) if s.notna().any() else np.nan
    tab = df.groupby('route').agg(n=('ms', 'size'), p50=('ms', 'median'), p99=('ms', p99),
                                  errors=('ok', lambda s: int((~s).sum())),
                                  server_p50=('server', 'median'), server_p99=('server', p99))
    print('per route, ms: p50 and p99 as the client saw them; server_p50 and server_p99 from the Server-Timing header '
          '(the request reaching the application to its answer; the difference is time before the server read the '
          'request, and on the way back)')
    print(tab.sort_values('p99', ascending=False).round(2).to_string())
    if len(alone):
        ms, srv = alone[:, 0], alone[:, 1]
        print(f'POST /recommendations one at a time, nothing else running: p50 {np.percentile(ms, 50):.2f} ms, '
              f'p99 {np.percentile(ms, 99):.2f} ms (server p50 {np.nanpercentile(srv, 50):.2f}, '
              f'p99 {np.nanpercentile(srv, 99):.2f}) over {len(alone)} of the same requests (the mixed '
              'figure above minus this one is time spent waiting for the cores and the GIL)')
    if errors:
        print('first errors:', [(r[0], r[2]) for r in errors[:10]])
    if not a.no_naive: naive_vs_indexed(clean)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
