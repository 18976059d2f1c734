/** The runtime guard of the test runs: supported LTS lines pass, end-of-life ones are refused by name. */
import { assertSupportedNode } from './node-version';

describe('assertSupportedNode', () => {
  it('accepts Node 24 and 26', () => {
    expect(assertSupportedNode('v24.22.3')).toBe('v24.22.3');
    expect(assertSupportedNode('v26.10.0')).toBe('v26.10.0');
  });

  it('refuses Node 20 and 22 by name', () => {
    expect(() => assertSupportedNode('v20.20.2')).toThrow(/Node v20\.20\.2, not a supported LTS/);
    expect(() => assertSupportedNode('v22.12.0')).toThrow(/not a supported LTS/);
  });

  it('is what this test runs on', () => {
    expect(() => assertSupportedNode()).not.toThrow();
  });
});
