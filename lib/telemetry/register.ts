/**
 * Imported first by every process entry point (before express, pg, kafkajs are
 * loaded) so the instrumentations can patch them.
 */
import { startTracing } from './tracing';

startTracing({ serviceName: process.env.OTEL_SERVICE_NAME ?? 'credit-ledger' });
