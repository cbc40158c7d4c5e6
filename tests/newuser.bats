#!/usr/bin/env bats
# newuser.bats - the tools tried as a new user would (issue 19): each test
# is one surprise a newcomer met, checked gone.

load test_helper

RUN="$ROOT/scripts/slz-run"
REPLAY="$ROOT/build/slz-replay"
PY=/usr/bin/python3

@test "slz-run: a program killed by a signal: one line of slz-run's own, no job notice, status 128+N" {
    run -134 --separate-stderr "$RUN" -q -- sh -c 'echo mine >&2; kill -ABRT $$'
    echo "# stderr [$stderr]"
    [ "${stderr_lines[0]}" = mine ]
    [ "${#stderr_lines[@]}" -eq 2 ]
    [ "${stderr_lines[1]}" = "slz-run: sh was killed by signal 6 (SIGABRT)" ]
    run -137 --separate-stderr "$RUN" -- sh -c 'kill -KILL $$'
    [ "$stderr" = "slz-run: sh was killed by signal 9 (SIGKILL)" ]
}
