"""Fallback for `make lint` when fastaistyle cannot be installed: statements joined by ';' and lines over 120
characters in exported notebook code. Prints findings; always exits 0."""
import io, json, sys, tokenize

def findings(path):
    for i, c in enumerate(json.load(open(path, encoding='utf-8'))['cells']):
        src = ''.join(c['source'])
        if c['cell_type'] != 'code' or not src.lstrip().startswith('#| export'): continue
        for n, line in enumerate(src.splitlines(), 1):
            if len(line) > 120: yield f'{path}:cell {i}:{n}: line of {len(line)} characters (max 120)'
        try: toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
        except (tokenize.TokenError, SyntaxError): continue
        for t in toks:
            if t.type == tokenize.OP and t.string == ';': yield f'{path}:cell {i}:{t.start[0]}: statements joined by ";"'

found = [f for p in sys.argv[1:] for f in findings(p)]
print('\n'.join(found) + f'\n{len(found)} finding(s)' if found else 'no findings')
