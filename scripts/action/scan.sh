#!/usr/bin/env bash
# The keyhound action's scan step: choose the commits the event brings
# (which fail the job) and the commits code scanning describes (the SARIF
# upload), scan them (once when they are the same, else twice), write the
# step's outputs and summary, and exit with keyhound's status (0 clean,
# 1 findings or the `--exit-code` given in args, 2 error or incomplete
# scan).
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
# Outputs (to GITHUB_OUTPUT): range, sarif-range, findings, exit-code,
# sarif-file, sarif-upload (`true` only when the SARIF scan completed and
# may be uploaded).
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

# Sets `range` and `why` (the commits whose secrets fail the job), and
# `sarif_range` and `sarif_why` (the commits the SARIF upload describes).
#
# Code scanning treats an upload as the state of its branch: an upload
# with fewer results closes the alerts it no longer lists. So the SARIF
# scope must not depend on the push: for a pull request, its commits; for
# a branch or tag, every commit not on the default branch; for the default
# branch, the whole history of HEAD. A branch other than the default fails
# on every secret its commits hold, not only on the pushed ones: a key an
# earlier push leaked is still in the branch, and a pull request from it
# would fail the same way. The default branch fails only on what the push
# added: its old history is reported to code scanning, not failed on every
# push until it is rewritten.
choose_range() {
  local base=${INPUT_BASE:-}
  if [ "$base" = "$ZEROS" ]; then base=; fi
  if [ -n "$base" ]; then
    range="$base..HEAD" why="the commits after the base input"
    sarif_range=$range sarif_why=$why
    return
  fi
  if [ -n "${PR_BASE:-}" ]; then
    range="$PR_BASE..HEAD" why="the commits of the pull request"
    sarif_range=$range sarif_why=$why
    return
  fi
  local before=${PUSH_BEFORE:-}
  if [ "$before" = "$ZEROS" ]; then before=; fi
  local default=${DEFAULT_BRANCH:-}
  local on_default=false
  if [ -n "$default" ] && [ "${GITHUB_REF:-}" = "refs/heads/$default" ]; then on_default=true; fi
  if [ -n "$default" ] && [ "$on_default" = false ]; then
    # A branch or tag other than the default: what it brings is every
    # commit not on the default branch (a new branch, a forced push and
    # an event without a before, such as workflow_dispatch, alike).
    if ! is_commit "refs/remotes/origin/$default"; then
      fail "the default branch origin/$default is not in the clone: check out with fetch-depth: 0, or set the base input."
    fi
    range="refs/remotes/origin/$default..HEAD" why="the commits not on the default branch ($default)"
    sarif_range=$range sarif_why=$why
    if [ -n "$before" ] && ! { is_commit "$before" && git merge-base --is-ancestor "$before" HEAD; }; then
      notice "the push rewrote ${GITHUB_REF:-the ref} (its previous tip is not an ancestor of HEAD): scanning every commit not on $default."
    fi
    return
  fi
  # The default branch (or no default branch known): code scanning gets
  # the whole history of HEAD; the job fails on what the push added.
  sarif_range="..HEAD" sarif_why="the history of HEAD"
  if [ -n "$before" ] && is_commit "$before"; then
    if git merge-base --is-ancestor "$before" HEAD; then
      range="$before..HEAD" why="the commits this push added"
    else
      range="$before..HEAD" why="the commits of the rewritten branch that its previous tip lacked"
    fi
    return
  fi
  range="..HEAD" why="the history of HEAD"
  if [ -n "$before" ]; then
    notice "the push rewrote ${GITHUB_REF:-the ref} and its previous tip is not in the clone: scanning the whole history of HEAD."
  elif [ -z "$default" ]; then
    notice "the event names no base and no default branch: scanning the whole history of HEAD."
  fi
}

