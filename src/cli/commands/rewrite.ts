import type { Command } from '../command';

// Placeholder until the rewrite command lands; replaced by its owner.
const command: Command = {
  name: 'rewrite',
  summary: '(rewrite: not available yet)',
  usage: 'spright-lens rewrite (not available yet)',
  run: () => Promise.reject(new Error('rewrite is not available yet')),
};
export default command;
