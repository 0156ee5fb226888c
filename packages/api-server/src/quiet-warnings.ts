// node:sqlite prints an ExperimentalWarning on first use; the CLI's stderr contract is one line
// per failure, so that single known warning is dropped. Every other warning is still printed.
const defaultHandlers = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)) return;
  for (const handler of defaultHandlers) handler(warning);
});
