import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { buildApp } from './app';
import { ConfigError, loadConfig } from './config/config';
import { startServer } from './server';
import { gracefulShutdown } from './shutdown';
import { wire } from './wiring';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, () => randomBytes(24).toString('base64url'));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // Asynchronous writes: a log line no longer costs each request a blocking write; lines written while one is
  // in flight go out together. Flushed before every exit below.
  const destination = pino.destination({ dest: 1, sync: false });
  const logger = pino({ level: config.logLevel }, destination);
  if (config.generatedToken) {
    // Printed once, on stderr, so that nothing is ever open by accident; set API_TOKENS to choose your own.
    process.stderr.write(`\nNo API_TOKENS configured: generated an admin token for this run:\n\n    ${config.tokens[0].token}\n\n`);
  }
  const services = wire(config, logger);
  const app = buildApp(services);
  const running = await startServer(app, config.port, config.host, { '/api/v1/ws': services.ws }, config.server);
  logger.info(
    {
      port: running.port,
      host: config.host,
      engine: config.engine.kind === 'socket' ? config.engine.socketPath : `${config.engine.host}:${config.engine.port}`,
    },
    'listening',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ budgetMs: config.shutdownTimeoutMs }, 'shutdown budget exceeded; cutting the remaining connections');
      running.server.closeAllConnections();
      destination.flushSync();
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    const { jobsEnded, ms } = await gracefulShutdown({
      server: running.server,
      ws: services.ws,
      jobs: services.jobs,
      closeServices: () => services.close(),
      logger,
    });
    logger.info({ signal, ms, jobsEnded }, 'stopped');
    destination.flushSync();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

void main();
