// Placeholder entry for the inference worker; replaced by the render work.
process.exit(0);
