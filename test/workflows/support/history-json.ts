/**
 * Workflow histories to and from Temporal's JSON format (the one the CLI and
 * Web UI export). @temporalio/common's historyToJSON/historyFromJSON fail in
 * this install ("type must be a Type"): npm placed two copies of protobufjs 8,
 * one under @temporalio/common and one under @temporalio/proto (the root holds
 * protobufjs 7 for OpenTelemetry), and the serializer checks `instanceof Type`
 * against the copy the proto types do not come from. This uses the copy that
 * @temporalio/proto resolves, which is right whichever way npm lays it out.
 */
import { createRequire } from 'node:module';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

type History = proto.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const protojson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyToJson(history: History): string {
  const message = proto.temporal.api.history.v1.History.fromObject(history);
  return JSON.stringify(protojson.toJson(historyType, message), null, 1) + '\n';
}

export function historyFromJson(text: string): History {
  const history = protojson.fromJson(historyType, JSON.parse(text), { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a workflow history');
  return history as History;
}
