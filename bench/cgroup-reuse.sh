#!/usr/bin/env bash
# What a job's cgroups cost the kernel on a hybrid machine (cgroup v1 memory, pids and cpu, v2 beside them), as
# jobexec lays them out: /bin/true forked into a cgroup in every hierarchy, which it joins before it execs,
# (a) every directory made and removed for each run (jobexec before idle slots), (b) the v1 memory and cpu
# directories reused (jobexec's idle slots until 2026-12-03), (c) every directory reused (jobexec's slots),
# (d) no cgroup at all (the floor). ROUNDS rounds of N runs each, interleaved, so that a drift of the machine's
# speed hits all four alike.
# Usage: bench/cgroup-reuse.sh [N] [ROUNDS]   (defaults 3000, 3). Needs root and cc.
set -euo pipefail
cd "$(dirname "$0")"
n=${1:-3000}
rounds=${2:-3}
[ "$(id -u)" = 0 ] || { echo "$0: needs root (it makes cgroups)" >&2; exit 1; }
for d in /sys/fs/cgroup/memory /sys/fs/cgroup/pids /sys/fs/cgroup/cpu /sys/fs/cgroup/unified; do
  [ -d "$d" ] || { echo "$0: no $d: this measures the hybrid layout" >&2; exit 1; }
done
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
cc -O2 -o "$bin/cgroup-reuse" cgroup-reuse.c
echo "| round | every cgroup new (µs/run) | v1 memory and cpu reused | every cgroup reused | no cgroup |"
echo "|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  row="| $r |"
  for args in "15 0" "15 10" "15 15" "0 0"; do
    # shellcheck disable=SC2086
    row="$row $("$bin/cgroup-reuse" $args "$n" | sed 's/.*machine_busy_us=\([0-9]*\).*/\1/') |"
  done
  echo "$row"
done
echo
echo "Machine busy time per run (all CPUs, kernel workers included), $n runs each; $(nproc) CPUs, $(uname -r)."
