import type { Command } from '../command';

// Placeholder until the batch command lands; replaced by its owner.
const command: Command = {
  name: 'batch',
  summary: '(batch: not available yet)',
  usage: 'spright-lens batch (not available yet)',
  run: () => Promise.reject(new Error('batch is not available yet')),
};
export default command;
