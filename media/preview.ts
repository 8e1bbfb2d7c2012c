// Placeholder webview entry; replaced by the preview panel work.
export {};
