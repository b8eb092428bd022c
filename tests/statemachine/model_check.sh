#!/usr/bin/env bash
# Model-checks the server session table with spin (docs/state/server.pml is its committed copy).
# usage: model_check.sh <export_table> <work dir>
# Passes when spin finds no assertion violation or invalid end state in the table's model, and
# finds one in the mutant whose "data" row lost its guard (DATA accepted without a recipient).
set -euo pipefail
exporter=$(realpath "$1")
work=$2
mkdir -p "$work"
cd "$work"

verify() { # <model.pml> -> prints pan's "errors: N" count
    rm -f pan pan.* _spin_nvr.tmp
    spin -a "$1" >/dev/null
    gcc -O2 -DSAFETY -o pan pan.c
    ./pan -m100000 >pan.out 2>&1 || true
    grep -o 'errors: [0-9]*' pan.out | head -1 | cut -d' ' -f2
}

"$exporter" promela >server.pml
errors=$(verify server.pml)
states=$(grep -o '[0-9]* states, stored' pan.out | head -1)
echo "model: server table: $states, errors: $errors"
if [ "$errors" != 0 ]; then
    cat pan.out
    spin -t -p server.pml | tail -40 || true
    exit 1
fi

"$exporter" promela --mutant data >mutant.pml
mutant_errors=$(verify mutant.pml)
echo "model: mutant (row data without its guard): errors: $mutant_errors"
if [ "$mutant_errors" = 0 ]; then
    echo "model: spin found nothing in the mutant: the model checks nothing" >&2
    exit 1
fi
