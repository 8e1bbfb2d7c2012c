// Placeholder entry; replaced by the extension work.
export function activate(): void {}
export function deactivate(): void {}
