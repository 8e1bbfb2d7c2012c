/**
 * The inference service in the caller's own process, behind the same interface as the forked one:
 * the same host, handlers and messages, delivered by direct calls instead of IPC. For callers that
 * gain nothing from a child process (the CLI's detection and evaluation) and for tests.
 */
import type { FromService, MethodTable, ServiceMethods, ToService } from '../protocol/service';
import { ServiceConnection, type ServiceOptions } from './client';
import { ServiceHost, type HandlerTable } from './host';
import { serviceHandlers } from './methods';

export class InProcessService<T extends MethodTable = ServiceMethods> extends ServiceConnection<T> {
  readonly #makeHandlers: () => HandlerTable<T>;
  #host: ServiceHost | undefined;

  /** `handlers` defaults to the service's own; tests pass a table with their methods added. */
  constructor(options: ServiceOptions = {}, handlers?: () => HandlerTable<T>) {
    super(options);
    this.#makeHandlers = handlers ?? (serviceHandlers as unknown as () => HandlerTable<T>);
  }

  protected send(message: ToService): void {
    this.#host ??= new ServiceHost(this.#makeHandlers() as unknown as HandlerTable<MethodTable>, (m: FromService) => this.receive(m));
    this.#host.receive(message);
  }

  release(): void {
    const host = this.#host;
    this.#host = undefined;
    void host?.release();
  }

  override dispose(): void {
    super.dispose();
    this.release();
  }
}
