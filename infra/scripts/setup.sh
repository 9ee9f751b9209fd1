#!/usr/bin/env bash
# Installs what MMInterp needs on a fresh Debian 12 machine and builds the solution.
# Safe to re-run: each step checks first. The TorchSharp native patch runs inside the build
# (Directory.Build.targets), so every project and test output gets it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

need_apt=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql-15 postgresql-client-15)
command -v runuser >/dev/null || need_apt+=(util-linux)
# Headless Chromium drives the web UI's end-to-end test (PuppeteerSharp, /usr/bin/chromium).
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# DejaVu Sans draws the words of the typographic attack on a user's images (analyze clip --dataset).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  # Whether PostgreSQL 15's default cluster existed before: only a cluster this install creates is stopped below.
  had_cluster=0; [ -d /etc/postgresql/15/main ] && had_cluster=1
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The Debian package creates and starts a cluster of its own (15/main, on 5432 when free); the platform runs its
  # own server, so that new cluster is stopped. Other clusters and services (a PostgreSQL the machine already ran)
  # are left as they were.
  if [ "$had_cluster" -eq 0 ] && [ -d /etc/postgresql/15/main ] && command -v pg_ctlcluster >/dev/null; then
    $sudo_cmd pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
  fi
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required on PATH" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build MMInterp.sln -c Release -nologo -v q -clp:ErrorsOnly
