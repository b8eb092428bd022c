#!/usr/bin/env bash
# Table mutation testing (docs/assurance.md): runs every mutant of both session tables through
# the in-memory row scenarios and transcripts (table_mutation), then hands the survivors to spin
# (model_check.sh). Passes when every mutant is killed by one of them.
# usage: mutation_test.sh <table_mutation> <export_table> <work dir>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$("$1")
echo "$out"
mapfile -t survivors < <(echo "$out" | awk '$1 == "survivor" { print $2; print $3 }')
if [ ${#survivors[@]} -eq 0 ]; then
    echo "mutation: every mutant killed in memory; nothing left for spin"
    exit 0
fi
bash "$here/model_check.sh" "$2" "$3" "${survivors[@]}"
echo "mutation: every survivor killed by spin"
