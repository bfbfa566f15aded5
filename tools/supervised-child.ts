/**
 * Preloaded (`node --require`) into every service that `npm start` and `npm run dev` run: the service stops when its
 * supervisor is gone, however it went. The supervisor holds the other end of an IPC channel; when that process
 * dies, even by SIGKILL, the kernel closes the channel and the service gets 'disconnect', then shuts down as on
 * Ctrl-C (SIGTERM: Nest's shutdown hooks close the server, the workers and the connections). Without this, killing
 * only the supervisor left every service holding its port.
 */
export {};

const GRACE_MS = 10_000;

if (process.channel) {
  // The channel must not keep a service alive by itself, nor stop it from exiting when it is done.
  process.channel.unref();
  process.once('disconnect', () => {
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(1), GRACE_MS).unref();
  });
}
