/**
 * The inference service: the one way to render and detect, for the extension and the CLI alike.
 * This module is the client side (what callers import); the methods and their params live in
 * src/protocol/service.ts, the in-process transport in ./inProcess (it loads the handlers).
 */
export { CancelledError, ForkedService, ServiceCrashedError, ServiceRequestError, serviceEntry } from './client';
export type { CallOptions, ForkedServiceOptions, InferenceService, ServiceOptions } from './client';
