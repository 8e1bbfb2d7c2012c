// Commands (house style 7): each feature folder's commands.ts returns a table of `{ id, execute }`
// entries that adapt VS Code's arguments to the feature, and activate() hands them to this
// manager, which registers them and disposes the registrations with the extension.
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

  /** Registers `commands`; a second command with the same id is a programming error. */
  register(commands: readonly Command[]): void {
    for (const command of commands) {
      if (this.#ids.has(command.id)) throw new Error(`Command '${command.id}' is already registered`);
      this.#ids.add(command.id);
      this._register(vscode.commands.registerCommand(command.id, (...args: unknown[]) => command.execute(...args)));
    }
  }

  /** The ids registered so far (for diagnostics and tests). */
  get ids(): readonly string[] {
    return [...this.#ids];
  }
}
