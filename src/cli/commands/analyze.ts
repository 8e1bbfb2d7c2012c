import type { Command } from '../command';

// Placeholder until the analyze command lands; replaced by its owner.
const command: Command = {
  name: 'analyze',
  summary: '(analyze: not available yet)',
  usage: 'spright-lens analyze (not available yet)',
  run: () => Promise.reject(new Error('analyze is not available yet')),
};
export default command;
