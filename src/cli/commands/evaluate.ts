import type { Command } from '../command';

// Placeholder until the evaluate command lands; replaced by its owner.
const command: Command = {
  name: 'evaluate',
  summary: '(evaluate: not available yet)',
  usage: 'spright-lens evaluate (not available yet)',
  run: () => Promise.reject(new Error('evaluate is not available yet')),
};
export default command;
