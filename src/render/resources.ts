/**
 * What the machine gives a render: physical CPU cores (the CPU provider's best thread count) and
 * the process's peak resident memory, the figures the CLI, the panel and the bench report.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Physical cores this process may run on. On Linux, one per distinct core in sysfs topology
 * (hyper-threads share a core's multiply units, so a second thread on the same core only adds
 * contention to onnxruntime's matrix kernels), capped by the CPUs the process is allowed to use.
 * Elsewhere, the logical CPU count.
 */
export function physicalCores(sysCpu = '/sys/devices/system/cpu', available = os.availableParallelism()): number {
  try {
    const cores = new Set<string>();
    for (const name of fs.readdirSync(sysCpu)) {
      if (!/^cpu\d+$/.test(name)) continue;
      const topo = path.join(sysCpu, name, 'topology');
      let siblings: string;
      try {
        siblings = fs.readFileSync(path.join(topo, 'core_cpus_list'), 'utf8').trim();
      } catch {
        // Kernels before 5.7 name it thread_siblings_list; an offline CPU has no topology.
        try {
          siblings = fs.readFileSync(path.join(topo, 'thread_siblings_list'), 'utf8').trim();
        } catch {
          continue;
        }
      }
      cores.add(siblings);
    }
    if (cores.size > 0) return Math.max(1, Math.min(cores.size, available));
  } catch {
    // No sysfs (not Linux, or a sandbox): fall through.
  }
  return Math.max(1, available);
}

/** The process's peak resident set size so far, in bytes (the kernel's high-water mark). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
