// The proof-of-work solver, in a Web Worker so the page stays responsive while it hashes: altcha-lib's own solver
// with the browser's Web Crypto SHA-256. The page posts the decoded challenge; the worker answers the solution.
import { Challenge, solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/web/sha';

interface WorkerScope {
  onmessage: ((event: MessageEvent<{ challenge: Challenge }>) => void) | null;
  postMessage(message: unknown): void;
}

const scope = self as unknown as WorkerScope;

scope.onmessage = (event) => {
  const started = performance.now();
  solveChallenge({ challenge: event.data.challenge, deriveKey, timeout: 120_000 }).then(
    (solution) => scope.postMessage(solution ? { solution: { counter: solution.counter, derivedKey: solution.derivedKey }, ms: Math.round(performance.now() - started) } : { error: 'timeout' }),
    (error: unknown) => scope.postMessage({ error: String(error) }),
  );
};
