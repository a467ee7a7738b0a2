#!/usr/bin/env python3
"""Regenerate src/detectors/words.txt: common English and programming words.

The list drives the `words` check (a value made mostly of words is a
passphrase, an identifier or a placeholder, not a generated key). It is
built from the words of this machine's Python standard library: comments,
docstrings and identifiers split at `_` and case changes, which gives both
English and programming vocabulary. Usage: scripts/gen-wordlist.py > src/detectors/words.txt
"""
import collections, os, re, sysconfig

root = sysconfig.get_paths()['stdlib']
count = collections.Counter()
files = collections.Counter()
for d, dirs, names in os.walk(root):
    dirs[:] = [x for x in dirs if x not in ('site-packages', '__pycache__', 'test', 'tests', 'idlelib')]
    for n in names:
        if not n.endswith('.py'):
            continue
        text = open(os.path.join(d, n), encoding='utf-8', errors='replace').read()
        seen = set()
        for tok in re.findall(r'[A-Za-z]+', text):
            for w in re.findall(r'[A-Z]?[a-z]+|[A-Z]+(?![a-z])', tok):
                w = w.lower()
                if 3 <= len(w) <= 20:
                    count[w] += 1
                    seen.add(w)
        files.update(seen)
# A word must be common and spread over many files (not one module's jargon).
words = [w for w, c in count.most_common() if files[w] >= 8]
three = [w for w in words if len(w) == 3][:400]
longer = [w for w in words if len(w) >= 4][:7000]
extra = ['passphrase', 'passwd', 'secret', 'token', 'apikey', 'changeme', 'example', 'sample', 'dummy',
         'placeholder', 'binance', 'bybit', 'kraken', 'kucoin', 'okx', 'trading', 'trade', 'crypto', 'wallet']
for w in sorted(set(three + longer + extra)):
    print(w)
