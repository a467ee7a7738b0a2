#!/usr/bin/env bash
# Cost of the pre-receive guard (`keyhound git --pre-receive`), for
# docs/benchmarks.md. A server: a bare clone of a 5,000-commit repository
# from ../shared/eval/make_history.py (8 branches, secrets in its history).
# Two pushes to its main: a typical one (3 commits, each inserting a line
# into a tracked .py file) and one of 1,000 such commits. Times keyhound
# alone (the pushed objects stored in the server with no ref to them, the
# updates on standard input, as the hook gets them) beside `git --range`
# over the same commits, then real `git push`es to the server with and
# without the hook.
#
#   benches/prereceive.sh [KEYHOUND]    # default: target/release/keyhound
#   WORK=/tmp/kh-prereceive RUNS=30 benches/prereceive.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
kh=$(realpath "${1:-$here/target/release/keyhound}")
work=${WORK:-/tmp/keyhound-prereceive}
runs=${RUNS:-30}
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

if [ ! -d "$work/server.git" ]; then
  rm -rf "$work" && mkdir -p "$work"
  python3 "$here/../shared/eval/make_history.py" "$work/h" --commits 5000 >/dev/null
  git clone -q --bare "$work/h/repo" "$work/server.git"
  git clone -q "$work/server.git" "$work/work"
  # Commits on top of main, one inserted line each, with git fast-import.
  python3 - "$work/work" <<'PUSHES'
import random, subprocess, sys
work = sys.argv[1]
git = lambda *a: subprocess.run(["git", "-C", work, *a], check=True, capture_output=True).stdout
files = [f for f in git("ls-tree", "-r", "--name-only", "main").decode().splitlines() if f.endswith(".py")]
base = git("rev-parse", "main").decode().strip()
for branch, n, seed in (("typical", 3, 1), ("big", 1000, 2)):
    r, content, out = random.Random(seed), {}, []
    for i in range(n):
        path = r.choice(files)
        if path not in content:
            content[path] = git("show", f"main:{path}").decode("utf-8", "replace").splitlines(True)
        lines = content[path]
        lines.insert(r.randint(0, len(lines)), f"    value_{i} = compute({i})  # pushed edit\n")
        data, msg = "".join(lines).encode(), f"edit {i}".encode()
        out.append(f"commit refs/heads/{branch}\ncommitter Dev <dev@example.com> {1800000000 + i} +0000\n".encode())
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        if i == 0:
            out.append(f"from {base}\n".encode())
        out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
    subprocess.run(["git", "-C", work, "fast-import", "--quiet"], input=b"".join(out), check=True)
PUSHES
  base=$(git -C "$work/server.git" rev-parse main)
  for b in typical big; do
    git -C "$work/work" push -q ../server.git "$b:refs/heads/tmp"
    git -C "$work/server.git" update-ref -d refs/heads/tmp
    echo "$base $(git -C "$work/work" rev-parse $b) refs/heads/main" > "$work/$b.txt"
  done
  cp -r "$work/server.git" "$work/hook.git"
  cp -r "$work/server.git" "$work/plain.git"
fi
"$kh" hook install --pre-receive --force --repo "$work/hook.git" >/dev/null
cd "$work"
base=$(git -C server.git rev-parse main)
echo "server: $(git -C server.git rev-list --all --count) commits, $(git -C server.git for-each-ref | wc -l) refs"
echo "== keyhound alone: 3 commits, then 1,000"
hyperfine -w 3 -r "$runs" \
  "$kh git --pre-receive --repo server.git < typical.txt" \
  "$kh git --repo work --range main..typical"
hyperfine -w 1 -r "$(( (runs + 2) / 3 ))" \
  "$kh git --pre-receive --repo server.git < big.txt" \
  "$kh git --repo work --range main..big"
echo "== git push, without and with the hook"
reset="git -C hook.git update-ref refs/heads/main $base; git -C plain.git update-ref refs/heads/main $base"
hyperfine -w 2 -r "$runs" --prepare "$reset" \
  "git -C work push -q ../plain.git typical:main" \
  "git -C work push -q ../hook.git typical:main"
hyperfine -w 1 -r "$(( (runs + 2) / 3 ))" --prepare "$reset" \
  "git -C work push -q ../plain.git big:main" \
  "git -C work push -q ../hook.git big:main"
