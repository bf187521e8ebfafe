// Every document, event or alert, carries ecs.version and agent.{type,version,id,name} from the injected values.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentMetadata } from '../pipeline/agent-metadata.types.js';
import type { EcsDocument, ShippableDocument } from '../pipeline/document.types.js';
import type { Detector } from '../pipeline/stages.types.js';
import { agentMetadataEnricher, withAlertStamp } from './agent-metadata.js';

const META: AgentMetadata = { ecsVersion: '9.4.0', id: 'id-1', name: 'cas01', version: '1.2.3' };
const EXPECTED = {
  ecs: { version: '9.4.0' },
  agent: { type: 'casguard', version: '1.2.3', id: 'id-1', name: 'cas01' },
};

function alert(n: number): ShippableDocument {
  return { id: `a${n}`, stream: 'alerts', op: 'index', doc: { '@timestamp': 't', event: { kind: 'alert' } } };
}

describe('agent metadata', () => {
  it('sets ecs.version and agent.* on a document, replacing what a source put there', () => {
    const doc: EcsDocument = { '@timestamp': 't', agent: { name: 'spoofed', ephemeral_id: 'x' } };
    agentMetadataEnricher(META)(doc);
    assert.deepEqual({ ecs: doc['ecs'], agent: doc['agent'] }, EXPECTED);
  });

  it('gives every document its own objects', () => {
    const stamp = agentMetadataEnricher(META);
    const a: EcsDocument = { '@timestamp': 't' };
    const b: EcsDocument = { '@timestamp': 't' };
    stamp(a);
    stamp(b);
    assert.notEqual(a['agent'], b['agent']);
    assert.notEqual(a['ecs'], b['ecs']);
  });

  it('stamps the alerts a detector returns from evaluate and from flush, and passes its state through', () => {
    const calls: string[] = [];
    const inner: Detector = {
      evaluate: () => [alert(1)],
      flush: () => [alert(2), alert(3)],
      snapshot: () => ({ s: 1 }),
      restore: (s) => void calls.push(JSON.stringify(s)),
    };
    const d = withAlertStamp(inner, agentMetadataEnricher(META));
    for (const x of [...d.evaluate({ '@timestamp': 't' }, 'e1'), ...d.flush()]) {
      assert.deepEqual({ ecs: x.doc['ecs'], agent: x.doc['agent'] }, EXPECTED, x.id);
    }
    assert.deepEqual(d.snapshot(), { s: 1 });
    d.restore({ r: 2 });
    assert.deepEqual(calls, ['{"r":2}']);
  });
});
