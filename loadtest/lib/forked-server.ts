import type { Server } from 'node:net';

/**
 * The child side of forkListening (processes.ts), for the bench's baseline servers: starts the server, tells the
 * parent its port over the IPC channel, and closes it and exits on SIGTERM, SIGINT or the parent's going. A start that
 * fails is printed under the server's name and exits 1 (the parent then shows the child's last lines).
 */
export function runForkedServer(name: string, start: () => Promise<{ server: Server; close: () => Promise<void> }>): void {
  start()
    .then(({ server, close }) => {
      const address = server.address();
      if (process.send) process.send({ port: typeof address === 'object' && address ? address.port : 0 });
      const stop = () => void close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      process.on('disconnect', stop);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
