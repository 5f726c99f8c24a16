"""The load benchmark as a smoke test: a short mixed concurrent load on a real `movierec serve` process gets only
the expected statuses (no timing is asserted)."""
import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_short_mixed_load_has_no_errors(clean_dir, model_dir):
    r = subprocess.run([sys.executable, str(ROOT/'bench'/'api_load.py'), '--clean-dir', str(clean_dir), '--model-dir', str(model_dir),
                        '--rate', '50', '--duration', '3', '--concurrency', '8', '--no-naive'], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'throughput' in r.stdout and 'errors 0 ' in r.stdout, r.stdout
    for route in ['recomendacion', 'movies/search', 'get_director', 'unknown title (404)']: assert route in r.stdout


def test_silent_half_open_and_huge_heads_are_closed(clean_dir, model_dir):
    """A client that connects and says nothing, or sends half a request head, is disconnected (HEAD_SECONDS = 10);
    a request head over HEAD_MAX gets a 431 and the connection is closed (uvicorn alone buffered 200 MB)."""
    import os, signal, socket, time
    from movierec.api import HEAD_SECONDS
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    srv = subprocess.Popen([str(Path(sys.executable).parent/'movierec'), 'serve', '--port', str(port), '--clean-dir',
                            str(clean_dir), '--model-dir', str(model_dir), '--no-access-log'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert srv.poll() is None, 'the server exited'
            try:
                silent = socket.create_connection(('127.0.0.1', port), 2)
                break
            except OSError:
                assert time.monotonic() < deadline, 'the server did not start'
                time.sleep(0.2)
        half = socket.create_connection(('127.0.0.1', port), 2)
        half.sendall(b'GET /health HTTP/1.1\r\nHo')
        with socket.create_connection(('127.0.0.1', port), 10) as big:
            big.settimeout(60)
            try:
                big.sendall(b'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n')
                for i in range(100):                    # up to 10 MB of headers, 100 kB at a time
                    big.sendall(b'X-%d: ' % i + b'a' * 100_000 + b'\r\n')
            except OSError: pass                        # the server closed it while we were sending
            assert big.recv(100).startswith(b'HTTP/1.1 431')
        for sock in (silent, half):
            sock.settimeout(HEAD_SECONDS + 60)          # generous: a busy machine may be slow to fire the timer
            assert sock.recv(100) == b''                # closed by the server, not by our timeout
            sock.close()
    finally:
        os.killpg(srv.pid, signal.SIGTERM)
        try: srv.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(srv.pid, signal.SIGKILL)
            srv.wait()
