#!/usr/bin/env bash
# The AWS test bed: a Python venv with moto's server and boto3 (the
# launcher's protocol bridge uses botocore's serializers), cached under
# ~/.cache/warroom-testbed so a second run skips the install. Prints
# nothing but errors; `tests/support/aws.rs` finds the venv there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${WARROOM_TESTBED:-$HOME/.cache/warroom-testbed}/moto-venv"
stamp="$venv/.requirements"
if [[ -f "$stamp" ]] && cmp -s "$stamp" "$here/requirements.txt"; then
    exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cp "$here/requirements.txt" "$stamp"
