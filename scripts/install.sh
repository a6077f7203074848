#!/bin/sh
# install.sh downloads a released nhigate binary, verifies it, and caches it.
# action.yml runs it; it works in any POSIX shell with curl and tar (and
# unzip for the Windows archive).
#
#   NHIGATE_VERSION=v1.2.3 sh scripts/install.sh
#
# It prints the installed binary's path as its last line of standard output
# (and as "path=…" to $GITHUB_OUTPUT when that is set). Nothing runs before
# the archive's sha256 matches checksums.txt, and checksums.txt's Sigstore
# bundle matches the release workflow's identity when cosign is on PATH.
#
# Environment:
#   NHIGATE_VERSION    the release tag, vMAJOR.MINOR.PATCH[-PRERELEASE]; required
#   NHIGATE_BASE_URL   where the release's files are (https only); default
#                      https://github.com/nhigate/nhigate/releases/download/$NHIGATE_VERSION
#   NHIGATE_COSIGN     "auto" (default): verify checksums.txt's signature when
#                      cosign is on PATH, warn when it is not; "require": fail
#                      without cosign; "skip": do not verify it (not advised)
#   NHIGATE_IDENTITY   the certificate identity to require; default the release
#                      workflow at the version's tag
#   RUNNER_OS, RUNNER_ARCH  the platform (GitHub's names); else uname
#   RUNNER_TOOL_CACHE  the cache root; else $XDG_CACHE_HOME or ~/.cache
#
# Exit status: 0 installed (or found in the cache); 1 any failure, after
# which nothing is installed; 2 NHIGATE_VERSION is empty or not a release
# tag (a branch, a commit), so there is nothing to download. Every failure
# says what was wrong and what to do.
set -eu

repo=nhigate/nhigate
issuer=https://token.actions.githubusercontent.com

fail() {
	echo "nhigate install: $*" >&2
	exit 1
}

# warn prints a warning, as a workflow command inside GitHub Actions.
warn() {
	if [ -n "${GITHUB_ACTIONS:-}" ]; then
		echo "::warning title=nhigate install::$*" >&2
	else
		echo "nhigate install: warning: $*" >&2
	fi
}

# not_release exits 2: there is nothing to download, and the caller (the
# Action) may build from source instead.
not_release() {
	echo "nhigate install: $*" >&2
	exit 2
}

version=${NHIGATE_VERSION:-}
[ -n "$version" ] || not_release "NHIGATE_VERSION is not set, so there is no release to download. Set it to a release tag, e.g. NHIGATE_VERSION=v1.2.3, or build from source: go install github.com/$repo/cmd/nhigate@<ref>"
# The version lands in a URL and in paths: only a release tag's characters.
if ! printf '%s\n' "$version" | grep -Eq '^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$' ||
	[ "$(printf '%s\n' "$version" | wc -l)" -ne 1 ]; then
	not_release "version \"$version\" is not a release tag (vMAJOR.MINOR.PATCH), so there is no release to download. Use a released version, or build from source: go install github.com/$repo/cmd/nhigate@<ref>"
fi
bare=${version#v}

# The platform: GitHub's runner names, else uname.
os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
case $os in
Linux | linux) goos=linux ;;
macOS | Darwin | darwin) goos=darwin ;;
Windows | windows | MINGW* | MSYS* | CYGWIN*) goos=windows ;;
*) goos= ;;
esac
case $arch in
X64 | x86_64 | amd64) goarch=amd64 ;;
ARM64 | aarch64 | arm64) goarch=arm64 ;;
*) goarch= ;;
esac
if [ -z "$goos" ] || [ -z "$goarch" ]; then
	fail "no nhigate release for platform $os/$arch. Releases exist for Linux, macOS and Windows on X64 (amd64) and ARM64; elsewhere build from source: go install github.com/$repo/cmd/nhigate@$version"
fi

exe=nhigate
ext=tar.gz
if [ "$goos" = windows ]; then
	exe=nhigate.exe
	ext=zip
fi
archive=nhigate_${bare}_${goos}_${goarch}.$ext

cache_root=${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-${HOME:?neither RUNNER_TOOL_CACHE nor HOME is set}/.cache}}
dir=$cache_root/nhigate/$bare/$goarch
# The marker is written only after verification, as actions/tool-cache does,
# so that an interrupted install is never taken for a complete one.
if [ -f "$dir.complete" ] && [ -x "$dir/$exe" ]; then
	echo "nhigate install: $version for $goos/$goarch found in the tool cache, verified when it was installed" >&2
	[ -z "${GITHUB_OUTPUT:-}" ] || echo "path=$dir/$exe" >>"$GITHUB_OUTPUT"
	echo "$dir/$exe"
	exit 0
