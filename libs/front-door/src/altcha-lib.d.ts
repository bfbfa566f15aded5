// altcha-lib publishes its types under package "exports", which this workspace's node10 module resolution does not
// read; at run time Node resolves both specifiers through those exports to the CommonJS build.
declare module 'altcha-lib' {
  export * from 'altcha-lib/dist/cjs/v2/index';
}
declare module 'altcha-lib/algorithms/sha' {
  export * from 'altcha-lib/dist/cjs/v2/algorithms/sha';
}
