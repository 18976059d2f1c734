/**
 * Which copy this process is when a service runs several on one port
 * (./instances.ts sets the variable for each copy it forks): 1..N, or
 * undefined in a process that runs alone. Imports nothing, so the logger can
 * read it.
 */
export const INSTANCE_VARIABLE = 'SERVICE_INSTANCE';

export function instanceNumber(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = Number(env[INSTANCE_VARIABLE]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** Worker K of WORKER_INSTANCES listens on the worker's two ports + (K - 1) x this (deploy/stack.d/apps.sh's INSTANCE_PORT_STEP). */
export const WORKER_PORT_STEP = 10;
