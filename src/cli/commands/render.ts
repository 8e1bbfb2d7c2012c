import type { Command } from '../command';

// Placeholder until the render command lands; replaced by its owner.
const command: Command = {
  name: 'render',
  summary: '(render: not available yet)',
  usage: 'spright-lens render (not available yet)',
  run: () => Promise.reject(new Error('render is not available yet')),
};
export default command;
