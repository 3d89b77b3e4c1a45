#!/bin/sh
# bench/affected.sh measures warm `lamb affected --since HEAD~1` against the
# floor of the issue: `go list -deps -json ./functions/...` run twice (once
# per side), in the same run, on a generated monorepo (internal/benchgen), and
# checks that a comment-only edit affects nothing.
#
#	sh bench/affected.sh            # N=24 functions, RUNS=7
#	N=48 RUNS=5 sh bench/affected.sh
#	LAMB=/path/to/lamb sh bench/affected.sh   # a lamb binary built elsewhere
#	PKG=internal/log sh bench/affected.sh      # which shared package to edit
#
# The goal is ratio <= 3. Needs the module proxy or a warm module cache.
set -eu
N=${N:-24}
RUNS=${RUNS:-7}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# Keep the real go build cache; give lamb its own user cache.
GOCACHE=$(go env GOCACHE)
export GOCACHE
XDG_CACHE_HOME=$work/cache
export XDG_CACHE_HOME

if [ -n "${LAMB:-}" ]; then
	cp "$LAMB" "$work/lamb"
else
	go build -o "$work/lamb" ./cmd/lamb
fi
go run ./bench/gen -out "$work/repo" -n "$N" 2>/dev/null
cd "$work/repo"
if [ ! -f lamb.yaml ]; then
	printf 'version: 1\ndefaults:\n  runtime: provided.al2023\n  architecture: arm64\ndiscover:\n  - packages: ./functions/...\n    name: "{{.Dir}}"\n' >lamb.yaml
fi
git init -q -b main
git add -A
git -c user.name=bench -c user.email=bench@example.com commit -q -m base
# One shared package edited in the second commit.
pkg=${PKG:-$(ls -d internal/*/ | head -n 1)}
pkg=${pkg%/}/
file=$(ls "$pkg"*.go | grep -v _test.go | head -n 1)
# A code edit: a comment alone changes no binary, and affects nothing.
echo 'var _ = "edited"' >>"$file"
git -c user.name=bench -c user.email=bench@example.com commit -q -am edit

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Warm both: build cache, module cache, lamb's base cache.
go list -deps -json ./functions/... >/dev/null
t0=$(now)
"$work/lamb" affected --since HEAD~1 >"$work/affected.txt"
cold=$((($(now) - t0) / 1000000))

: >"$work/lamb.ms"
: >"$work/golist.ms"
i=0
while [ "$i" -lt "$RUNS" ]; do
	t0=$(now)
	"$work/lamb" affected --since HEAD~1 >/dev/null
	t1=$(now)
	go list -deps -json ./functions/... >/dev/null
	go list -deps -json ./functions/... >/dev/null
	t2=$(now)
	echo $(((t1 - t0) / 1000000)) >>"$work/lamb.ms"
	echo $(((t2 - t1) / 1000000)) >>"$work/golist.ms"
	i=$((i + 1))
done
l=$(median <"$work/lamb.ms")
g=$(median <"$work/golist.ms")
echo "functions: $N, affected by editing $file: $(wc -l <"$work/affected.txt")"
# Check against the generator's ground truth: who imports the edited package.
want=$(awk -v p="${pkg%/}" '$1 == p { print $3 }' .bench/importers.txt | tr , '\n' | sort)
got=$(sort "$work/affected.txt")
if [ -n "$want" ] && [ "$want" != "$got" ]; then
	echo "MISMATCH: lamb affected != importers of ${pkg%/} in .bench/importers.txt" >&2
	echo "want: $want" >&2
	echo "got:  $got" >&2
	exit 1
fi
[ -n "$want" ] && echo "check: same functions as the generator's importers of ${pkg%/}"
# A comment-only edit of the same file (uncommitted) affects nothing.
echo "// a comment" >>"$file"
comment=$("$work/lamb" affected --since HEAD | wc -l)
git checkout -q -- "$file"
if [ "$comment" -ne 0 ]; then
	echo "MISMATCH: a comment-only edit of $file affects $comment functions" >&2
	exit 1
fi
echo "check: a comment-only edit of $file affects 0 functions"
echo "cold lamb affected --since HEAD~1 (base not cached: worktree + 2 loads): ${cold} ms"
echo "warm lamb affected --since HEAD~1: ${l} ms (median of $RUNS)"
echo "go list -deps -json ./functions/... x2: ${g} ms (median of $RUNS)"
awk -v l="$l" -v g="$g" 'BEGIN { printf "ratio: %.2f (goal <= 3)\n", l / g }'
