/**
 * The tests run on the project's pinned Node LTS (node_modules/.bin/node, put
 * first on the PATH by npm scripts and .ci/run), never on an end-of-life line
 * the OS may have: a run on the wrong runtime fails at once, naming it.
 */
export const SUPPORTED_NODE_MAJORS = [24, 26] as const;

export function assertSupportedNode(version: string = process.version): string {
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  if (!(SUPPORTED_NODE_MAJORS as readonly number[]).includes(major)) {
    throw new Error(`tests run on Node ${version}, not a supported LTS line (${SUPPORTED_NODE_MAJORS.join(' or ')}): run them through npm (npm test), which puts node_modules/.bin/node first`);
  }
  return version;
}
