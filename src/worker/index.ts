/** The inference worker: a child process that runs rendering (and detection) off the caller's thread. */
export { WorkerClient, CancelledError, WorkerCrashedError, WorkerRequestError, type RequestOptions, type WorkerClientOptions } from './client';
export type { RenderRequest, RenderResponse } from './renderHandler';
export type { FromWorker, ToWorker, ProgressMessage, LogMessage, ResultMessage, ErrorMessage, RequestMessage, CancelMessage } from './protocol';
