/** Example values shared by the OpenAPI document's schemas and examples, so one example's ids agree with another's. */
export const EXAMPLE = {
  accountId: '0f8b6c1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f',
  otherAccountId: '5d7e9f10-3c4b-4a59-9b8c-7d6e5f4a3b2c',
  transferId: '3a1c2e4f-6b7d-4e8f-9a0b-1c2d3e4f5a6b',
  batchId: '9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  entryId: '8e2f4a6c-1b3d-4f5a-8c7e-9d0f1a2b3c4d',
  reversalId: 'c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f',
  reversalEntryId: '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e',
  reconciliationId: '7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2918',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  time: '2026-11-26T21:07:57.123Z',
} as const;
