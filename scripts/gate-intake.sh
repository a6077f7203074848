#!/usr/bin/env bash
# Issue 10, families 5 and 6, before and after: runs "nhigate review" from
# each binary given on pull requests that change a governance file or bring
# a spec of "*" on "*" by a path the gate might not read, and prints the exit
# code and the reported risk of each. Exit 0 on a slip is the bug.
#
#   go build -o /tmp/nhigate-new ./cmd/nhigate
#   git worktree add /tmp/old <commit-before> && (cd /tmp/old && go build -o /tmp/nhigate-old ./cmd/nhigate)
#   scripts/gate-intake.sh /tmp/nhigate-old /tmp/nhigate-new
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 NHIGATE_BINARY..." >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@example.com
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1
now=2026-11-25T12:00:00Z

admin='apiVersion: nhigate.dev/v1
kind: ProvisioningWorkflow
metadata: {name: admin, owner: "@acme/platform", requester: mallory}
spec:
  identity: {name: admin, type: service-account, platform: aws, consumer: pipeline}
  environment: staging
  entitlements: [{actions: ["*"], resources: ["*"]}]
  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2026-12-20T00:00:00Z"
  revocation: {onCompletion: true}
  approvals: {minApprovals: 1}'

# repo DIR CONFIG: a repository with a review workflow, a spec and docs.
repo() {
	mkdir -p "$1/.github/workflows" "$1/identities" "$1/docs"
	(
		cd "$1"
		git init -q -b main
		[ -n "$2" ] && printf '%s\n' "$2" >.nhigate.yaml
		printf 'on: pull_request\njobs: {review: {runs-on: ubuntu-latest, steps: [{uses: nhigate/nhigate@v0}]}}\n' >.github/workflows/nhigate-review.yml
		printf '%s\n' "$admin" | sed 's/admin/example/; s/"\*"/"s3:GetObject"/g' >docs/example.txt
		git add -A && git commit -q -m base
	)
}

# case NAME DIR COMMANDS [FLAGS...]: a branch of DIR with COMMANDS applied,
# reviewed with FLAGS. A gitlink is added by update-index after "git add".
case_() {
	local name=$1 dir=$2 cmds=$3
	shift 3
	(cd "$dir" && git checkout -q -b "$name" main && mkdir -p identities && eval "$cmds" && git add -A &&
		if [ -n "${gitlink:-}" ]; then git update-index --add --cacheinfo "160000,1111111111111111111111111111111111111111,$gitlink"; fi &&
		git commit -q --allow-empty -m "$name" && git checkout -q main)
	printf '%-34s' "$name"
	for bin in "${bins[@]}"; do
		local out code
		out=$(cd "$dir" && "$bin" review --base main --head "$name" --now "$now" --format json "$@" 2>/dev/null) && code=$? || code=$?
		# The diff's risk is the highest of its changes' (older reports have
		# no top-level risk).
		risk=$(printf '%s' "$out" | jq -r '[.diff.governance[].risk, .diff.identities[].risk] as $r
			| ["none","low","medium","high","critical"] | map(select(. as $l | $r | index($l))) | last // "none"' 2>/dev/null || echo "?")
		invalid=$(printf '%s' "$out" | jq -r '.invalid | length' 2>/dev/null || echo "?")
		printf '  exit %s risk %-8s invalid %-2s' "$code" "$risk" "$invalid"
	done
	echo
}

bins=("$@")
printf '%-34s' "case"
for bin in "${bins[@]}"; do printf '  %-31s' "$bin"; done
echo

g="$work/globs"
repo "$g" 'specs: ["identities/*.yaml"]'
case_ neuter-review-workflow "$g" 'printf "on: pull_request\njobs: {review: {runs-on: ubuntu-latest, steps: [{run: \"true\"}]}}\n" >.github/workflows/nhigate-review.yml'
case_ neuter+fail-on-risk-high "$g" 'printf "on: pull_request\njobs: {review: {runs-on: ubuntu-latest, steps: [{run: \"true\"}]}}\n" >.github/workflows/nhigate-review.yml' --fail-on-risk high
case_ action-yml "$g" 'mkdir -p ci && printf "runs: {using: composite, steps: []}\n" >ci/action.yml'
case_ outside-globs "$g" 'mkdir -p other && printf "%s\n" "$admin" >other/admin.yaml'
case_ renamed-yml "$g" 'printf "%s\n" "$admin" >identities/admin.yml'
case_ upper-extension "$g" 'printf "%s\n" "$admin" >identities/admin.YAML'
case_ no-extension "$g" 'printf "%s\n" "$admin" >identities/admin'
case_ case-variant-dir "$g" 'mkdir -p Identities && printf "%s\n" "$admin" >Identities/admin.yaml'
case_ spec-in-.github "$g" 'printf "%s\n" "$admin" >.github/admin.yaml'
case_ json-escaped "$g" 'mkdir -p other && printf "{\"apiVersion\": \"nhigate.dev\\\\/v1\", \"spec\": {}}\n" >other/a.json'
case_ utf16 "$g" 'mkdir -p other && printf "%s\n" "$admin" | iconv -t UTF-16 >other/a.yaml'
case_ symlinked-dir "$g" 'ln -s ../docs identities/team'
gitlink=identities/vendor.yaml case_ gitlink-at-spec-path "$g" :

d="$work/discover"
repo "$d" ''
case_ discover-case "$d" 'printf "%s\n" "$admin" | sed "s/nhigate.dev/NHIGATE.dev/; s/ProvisioningWorkflow/provisioningworkflow/" >identities/admin.yaml'
case_ discover-lookalike "$d" 'printf "%s\n" "$admin" | sed "s/nhigate.dev/nh\xd1\x96gate.dev/; s/ProvisioningWorkflow/ProvisioningW\xd0\xberkflow/" >identities/admin.yaml'
case_ discover-symlink-to-spec "$d" 'ln -s ../docs/example.txt identities/admin.yaml'
gitlink=vendor/lib case_ discover-gitlink "$d" :
