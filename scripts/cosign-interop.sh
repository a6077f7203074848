#!/usr/bin/env bash
# Checks that the real cosign CLI verifies a bundle that nhigate attest
# signed with a key, and rejects it once the spec changes. Not run by CI:
# building cosign takes minutes and 130 MB.
#
#   scripts/cosign-interop.sh [COSIGN_VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-v2.5.2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/nhigate" ./cmd/nhigate
GOBIN="$work" go install "github.com/sigstore/cosign/v2/cmd/cosign@$version"

openssl ecparam -name prime256v1 -genkey -noout -out "$work/ec.pem"
openssl pkcs8 -topk8 -nocrypt -in "$work/ec.pem" -out "$work/key.pem"
openssl ec -in "$work/ec.pem" -pubout -out "$work/pub.pem" 2>/dev/null
echo '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}' > "$work/empty-root.json"

repo="$work/repo"
mkdir -p "$repo"
cp -r testdata/example/base/. "$repo/"
export GIT_AUTHOR_NAME=interop GIT_AUTHOR_EMAIL=interop@example.com GIT_COMMITTER_NAME=interop GIT_COMMITTER_EMAIL=interop@example.com
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" commit -q -m base
git -C "$repo" checkout -q -b feature
spec=identities/aws/log-insights-staging.yaml
cp "testdata/example/head/$spec" "$repo/$spec"
git -C "$repo" commit -q -am widen

(cd "$repo" && "$work/nhigate" attest --key "$work/key.pem" --base main --head feature \
  --out-dir "$work/bundles" --now 2026-11-25T12:00:00Z --allow-unapproved-local)

verify() {
  (cd "$repo" && "$work/cosign" verify-blob-attestation --new-bundle-format --key "$work/pub.pem" \
    --trusted-root "$work/empty-root.json" --insecure-ignore-tlog \
    --type https://nhigate.dev/attestation/review/v1 \
    --bundle "$work/bundles/$spec.sigstore.json" "$spec")
}
echo "== cosign verifies the nhigate bundle"
verify
echo "== cosign rejects it after the spec changes"
echo "# tampered" >> "$repo/$spec"
if verify; then
  echo "FAIL: cosign accepted a tampered spec" >&2
  exit 1
fi
echo "interop OK"
