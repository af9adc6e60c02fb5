#!/usr/bin/env bash
# Signals are blocked in a .preinit_array entry, which the dynamic loader runs before any
# shared library's initialiser and before vigil's own static initialisers (the kernel drops a
# default-action signal sent to a namespace init unless it is blocked, so every instruction
# before the block is a window for losing one).
#  1. the section is there;
#  2. deterministic: a preloaded library's constructor (run by the loader after preinit, before
#     main) already sees SIGTERM blocked in vigil;
#  3. a loop of exec + SIGTERM at the moment of the exec (test/helpers/exec_kill) counts lost
#     signals, reported, not judged: exec_kill fires when /proc/PID/comm changes, which the
#     kernel does inside execve, before the new program's first instruction. Signals sent in
#     that part of execve are dropped by the kernel whatever vigil does (static builds lose
#     some too); a dynamic build adds the loader's mapping and relocation of its libraries,
#     which run before any hook. Measured numbers are in bench/README.md.
# labels: integration;supervise;init
# timeout: 300
. "$(dirname "$0")/lib/common.bash"

if readelf -SW "$VIGIL" | grep -q '\.preinit_array'; then pass; else fail "$VIGIL has no .preinit_array section"; fi
readelf -d "$VIGIL" 2>/dev/null | grep -q 'NEEDED' && kind=dynamic || kind=static
echo "vigil build: $kind"

if [ $kind = dynamic ] && command -v cc >/dev/null; then
    cat >"$TMP/mask.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
__attribute__((constructor)) static void report(void) {
    sigset_t m;
    char comm[32] = "";
    FILE* c = fopen("/proc/self/comm", "r");
    if (c) { if (!fgets(comm, sizeof comm, c)) comm[0] = 0; fclose(c); }
    comm[strcspn(comm, "\n")] = 0;
    sigprocmask(SIG_BLOCK, NULL, &m);
    FILE* f = fopen(getenv("MASK_OUT"), "a");
    if (f) { fprintf(f, "%s %d\n", comm, sigismember(&m, SIGTERM)); fclose(f); }
}
C
    if cc -shared -fPIC -o "$TMP/mask.so" "$TMP/mask.c" 2>"$TMP/cc.err"; then
        MASK_OUT="$TMP/mask" LD_PRELOAD="$TMP/mask.so" "$VIGIL" -- true 2>/dev/null
        expect_eq "SIGTERM already blocked when the first library initialiser runs" "vigil 1" "$(grep '^vigil ' "$TMP/mask")"
        expect_eq "the app gets its mask back" "true 0" "$(grep '^true ' "$TMP/mask")"
    else
        echo "note: no C compiler for the preload check: $(cat "$TMP/cc.err")"
    fi
fi

runs=100
res=$("$HELPERS/exec_kill" "$runs" "$VIGIL" -- sleep 1 2>"$TMP/lost")
echo "$kind build: $res (exec + immediate SIGTERM as PID 1)"
lost=$(echo "$res" | awk '{print $4}')
if [ -n "$lost" ] && [ "$lost" -le "$runs" ]; then pass; else fail "exec_kill did not report: $(cat "$TMP/lost")"; fi
finish
