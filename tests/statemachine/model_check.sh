#!/usr/bin/env bash
# Model-checks both session tables with spin (docs/state/server.pml and client.pml are their
# committed copies), and, given mutations, only those mutants (the mutation tests' survivors).
# usage: model_check.sh <export_table> <work dir> [server|client MUTATION]...
# Without mutations: passes when spin finds no assertion violation or invalid end state in
# either table's model, and finds one in each deliberate mutant (server: "data" without its
# guard, DATA accepted without a recipient; client: "data" without its guard, DATA sent before
# an accepted RCPT, and no "next-message-reset", MAIL in an open transaction), so the checker
# checks something. With mutations: prints "killed" or
# "survived" for each, and fails if any survives.
set -euo pipefail
exporter=$(realpath "$1")
work=$2
shift 2
mkdir -p "$work"
cd "$work"

verify() { # <model.pml> -> prints pan's "errors: N" count
    rm -f pan pan.* _spin_nvr.tmp
    spin -a "$1" >/dev/null
    gcc -O1 -DSAFETY -o pan pan.c
    ./pan -m100000 >pan.out 2>&1 || true
    grep -o 'errors: [0-9]*' pan.out | head -1 | cut -d' ' -f2
}

mode() { # <server|client> -> the exporter's mode
    [ "$1" = client ] && echo client-promela || echo promela
}

if [ $# -gt 0 ]; then
    survivors=0
    while [ $# -ge 2 ]; do
        "$exporter" "$(mode "$1")" --mutant "$2" >mutant.pml
        if [ "$(verify mutant.pml)" = 0 ]; then
            echo "model: $1 $2: survived"
            survivors=$((survivors + 1))
        else
            echo "model: $1 $2: killed ($(grep -o 'assertion violated.*' pan.out | head -1))"
        fi
        shift 2
    done
    exit $((survivors > 0))
fi

for side in server client; do
    "$exporter" "$(mode $side)" >$side.pml
    errors=$(verify $side.pml)
    states=$(grep -o '[0-9]* states, stored' pan.out | head -1)
    echo "model: $side table: $states, errors: $errors"
    if [ "$errors" != 0 ]; then
        cat pan.out
        spin -t -p $side.pml | tail -40 || true
        exit 1
    fi
    "$exporter" "$(mode $side)" --mutant guard:data >mutant.pml
    mutant_errors=$(verify mutant.pml)
    echo "model: $side mutant (row data without its guard): errors: $mutant_errors"
    if [ "$mutant_errors" = 0 ]; then
        echo "model: spin found nothing in the $side mutant: the model checks nothing" >&2
        exit 1
    fi
done
# The client's transaction invariant checks something too: without the row that sends RSET
# before the next message, a MAIL goes out while a transaction is open.
"$exporter" client-promela --mutant remove:next-message-reset >mutant.pml
mutant_errors=$(verify mutant.pml)
echo "model: client mutant (no RSET before the next message): errors: $mutant_errors"
if [ "$mutant_errors" = 0 ]; then
    echo "model: spin found nothing in the client RSET mutant: the model checks nothing" >&2
    exit 1
fi
