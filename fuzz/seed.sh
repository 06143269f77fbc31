#!/usr/bin/env bash
# Copy the seed corpora into fuzz/corpus/<target>/ (gitignored).
#   parse, convert: BuildKit parser testfiles (+ negative), real-world Dockerfiles, examples/,
#                   tests/fixtures (convert, ir)
#   words:          the left-hand side of every line of BuildKit's shell tables
#                   (envVarTest, wordsTest), prefixed with a mode byte (see fuzz_targets/words.rs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
conf=${CONFORMANCE:-$root/../shared/conformance}
[ -d "$conf" ] || { echo "conformance corpus not found at $conf (set CONFORMANCE=...)" >&2; exit 1; }

for t in parse convert words convert_large compose lock; do mkdir -p "$here/corpus/$t"; done

n=0
copy_df() { # copy_df FILE NAME
    cp "$1" "$here/corpus/parse/$2"
    cp "$1" "$here/corpus/convert/$2"
    n=$((n + 1))
}
for f in "$conf"/buildkit-parser/testfiles/*/Dockerfile \
         "$conf"/buildkit-parser/testfiles-negative/*/Dockerfile \
         "$conf"/buildkit-parser/testfile-line/Dockerfile; do
    [ -f "$f" ] || continue
    copy_df "$f" "bk-$(basename "$(dirname "$f")")"
done
for f in "$conf"/real-world/*.Dockerfile; do
    copy_df "$f" "rw-$(basename "$f" .Dockerfile)"
done
for f in "$root"/examples/*/Dockerfile; do
    copy_df "$f" "ex-$(basename "$(dirname "$f")")"
done
# Our own fixtures: among them the superset's syntax (cache presets, CACHE, RUN --no-cache,
# WORKDIR --chown) and its errors.
for d in convert ir/ok ir/err; do
    for f in "$root/tests/fixtures/$d"/*.Dockerfile; do
        copy_df "$f" "fx-${d//\//-}-$(basename "$f" .Dockerfile)"
    done
done

w=0
for table in envVarTest wordsTest; do
    i=0
    while IFS= read -r line; do
        i=$((i + 1))
        case "$line" in ''|'#'*) continue ;; esac
        # Platform prefix (A|, U|, W|) then `input | expected`.
        line=${line#[AUW]|}
        input=${line%%|*}
        input=${input% }
        printf '%s%s' "@" "$input" > "$here/corpus/words/$table-$i"
        printf '%s%s' "A" "$input" > "$here/corpus/words/$table-$i-bt"
        w=$((w + 1))
    done < "$conf/buildkit-parser/shell/$table"
done
# convert_large: a repeat count (2 bytes, little endian), then head NUL body NUL tail.
large() { # large NAME COUNT HEAD BODY TAIL
    { printf "\\x$(printf %02x $(($2 & 255)))\\x$(printf %02x $(($2 >> 8)))"
      printf '%s\0%s\0%s' "$3" "$4" "$5"; } > "$here/corpus/convert_large/$1"
}
large run-chain 45000 $'FROM busybox\n' $'RUN true\n' ''
large copy-chain 60000 $'FROM busybox\n' $'COPY a b\n' ''
large workdir-chain 30000 $'FROM busybox\n' $'WORKDIR x\n' $'RUN pwd\n'
large env-doubling 30 $'FROM busybox\nENV a=xxxxxxxxxxxxxxxx\n' $'ENV a=$a$a\n' $'RUN true\nRUN true\n'
large env-wide 50000 $'FROM busybox\n' $'ENV V$V=x$V\n' $'RUN true\n'
large arg-wide 50000 $'ARG G=1\nFROM busybox\n' $'ARG A$G=x\n' $'RUN true\n'
large stage-chain 5000 $'FROM busybox AS s\n' $'FROM s AS s\nRUN true\n' ''
large heredoc-wide 20000 $'FROM busybox\nRUN <<EOF\n' $'echo hi\n' $'EOF\n'
echo "seeded $n Dockerfiles (parse, convert), $w words (x2 modes) and 8 large-input programs (convert_large)"
# compose: files separated by lines `#---` (see fuzz_targets/compose.rs).
mkdir -p "$here/corpus/compose"
seed() { printf '%s' "$2" > "$here/corpus/compose/$1"; }
seed include $'ARG F=a\nFROM busybox AS s\nINCLUDE ${F}.Dockerfile c/*.Dockerfile\n#---\nRUN echo a\nINCLUDE b.Dockerfile\n#---\nIF ${FLAVOR} == "debug"\nRUN x\nELSE IF ! (${TARGETARCH} =~ "arm*") && 1\nRUN y\nELSE\nEND\n#---\nFROM s AS t\n#---\nCOPY --from=${F} / /\n'
seed cycle $'FROM busybox\nINCLUDE a.Dockerfile\n#---\nINCLUDE b.Dockerfile\n#---\nINCLUDE a.Dockerfile\n'
seed open-if $'FROM busybox\nIF 1\nIF (a\nELSE\nELSE\nEND\n'
for f in "$root"/examples/superset/*/*.Dockerfile "$root"/examples/superset/*/Dockerfile; do
    cp "$f" "$here/corpus/compose/ex-$(basename "$(dirname "$f")")-$(basename "$f")"
done
echo "compose: 3 seeds and the superset example's files"

# lock: lock files (`<Dockerfile>.lock`), the committed example and broken ones.
lseed() { printf '%s' "$2" > "$here/corpus/lock/$1"; }
cp "$root/examples/lock/Dockerfile.lock" "$here/corpus/lock/ex-lock"
lseed empty '{"images":{},"version":1}'
lseed bad-digest '{"images":{"busybox":{"linux/amd64":{"config":{},"digest":"sha256:abc"}}},"version":1}'
lseed shapes '{"images":{"Bad Ref":{},"alpine":{"amd64":{},"linux/arm/v7":{"digest":7,"config":[],"x":1}}},"version":2,"y":0}'
lseed escapes '{"images":{"a\u0062c":{"linux/amd64":{"config":{"k":"\ud83d\ude00"},"digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}},"version":1}'
echo "lock: 5 seeds"
