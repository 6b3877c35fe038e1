# The CLI test scripts' checks, sourced after $tmp is set; each counts into passed / failed.
passed=0 failed=0
check() {  # check NAME COMMAND...: the command must succeed
  local name=$1; shift
  if "$@" > "$tmp/out" 2> "$tmp/err"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAILED: $name"; cat "$tmp/out" "$tmp/err"; fi
  cp "$tmp/out" "$tmp/last"  # what the next `contains` looks at
  cp "$tmp/err" "$tmp/last_err"
}
expect_exit() {  # expect_exit NAME CODE TEXT COMMAND...: exit code CODE and TEXT on stderr
  local name=$1 code=$2 text=$3; shift 3
  "$@" > "$tmp/out" 2> "$tmp/err"; local got=$?
  if [ "$got" -eq "$code" ] && grep -q -- "$text" "$tmp/err"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAILED: $name (exit $got, want $code and '$text')"; cat "$tmp/err"; fi
}
contains() { grep -q -- "$2" "$1"; }
lacks() { ! grep -q -- "$2" "$1"; }
finish() {  # the closing line ctest shows, and the exit status
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
expect() {  # expect NAME COMMAND...: the command (a test, not a dpa run) must succeed; its output is not kept
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}
no_temporaries() { ! ls -a "$1" | grep -q '\.tmp-'; }
