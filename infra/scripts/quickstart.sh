#!/usr/bin/env bash
# The main job on the embedded default: a project-owned Postgres, one in-process silo, the ShapesWorld zoo.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$root/infra/scripts/setup.sh"
exec dotnet "$root/src/Client/bin/Release/net10.0/mminterp.dll" quickstart "$@"
