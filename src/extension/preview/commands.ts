// The preview command, registered by activate() through the CommandManager.
import * as vscode from 'vscode';
import type { Command } from '../util/commandManager';
import type { PreviewController } from './previewController';

export function previewCommands(controller: PreviewController): Command[] {
  return [
    // (uri?, line?): opens the preview panel on a prompt's planned layout.
    { id: 'sprightLens.previewLayout', execute: (uri, line) => controller.show(uri instanceof vscode.Uri ? uri : undefined, typeof line === 'number' ? line : undefined) },
  ];
}
