#!/usr/bin/env bash
# The keyhound action's scan step: choose the commits the event brings, scan
# them once, write the step's outputs and summary, and exit with keyhound's
# status (0 clean, 1 findings, 2 error or incomplete scan).
#
# Run from the checked-out repository. Inputs, all from the environment
# (action.yml passes them; tests set them):
#   KEYHOUND             the keyhound binary
#   INPUT_BASE           the `base` input: scan BASE..HEAD (overrides the event)
#   INPUT_SARIF          `true`: also write SARIF for code scanning
#   INPUT_ARGS           extra keyhound git arguments (split on spaces)
#   PR_BASE              github.event.pull_request.base.sha (or merge_group.base_sha)
#   PR_HEAD_REPO         github.event.pull_request.head.repo.full_name
#   PUSH_BEFORE          github.event.before (all zeros for a new branch or tag)
#   DEFAULT_BRANCH       github.event.repository.default_branch
#   GITHUB_REF, GITHUB_REPOSITORY, RUNNER_TEMP, GITHUB_OUTPUT,
#   GITHUB_STEP_SUMMARY  as GitHub Actions sets them
# Outputs (to GITHUB_OUTPUT): range, findings, exit-code, sarif-file,
# sarif-upload (`true` only when the SARIF is complete and may be uploaded).
set -euo pipefail

readonly ZEROS=0000000000000000000000000000000000000000

# Workflow commands take `%`, CR and LF escaped.
gh_escape() {
  local s=${1//'%'/%25}
  s=${s//$'\r'/%0D}
  printf '%s' "${s//$'\n'/%0A}"
}
notice() { printf '::notice title=keyhound::%s\n' "$(gh_escape "$1")"; }
error() { printf '::error title=keyhound::%s\n' "$(gh_escape "$1")"; }
output() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }
# Stops before scanning: exit 2, as keyhound does for an error.
fail() {
  error "$1"
  output exit-code 2
  exit 2
}

is_commit() { git rev-parse --verify --quiet "$1^{commit}" >/dev/null; }

# Sets `range` (keyhound's --range) and `why` (what it holds, for people).
choose_range() {
  local base=${INPUT_BASE:-}
  if [ "$base" = "$ZEROS" ]; then base=; fi
  if [ -n "$base" ]; then
    range="$base..HEAD" why="the commits after the base input"
    return
  fi
  if [ -n "${PR_BASE:-}" ]; then
    range="$PR_BASE..HEAD" why="the commits of the pull request"
    return
  fi
  local before=${PUSH_BEFORE:-}
  if [ "$before" = "$ZEROS" ]; then before=; fi
  if [ -n "$before" ] && is_commit "$before" && git merge-base --is-ancestor "$before" HEAD; then
    range="$before..HEAD" why="the commits this push added"
    return
  fi
  # No usable before: a new branch or tag, a forced push (the old tip is
  # not an ancestor, and is usually not in the clone), or an event without
  # one (workflow_dispatch, schedule). Scan what the default branch lacks.
  local default=${DEFAULT_BRANCH:-}
  local on_default=false
  if [ -n "$default" ] && [ "${GITHUB_REF:-}" = "refs/heads/$default" ]; then on_default=true; fi
  if [ -n "$default" ] && [ "$on_default" = false ]; then
    if ! is_commit "refs/remotes/origin/$default"; then
      fail "the default branch origin/$default is not in the clone: check out with fetch-depth: 0, or set the base input."
    fi
    range="refs/remotes/origin/$default..HEAD" why="the commits not on the default branch ($default)"
    if [ -n "$before" ]; then
      notice "the push rewrote ${GITHUB_REF:-the ref} (its previous tip is not an ancestor of HEAD): scanning every commit not on $default."
    fi
    return
  fi
  if [ -n "$before" ] && is_commit "$before"; then
    range="$before..HEAD" why="the commits of the rewritten default branch that its previous tip lacked"
    return
  fi
  range="..HEAD" why="the history of HEAD"
  if [ -n "$before" ]; then
    notice "the push rewrote ${GITHUB_REF:-the ref} and its previous tip is not in the clone: scanning the whole history of HEAD."
  elif [ -z "$default" ]; then
    notice "the event names no base and no default branch: scanning the whole history of HEAD."
  fi
}

: "${KEYHOUND:?KEYHOUND must name the keyhound binary}"
: "${RUNNER_TEMP:?}" "${GITHUB_OUTPUT:?}"
if ! command -v jq >/dev/null; then
  fail "jq is needed to count the findings: it is on GitHub-hosted runners; install it on this runner."
fi

choose_range
output range "$range"
echo "keyhound: scanning $why: --range $range"

json="$RUNNER_TEMP/keyhound.json"
sarif="$RUNNER_TEMP/keyhound.sarif"
rm -f "$json" "$sarif"
args=(git --range "$range" --format github --report "json:$json")
if [ "${INPUT_SARIF:-false}" = true ]; then args+=(--report "sarif:$sarif"); fi
# INPUT_ARGS is split on white space on purpose (several options in one
# input, on one line or several); no globbing.
extra=()
read -r -d '' -a extra <<<"${INPUT_ARGS:-}" || true
args+=(${extra[@]+"${extra[@]}"})

set +e
"$KEYHOUND" "${args[@]}"
status=$?
set -e
output exit-code "$status"

findings=
if [ -s "$json" ]; then
  findings=$(jq '.findings | length' "$json") || findings=
fi
output findings "$findings"

upload=false
if [ "${INPUT_SARIF:-false}" = true ]; then
  output sarif-file "$sarif"
  if [ "$status" -gt 1 ] || [ ! -s "$sarif" ]; then
    # An incomplete scan must not reach code scanning: an upload with fewer
    # results closes the alerts it no longer lists.
    notice "no upload to code scanning: the scan did not complete (exit $status)."
  elif [ -n "${PR_HEAD_REPO:-}" ] && [ "$PR_HEAD_REPO" != "${GITHUB_REPOSITORY:-}" ]; then
    notice "no upload to code scanning: this pull request comes from the fork $PR_HEAD_REPO, and GitHub gives workflows run for forks a read-only token, which cannot upload SARIF. The findings are in the annotations and this job's status."
  else
    upload=true
  fi
fi
output sarif-upload "$upload"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    echo "### keyhound"
    echo
    echo "Scanned $why (\`--range $range\`)."
    case $status in
      0) echo "No secrets found." ;;
      1) echo "**$findings finding(s)**: see the annotations. Revoke any real key first, then remove it from the branch's history." ;;
      *) echo "**The scan did not complete (exit $status)**: see the job log." ;;
    esac
  } >>"$GITHUB_STEP_SUMMARY"
fi

case $status in
  0) ;;
  1) error "keyhound found $findings secret(s) in $why: see the annotations. Revoke any real key first, then remove it from the branch's history." ;;
  *) error "keyhound could not complete the scan (exit $status): see its error above." ;;
esac
exit "$status"
