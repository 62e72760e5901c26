#!/usr/bin/env bash
# Starts a living test cluster (API server, controllers, scheduler and
# simulated nodes) for benchmarks and for use by hand. It prints the
# KUBECONFIG to export and runs until Ctrl-C.
#
#   bash tests/k8s/cluster.sh [--nodes N] [--backoff SECS]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/k8s/build.sh >&2
exec cargo run --quiet --example testcluster -- "$@"
