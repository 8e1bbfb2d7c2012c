// One class per command (house style 7): each command file exports a class with `readonly id`
// and `execute()`, and activate() hands instances to this manager, which registers them and
// disposes the registrations with the extension.
import * as vscode from 'vscode';
import { Disposable } from './dispose';

/** A command contributed by the extension; `id` must match package.json `contributes.commands`. */
export interface Command {
  readonly id: string;
  // Arguments come from VS Code (palette, CodeLens, keybindings, tests), so they are untyped here;
  // each command validates its own.
  execute(...args: unknown[]): unknown;
}

export class CommandManager extends Disposable {
  readonly #ids = new Set<string>();

  /** Registers `command`; a second command with the same id is a programming error. */
  register<T extends Command>(command: T): T {
    if (this.#ids.has(command.id)) throw new Error(`Command '${command.id}' is already registered`);
    this.#ids.add(command.id);
    this._register(vscode.commands.registerCommand(command.id, (...args: unknown[]) => command.execute(...args)));
    return command;
  }

  /** The ids registered so far (for diagnostics and tests). */
  get ids(): readonly string[] {
    return [...this.#ids];
  }
}
