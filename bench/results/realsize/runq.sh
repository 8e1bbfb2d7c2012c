#!/bin/bash
# Runs each command line in turn, waiting for >= 12 GiB available before each.
out=$1; shift
for cmd in "$@"; do
  while [ $(awk '/MemAvailable/{print int($2/1048576)}' /proc/meminfo) -lt 12 ]; do sleep 20; done
  echo "== $cmd $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)" >> $out
  bash -c "$cmd" >> $out 2>&1
done
echo DONE >> $out
