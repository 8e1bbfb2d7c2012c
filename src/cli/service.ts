/**
 * The CLI's access to the inference service (src/service), the same service the extension uses:
 * forked for rendering (a render can be cancelled within a step and its native memory goes with
 * the process), in-process for detection (no model worth a process). Errors from the service
 * become the CLI's one-line errors with the usual exit codes.
 */
import { fsProblem } from '../io/outputDir';
import { ForkedService, ServiceRequestError, type InferenceService } from '../service';
import type { CliContext } from './command';
import { InputError, UsageError } from './command';

/** Error classes of the core that mean bad input (exit 2), by name as the service reports them. */
const INPUT_ERRORS = new Set(['ModelDirError', 'ModelLoadError', 'ImageFormatError', 'PromptFileError', 'ComfyError']);
/** Error classes that mean bad options (exit 2 with a pointer to --help). */
const USAGE_ERRORS = new Set(['RenderParamsError', 'SchedulerConfigError']);
/** File-system errors a user can act on. */
const FS_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOSPC', 'EDQUOT', 'EEXIST', 'EISDIR', 'ENOENT', 'ENAMETOOLONG', 'ELOOP']);

function logTo(ctx: CliContext): (level: 'info' | 'warn', message: string) => void {
  return (level, message) => ctx.stderr.write(`${level === 'warn' && !message.startsWith('inference service:') ? 'warning: ' : ''}${message}\n`);
}

/** The service in a child process (for rendering). Dispose it when the command ends. */
export function forkedService(ctx: CliContext): InferenceService {
  return new ForkedService({ onLog: logTo(ctx) });
}

/** The service in this process (for detection and evaluation). */
export function inProcessService(ctx: CliContext): InferenceService {
  const { InProcessService } = require('../service/inProcess') as typeof import('../service/inProcess');
  return new InProcessService({ onLog: logTo(ctx) });
}

/**
 * A service error as the CLI reports it: bad input or options exit 2 with one line; a file-system
 * error is worded as `writing` (e.g. "out/: cannot write the render"), why, and `advice`.
 */
export function cliError(err: unknown, writing = 'cannot write the output', advice?: string): unknown {
  if (!(err instanceof ServiceRequestError)) return err;
  if (USAGE_ERRORS.has(err.remoteName)) return new UsageError(err.message);
  if (INPUT_ERRORS.has(err.remoteName)) return new InputError(err.message);
  if (err.code !== undefined && FS_CODES.has(err.code)) return new InputError(`${writing} (${fsProblem(err)})${advice ? `; ${advice}` : ''}`);
  return err;
}
