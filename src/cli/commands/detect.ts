import type { Command } from '../command';

// Placeholder until the detect command lands; replaced by its owner.
const command: Command = {
  name: 'detect',
  summary: '(detect: not available yet)',
  usage: 'spright-lens detect (not available yet)',
  run: () => Promise.reject(new Error('detect is not available yet')),
};
export default command;
