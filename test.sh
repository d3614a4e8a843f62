#!/usr/bin/env bash
# Runs every test project. Installs what the tests need when it is missing (mosquitto, PostgreSQL, chromium,
# the Node packages of the test fixtures: the OPC UA PLC and Azurite), builds once, runs each test project, and ends with the line
# "N passed, N failed[, N skipped]" summed over all projects.
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
logs="$root/.test-logs"
rm -rf "$logs"; mkdir -p "$logs"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

need_apt=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need_apt+=(postgresql)
# The live page's browser test drives Debian's chromium through Playwright (no browser download is possible).
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_apt[*]} (apt-get)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >"$logs/apt.log" 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >>"$logs/apt.log" 2>&1 \
    || { echo "test.sh: apt-get install ${need_apt[*]} failed; see $logs/apt.log"; tail -20 "$logs/apt.log"; }
fi
# The broker must not run as a system service: fixtures start their own on free ports.
# Nor PostgreSQL: fixtures run initdb/pg_ctl in temporary directories on free ports.
if command -v systemctl >/dev/null 2>&1; then systemctl stop mosquitto postgresql >/dev/null 2>&1 || true; fi

for fixture in test/fixtures/*/; do
  if [ -f "$fixture/package.json" ] && [ ! -d "$fixture/node_modules" ]; then
    echo "test.sh: npm ci in $fixture"
    (cd "$fixture" && npm ci --no-audit --no-fund --loglevel=error >"$logs/npm-$(basename "$fixture").log" 2>&1) \
      || { echo "test.sh: npm ci failed in $fixture"; tail -20 "$logs/npm-$(basename "$fixture").log"; }
  fi
done

echo "test.sh: building"
if ! dotnet build Imv.Orleans.sln -c Release -nologo -v q >"$logs/build.log" 2>&1; then
  grep -E "error" "$logs/build.log" | sort -u | head -40
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0; failed=0; skipped=0; status=0
for proj in test/*/*.csproj; do
  name=$(basename "$proj" .csproj)
  echo "test.sh: $name"
  dotnet test "$proj" -c Release --no-build -nologo --logger "console;verbosity=normal" \
    --blame-hang-timeout 10m >"$logs/$name.log" 2>&1
  rc=$?
  # The console logger ends with either "Passed!  - Failed: F, Passed: P, Skipped: S, ..." or a block
  # "Total tests: T / Passed: P / Failed: F / Skipped: S".
  line=$(grep -E "^(Passed|Failed)!? +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+" "$logs/$name.log" | tail -1)
  if [ -n "$line" ]; then
    f=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$line")
    p=$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$line")
    s=$(sed -E 's/.*Skipped: +([0-9]+),.*/\1/' <<<"$line")
  elif grep -qE "^Total tests: [0-9]+" "$logs/$name.log"; then
    block=$(sed -n '/^Total tests: [0-9]*/,$p' "$logs/$name.log")
    p=$(grep -E "^ +Passed: [0-9]+" <<<"$block" | head -1 | grep -oE "[0-9]+" || echo 0)
    f=$(grep -E "^ +Failed: [0-9]+" <<<"$block" | head -1 | grep -oE "[0-9]+" || echo 0)
    s=$(grep -E "^ +Skipped: [0-9]+" <<<"$block" | head -1 | grep -oE "[0-9]+" || echo 0)
    line="Passed: $p, Failed: $f, Skipped: $s"
  fi
  if [ -n "$line" ]; then
    p=${p:-0}; f=${f:-0}; s=${s:-0}
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    echo "  $line"
  elif grep -q "No test is available" "$logs/$name.log"; then
    echo "  (no tests yet)"
    continue
  else
    echo "  $name did not report results (exit $rc); see $logs/$name.log"
    tail -30 "$logs/$name.log"
    failed=$((failed + 1))
  fi
  if [ $rc -ne 0 ]; then
    status=1
    grep -E -A1 "^\s+Failed |Error Message" "$logs/$name.log" | grep -v -- "^--$" | head -40
  fi
done

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
[ "$failed" -gt 0 ] && status=1
echo "$summary"
exit $status
