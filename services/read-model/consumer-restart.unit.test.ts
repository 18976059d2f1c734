/**
 * Proves the restart of a consumer kafkajs left stopped: a crash it does not
 * restart starts the consumer again (once, however many crash events come),
 * a start that throws or crashes is tried again, a crash kafkajs restarts
 * itself is left to it, and nothing restarts once the service stops.
 * Pure promises, no infrastructure: the sleeps are instant.
 */
import pino from 'pino';
import { ConsumerRestarter } from './consumer-restart';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const settle = async () => {
  for (let i = 0; i < 20; i++) await tick();
};

function restarterWith(start: () => Promise<void>) {
  const calls = { start: 0, disconnect: 0 };
  const restarter = new ConsumerRestarter({
    start: async () => {
      calls.start += 1;
      await start();
    },
    disconnect: async () => {
      calls.disconnect += 1;
    },
    logger: pino({ level: 'silent' }),
    groupId: 'test-group',
    sleep: async () => undefined,
  });
  return { restarter, calls };
}

describe('ConsumerRestarter', () => {
  it('when kafkajs gives up on a crash, then the consumer is started again, once for two crash events', async () => {
    const { restarter, calls } = restarterWith(async () => undefined);
    restarter.crashed(false);
    restarter.crashed(false);
    await settle();
    expect(calls.start).toBe(1);
    expect(restarter.restarts).toBe(1);
  });

  it('when kafkajs restarts the consumer itself, then nothing else starts it', async () => {
    const { restarter, calls } = restarterWith(async () => undefined);
    restarter.crashed(true);
    await settle();
    expect(calls.start).toBe(0);
  });

  it('when a restart throws, then it is undone and tried again until it runs', async () => {
    let failures = 2;
    const { restarter, calls } = restarterWith(async () => {
      if (failures-- > 0) throw new Error('broker still down');
    });
    restarter.crashed(false);
    await settle();
    expect(calls).toEqual({ start: 3, disconnect: 2 });
    expect(restarter.restarts).toBe(1);
  });

  it('when a restart crashes while it starts (kafkajs reports it as a crash, not a throw), then it is tried again', async () => {
    let crashes = 1;
    const holder: { restarter?: ConsumerRestarter } = {};
    const { restarter, calls } = restarterWith(async () => {
      if (crashes-- > 0) holder.restarter?.crashed(false);
    });
    holder.restarter = restarter;
    restarter.crashed(false);
    await settle();
    expect(calls.start).toBe(2);
    expect(restarter.restarts).toBe(1);
  });

  it('when the service is stopping, then a crash starts nothing', async () => {
    const { restarter, calls } = restarterWith(async () => undefined);
    restarter.stop();
    restarter.crashed(false);
    await settle();
    expect(calls.start).toBe(0);
  });
});
