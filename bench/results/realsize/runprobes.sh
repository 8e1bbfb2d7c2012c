#!/bin/bash
# Runs probe.js configs one at a time, waiting for >= 12 GiB available before each.
out=$1; shift
for cfg in "$@"; do
  while [ $(awk '/MemAvailable/{print int($2/1048576)}' /proc/meminfo) -lt 12 ]; do sleep 20; done
  echo "== $cfg $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)" >> $out
  node /work/cache/scratch/probe.js $cfg >> $out 2>&1
done
echo DONE >> $out
