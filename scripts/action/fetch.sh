#!/usr/bin/env bash
# The keyhound action's fetch step: make sure the commits the scan needs are
# in the clone. A shallow clone (actions/checkout's default depth) is
# deepened to the whole history, and the default branch's remote-tracking
# ref, which a new branch or tag is scanned against, is fetched if missing.
#
# Inputs from the environment: DEFAULT_BRANCH (github.event.repository.
# default_branch; may be empty). Run from the checked-out repository, whose
# remote is `origin` (as actions/checkout names it).
set -euo pipefail

if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  git fetch --no-tags --quiet --unshallow origin
fi
default=${DEFAULT_BRANCH:-}
if [ -n "$default" ] && ! git rev-parse --verify --quiet "refs/remotes/origin/$default^{commit}" >/dev/null; then
  git fetch --no-tags --quiet origin "+refs/heads/$default:refs/remotes/origin/$default"
fi
