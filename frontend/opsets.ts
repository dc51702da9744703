import type onnxProto from 'onnx-proto';
import { fail, unsupported } from '../ir/errors.js';
import { toSafeInt } from './int64.js';

// Which operator sets a model imports. tilec implements the default ONNX domain from opset 7 (the first
// with numpy broadcasting and today's BatchNormalization/Dropout) through 25 (the operator docs in ../shared/docs/onnx; opsets 22-25 only widened type lists for these ops).

export const MIN_OPSET = 7;
export const MAX_OPSET = 25;

/** '' and 'ai.onnx' both name the default domain; the IR always says ''. */
export const domainKey = (domain: string | null | undefined): string => (domain === 'ai.onnx' ? '' : domain ?? '');

/** opset version per domain (default domain as ''), validated for the default domain. */
export function readOpsets(imports: readonly onnxProto.onnx.IOperatorSetIdProto[]): Map<string, number> {
  const opsets = new Map<string, number>();
  for (const o of imports) {
    const domain = domainKey(o.domain);
    const version = toSafeInt(o.version ?? 0, () => `opset_import for domain '${o.domain ?? ''}'`);
    if (opsets.has(domain) && opsets.get(domain) !== version) {
      fail(`model imports the default domain twice, at opsets ${opsets.get(domain)} and ${version}`);
    }
    opsets.set(domain, version);
  }
  const v = opsets.get('');
  if (v === undefined) fail(`model has no opset_import for the default ONNX domain`);
  if (v < MIN_OPSET) unsupported(`model uses opset ${v}; tilec supports opsets ${MIN_OPSET} to ${MAX_OPSET} of the default domain`);
  if (v > MAX_OPSET) unsupported(`model uses opset ${v}, newer than opset ${MAX_OPSET}, the newest tilec supports`);
  return opsets;
}

/** Fails for a node in a domain other than the default one (custom or contrib operators). */
export function checkDomain(domain: string | null | undefined, who: string, opsets: ReadonlyMap<string, number>): void {
  const d = domainKey(domain);
  if (d === '') return;
  const v = opsets.get(d);
  unsupported(`${who}: model uses operator domain '${d}'${v === undefined ? '' : ` (opset ${v})`}, which is not supported; tilec implements only the default ONNX domain`);
}