fi

base=${NHIGATE_BASE_URL:-https://github.com/$repo/releases/download/$version}
case $base in
https://*) ;;
*) fail "NHIGATE_BASE_URL \"$base\" is not an https:// URL; refusing to download a binary in the clear" ;;
esac
command -v curl >/dev/null 2>&1 || fail "curl is not installed; install it, or download $archive by hand from $base"

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t nhigate)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

get() {
	curl -fsSL --proto '=https' --retry 3 --max-time 120 --max-filesize 268435456 -o "$tmp/$1" "$base/$1" ||
		fail "download $base/$1 failed (see curl's message above). Check that release $version exists and has $1"
}

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | cut -d' ' -f1
	else
		fail "neither sha256sum nor shasum is installed; cannot verify the download"
	fi
}

get checksums.txt
get "$archive"

# checksums.txt's signature, before trusting a line of it.
identity=${NHIGATE_IDENTITY:-https://github.com/$repo/.github/workflows/release.yml@refs/tags/$version}
mode=${NHIGATE_COSIGN:-auto}
case $mode in
auto | require | skip) ;;
*) fail "NHIGATE_COSIGN is \"$mode\"; use auto, require or skip" ;;
esac
if [ "$mode" = skip ]; then
	warn "NHIGATE_COSIGN=skip: the signature of checksums.txt was not verified; the archive is checked only against checksums.txt from the same place"
elif command -v cosign >/dev/null 2>&1; then
	get checksums.txt.sigstore.json
	cosign verify-blob \
		--bundle "$tmp/checksums.txt.sigstore.json" \
		--certificate-identity "$identity" \
		--certificate-oidc-issuer "$issuer" \
		"$tmp/checksums.txt" >&2 ||
		fail "the signature of checksums.txt does not verify for $identity (issued by $issuer). Do not use this download; report it"
	echo "nhigate install: checksums.txt is signed by $identity" >&2
elif [ "$mode" = require ]; then
	fail "cosign is not on PATH and NHIGATE_COSIGN=require: cannot verify the signature of checksums.txt. Install cosign (e.g. sigstore/cosign-installer) first"
else
	warn "cosign is not on PATH: the signature of checksums.txt was not verified, only the archive against checksums.txt from the same release. Install cosign, or set NHIGATE_COSIGN=require to make this an error"
fi

# Exactly one well-formed line must name the archive.
want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/checksums.txt")
[ -n "$want" ] || fail "checksums.txt has no line for $archive; the release is incomplete or not nhigate's"
[ "$(printf '%s\n' "$want" | wc -l)" -eq 1 ] || fail "checksums.txt names $archive more than once; refusing an ambiguous checksum"
printf '%s\n' "$want" | grep -Eq '^[0-9a-f]{64}$' || fail "checksums.txt's line for $archive is not a sha256 (64 hex digits)"
got=$(sha256 "$tmp/$archive")
[ "$got" = "$want" ] || fail "checksum mismatch for $archive: sha256 is $got, checksums.txt says $want. The download is corrupt or tampered with; nothing was installed"
echo "nhigate install: $archive matches checksums.txt (sha256 $got)" >&2

# Only the binary leaves the archive.
mkdir "$tmp/x"
if [ "$ext" = zip ]; then
	if command -v unzip >/dev/null 2>&1; then
		unzip -q "$tmp/$archive" "$exe" -d "$tmp/x" || fail "$archive has no $exe"
	else
		(cd "$tmp/x" && tar -xf "$tmp/$archive" "$exe") || fail "$archive has no $exe"
	fi
else
	tar -xzf "$tmp/$archive" -C "$tmp/x" "$exe" || fail "$archive has no $exe"
fi
[ -f "$tmp/x/$exe" ] && [ ! -L "$tmp/x/$exe" ] || fail "$exe in $archive is not a regular file"

mkdir -p "$dir"
rm -f "$dir.complete"
cp "$tmp/x/$exe" "$dir/$exe.tmp"
chmod 755 "$dir/$exe.tmp"
mv -f "$dir/$exe.tmp" "$dir/$exe"
: >"$dir.complete"
echo "nhigate install: installed $version for $goos/$goarch in $dir" >&2
[ -z "${GITHUB_OUTPUT:-}" ] || echo "path=$dir/$exe" >>"$GITHUB_OUTPUT"
echo "$dir/$exe"