# The status keyhound exits with on findings: 1, or the `--exit-code N`
# that args sets.
findings_status() {
  local code=1 i
  for ((i = 0; i < ${#extra[@]}; i++)); do
    case ${extra[i]} in
      --exit-code) code=${extra[i + 1]:-1} ;;
      --exit-code=*) code=${extra[i]#--exit-code=} ;;
    esac
  done
  printf '%s' "$code"
}

# Reads a scan from its JSON report and keyhound's exit status ($2), not
# from the status alone (args may set `--exit-code`). Sets `found` (the
# number of findings; empty without a report) and `result` (0 clean,
# 1 findings, 2 an error or an incomplete scan).
read_report() {
  local json=$1 status=$2 line complete
  found='' result=2
  if [ -s "$json" ] && line=$(jq -r '"\(.findings | length) \(.stats.complete)"' "$json"); then
    found=${line% *} complete=${line#* }
    if [ "$found" -gt 0 ]; then
      result=1
    elif [ "$complete" = true ]; then
      result=0
    fi
  fi
  # An exit status that is neither a clean scan's nor a finding's is an
  # error keyhound met after writing the report.
  if [ "$status" -ne 0 ] && [ "$status" -ne "$on_findings" ]; then result=2; fi
}

: "${KEYHOUND:?KEYHOUND must name the keyhound binary}"
: "${RUNNER_TEMP:?}" "${GITHUB_OUTPUT:?}"
if ! command -v jq >/dev/null; then
  fail "jq is needed to read the report: it is on GitHub-hosted runners; install it on this runner."
fi

sarif_wanted=${INPUT_SARIF:-false}
choose_range
output range "$range"
if [ "$sarif_wanted" = true ]; then output sarif-range "$sarif_range"; fi

# INPUT_ARGS is split on white space on purpose (several options in one
# input, on one line or several); no globbing.
extra=()
read -r -d '' -a extra <<<"${INPUT_ARGS:-}" || true
on_findings=$(findings_status)

json="$RUNNER_TEMP/keyhound.json"
sarif="$RUNNER_TEMP/keyhound.sarif"
sarif_json="$RUNNER_TEMP/keyhound-sarif.json"
rm -f "$json" "$sarif" "$sarif_json"
one_scan=true
if [ "$sarif_wanted" = true ] && [ "$sarif_range" != "$range" ]; then one_scan=false; fi

echo "keyhound: scanning $why: --range $range"
args=(git --range "$range" --format github --report "json:$json")
if [ "$sarif_wanted" = true ] && [ "$one_scan" = true ]; then args+=(--report "sarif:$sarif"); fi
set +e
"$KEYHOUND" "${args[@]}" ${extra[@]+"${extra[@]}"}
status=$?
set -e
read_report "$json" "$status"
findings=$found scan_result=$result
output exit-code "$scan_result"
output findings "$findings"

sarif_result=$scan_result sarif_found=$findings
if [ "$one_scan" = false ]; then
  echo "keyhound: for code scanning, scanning $sarif_why: --range $sarif_range"
  set +e
  "$KEYHOUND" git --range "$sarif_range" --format sarif -o "$sarif" --report "json:$sarif_json" \
    ${extra[@]+"${extra[@]}"}
  sarif_status=$?
  set -e
  read_report "$sarif_json" "$sarif_status"
  sarif_result=$result sarif_found=$found
fi

upload=false
upload_note=
if [ "$sarif_wanted" = true ]; then
  output sarif-file "$sarif"
  if [ "$sarif_result" -gt 1 ] || [ ! -s "$sarif" ]; then
    # An incomplete scan must not reach code scanning: an upload with fewer
    # results closes the alerts it no longer lists.
    upload_note="nothing uploaded: the scan of $sarif_why did not complete."
  elif [ -n "${PR_HEAD_REPO:-}" ] && [ "$PR_HEAD_REPO" != "${GITHUB_REPOSITORY:-}" ]; then
    upload_note="nothing uploaded: this pull request comes from the fork $PR_HEAD_REPO, and GitHub gives workflows run for forks a read-only token, which cannot upload SARIF. The findings are in the annotations and this job's status."
  elif [ "${GITHUB_EVENT_NAME:-}" = pull_request ] && [ -z "${PR_HEAD_REPO:-}" ]; then
    # Only a fork can be deleted from under its pull request (its head
    # repository is then null): the token is a fork's, read-only.
    upload_note="nothing uploaded: this pull request's head repository no longer exists (a deleted fork), and GitHub gives workflows run for forks a read-only token, which cannot upload SARIF. The findings are in the annotations and this job's status."
  else
    upload=true
    upload_note="$sarif_found finding(s) in $sarif_why (\`--range $sarif_range\`) go up."
  fi
  if [ "$upload" = false ]; then notice "code scanning: $upload_note"; fi
fi
output sarif-upload "$upload"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    echo "### keyhound"
    echo
    echo "Scanned $why (\`--range $range\`)."
    case $scan_result in
      0) echo "No secrets found." ;;
      1) echo "**$findings finding(s)**: see the annotations. Revoke any real key first, then remove it from the branch's history." ;;
      *) echo "**The scan did not complete**: see the job log." ;;
    esac
    if [ -n "$upload_note" ]; then
      echo
      echo "Code scanning: $upload_note"
    fi
  } >>"$GITHUB_STEP_SUMMARY"
fi

case $scan_result in
  0) ;;
  1) error "keyhound found $findings secret(s) in $why: see the annotations. Revoke any real key first, then remove it from the branch's history." ;;
  *) error "keyhound could not complete the scan (exit $status): see its error above." ;;
esac
if [ "$sarif_result" -gt 1 ] && [ "$one_scan" = false ]; then
  error "keyhound could not complete the scan of $sarif_why for code scanning (exit $sarif_status): see its error above; nothing was uploaded."
  # The job fails on it too, unless the push scan's own status already does.
  if [ "$status" -eq 0 ]; then status=2; fi
fi
exit "$status"
