/**
 * The history as the Go checker reads it: a batch op becomes one transfer op
 * per item, the Go model (test/history/checker) unchanged. Each item is
 * invoked when the batch was and completes when the batch did, under a
 * process of its own, with the item's transfer id and outcome; a batch's
 * resolution resolves each item. That is sound for Porcupine: the ledger
 * posts a batch's items in index order inside the batch's request, which is
 * one of the orders the item ops allow, and an item refused for funds was
 * refused with the items before it applied, as the ops ordered by index say.
 * One exception: an atomic batch that failed moved nothing, though its refused
 * item was judged with the earlier items applied, a state the per-item model
 * never passes through; so every item of a failed atomic batch is given as
 * failed BATCH_ABORTED (no effect, no claim about funds). The TypeScript
 * check "batches all or none" judges that batch as a whole. An item to an
 * account outside its group (the workload's missing account) is left out: it
 * cannot move the group's money, and that check fails it if it posted.
 * Indices are renumbered (item `i` of the op at index `n` is n × SLOT + 1 + i)
 * so every invoke keeps a unique index and every resolve its reference.
 */
import { writeFileSync } from 'node:fs';
import { setupOf, type HistoryEvent } from './history';

/** More than the most items a batch holds (1,000), plus the op's own index. */
const SLOT = 1024;

interface ItemAnswer {
  transferId: string;
  status: string;
  failureCode: string | null;
}

const renumber = (index: number, item = -1) => index * SLOT + 1 + item;

/** Each item's answer as a transfer op's, by the rule of the header. */
function itemAnswers(batch: any): ItemAnswer[] {
  const aborted = batch.mode === 'atomic' && batch.status === 'failed';
  return (batch.items as ItemAnswer[]).map((i) => ({ transferId: i.transferId, status: i.status, failureCode: aborted ? 'BATCH_ABORTED' : i.failureCode }));
}

export function goCheckerHistory(history: HistoryEvent[]): HistoryEvent[] {
  const setup = setupOf(history);
  const out: HistoryEvent[] = [];
  /** Open batch invokes by process; the items kept, by the batch invoke's index. */
  const openBatch = new Map<string, HistoryEvent>();
  const keptItems = new Map<number, number[]>();
  const itemProcess = (batchInvoke: HistoryEvent, i: number) => `${batchInvoke.process}/b${batchInvoke.index}/${i}` as HistoryEvent['process'];
  const itemEvents = (batchInvoke: HistoryEvent, make: (i: number) => Omit<HistoryEvent, 'process' | 'f' | 'key'>) =>
    (keptItems.get(batchInvoke.index) ?? []).map((i) => ({ ...make(i), process: itemProcess(batchInvoke, i), f: 'transfer' as const, key: `${batchInvoke.key}#${i}` }));

  for (const e of history) {
    if (e.f !== 'batch') {
      const value = e.type === 'resolve' ? { ...e.value, ref: renumber(Number(e.value.ref)) } : e.value;
      out.push({ ...e, index: e.type === 'setup' ? e.index : renumber(e.index), value });
      continue;
    }
    if (e.type === 'invoke') {
      const accounts = setup.groups[e.value.group]?.accounts ?? {};
      const items = e.value.items as Array<{ from: string; to: string; amountMinor: string }>;
      keptItems.set(e.index, items.flatMap((item, i) => (accounts[item.from] && accounts[item.to] ? [i] : [])));
      openBatch.set(String(e.process), e);
      out.push(...itemEvents(e, (i) => ({ index: renumber(e.index, i), time: e.time, type: 'invoke', value: { group: e.value.group, ...items[i] } })));
    } else if (e.type === 'resolve') {
      const invoke = history[Number(e.value.ref)];
      if (!invoke) throw new Error(`resolve ${e.index} names no invoke`);
      const answers = itemAnswers(e.value);
      out.push(...itemEvents(invoke, (i) => ({ index: renumber(e.index, i), time: e.time, type: 'resolve', value: { ...answers[i], ref: renumber(invoke.index, i) } })));
    } else {
      const invoke = openBatch.get(String(e.process));
      if (!invoke) throw new Error(`${e.type} ${e.index} of a batch by process ${e.process}, which runs none`);
      openBatch.delete(String(e.process));
      const answers = e.type === 'ok' ? itemAnswers(e.value) : [];
      out.push(...itemEvents(invoke, (i) => ({ index: renumber(e.index, i), time: e.time, type: e.type, value: e.type === 'ok' ? answers[i] : e.value })));
    }
  }
  return out;
}

/** Writes the Go checker's history beside the recorded one; returns its path. */
export function writeGoCheckerHistory(file: string, history: HistoryEvent[]): string {
  const goFile = file.replace(/\.jsonl$/, '.go.jsonl');
  writeFileSync(goFile, goCheckerHistory(history).map((e) => JSON.stringify(e)).join('\n') + '\n');
  return goFile;
}
