// The layers, checked by `npm run lint` (depcruise): entry points (src/http, src/ws) → domain (src/domain) →
// engine adapter (src/engine, the only code that sees dockerode). The composition root (src/wiring*.ts, src/app.ts,
// src/main.ts, src/server.ts) may import any layer. Config is read once, in src/config, and passed down as values.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-inner',
      comment: 'src/domain is our own types and rules: it knows no engine adapter, no HTTP or WebSocket edge and no config.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/(engine|outbound|http|ws|config|store)/' },
    },
    {
      name: 'engine-knows-no-edge',
      comment:
        'The engine adapter implements domain interfaces; it never reaches up to the HTTP or WebSocket edge, nor into config (the composition root hands it values).',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/(http|ws|config)/' },
    },
    {
      name: 'outbound-knows-no-edge',
      comment:
        'src/outbound holds the adapters that call out of the service (webhook POSTs): like the engine adapter, they implement domain interfaces and reach neither the edge, nor config, nor the engine.',
      severity: 'error',
      from: { path: '^src/outbound/' },
      to: { path: '^src/(http|ws|config|engine|store)/' },
    },
    {
      name: 'edge-goes-through-the-domain',
      comment: 'HTTP routes and WebSocket channels call domain services; only the domain (through its ports) reaches the engine.',
      severity: 'error',
      from: { path: '^src/(http|ws)/' },
      to: { path: '^src/(engine|outbound)/' },
    },
    {
      name: 'wiring-knows-no-router',
      comment: 'The composition root builds domain services from engine adapters; what the routers take is a domain type.',
      severity: 'error',
      from: { path: '^src/wiring' },
      to: { path: '^src/http/' },
    },
    {
      name: 'scripts-build-no-service',
      comment: 'A script reads what it documents (the contract, declared roles); it does not build the gateway or the app with fakes.',
      severity: 'error',
      from: { path: '^scripts/' },
      to: { path: '^src/(wiring|app|main|server)|^src/ws/(build-gateway|gateway)' },
    },
    {
      name: 'patches-are-a-leaf',
      comment: 'src/patches holds the runtime patches of dependencies, used by every layer: it imports none of them.',
      severity: 'error',
      from: { path: '^src/patches/' },
      to: { path: '^src/(?!patches/)' },
    },
    {
      name: 'bench-uses-no-test-helpers',
      comment: 'bench/ runs without jest; what it shares with the tests lives in support/.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    {
      name: 'src-uses-no-test-or-bench',
      comment: 'The service never loads test or bench code.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|support)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules|coverage|test-results)/' },
  },
};
