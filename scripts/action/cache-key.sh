#!/usr/bin/env bash
# The keyhound action's cache key for its built binary: the runner's OS, its
# image (ImageOS, e.g. ubuntu24: a binary built on a newer image may need a
# newer C library) and architecture, the action's ref, and a hash of the
# sources the build reads
# (Cargo.toml, Cargo.lock, src/, rules/, build.rs and .cargo/ where present).
# The hash keeps the key right when the ref is a moving branch, or empty (the
# runner does not always set github.action_ref inside composite actions).
#
# Inputs from the environment: ACTION_PATH (the action's checkout),
# ACTION_REF, RUNNER_OS, RUNNER_ARCH, ImageOS (set by GitHub-hosted runner
# images), GITHUB_OUTPUT. Writes `key=…`.
set -euo pipefail

: "${ACTION_PATH:?ACTION_PATH must name the directory of the action}" "${GITHUB_OUTPUT:?}"
if command -v sha256sum >/dev/null; then
  sha() { sha256sum; }
else
  sha() { shasum -a 256; }
fi
cd "$ACTION_PATH"
sources=()
for p in Cargo.toml Cargo.lock build.rs .cargo src rules; do
  if [ -e "$p" ]; then sources+=("$p"); fi
done
# Each file's path and content, in a fixed order: a renamed file changes the key too.
hash=$(find "${sources[@]}" -type f -print0 | LC_ALL=C sort -z |
  while IFS= read -r -d '' f; do
    printf '%s\n' "$f"
    sha <"$f"
  done | sha | cut -c1-16)
ref=${ACTION_REF:-unknown-ref}
printf 'key=keyhound-%s-%s-%s-%s-%s\n' "${RUNNER_OS:-os}" "${ImageOS:-self-hosted}" \
  "${RUNNER_ARCH:-arch}" "$ref" "$hash" >>"$GITHUB_OUTPUT"
