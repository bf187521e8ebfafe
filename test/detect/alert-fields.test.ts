// Every field of the alert documents the scenario raises is ECS, one of the formats' own fields, or declared in
// DETECT_ALERT_FIELDS with a type the value has, and `casguard setup` maps every one of them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DETECT_ALERT_FIELDS } from '../../src/detect/alert-fields.js';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { EAS_OWN_FIELDS } from '../../src/normalize/eas/eas-own-fields.js';
import { WINDOWS_OWN_FIELDS } from '../../src/normalize/windows-event/windows-own-fields.js';
import { defaultOwnFields } from '../../src/cli/commands/setup-command.js';
import { ECS_FIELDS } from '../../src/setup/ecs-fields.generated.js';
import { finalAlerts, runPipeline } from './pipeline-runner.js';
import { generateScenario } from './scenario.js';

function flatten(
  o: Record<string, unknown>,
  prefix = '',
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    const name = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      flatten(v as Record<string, unknown>, `${name}.`, out);
    else out[name] = v;
  }
  return out;
}

describe('alert document fields', () => {
  it('are ECS, formats’ own fields or declared detection fields, with matching value types', () => {
    const scn = generateScenario(200);
    const alerts = finalAlerts(runPipeline(scn.files, builtinRules(), { order: 'live' }).alerts);
    assert.ok(alerts.size > 0, 'alerts.size > 0');
    const own: Record<string, string> = { ...EAS_OWN_FIELDS, ...WINDOWS_OWN_FIELDS };
    for (const a of alerts.values()) {
      for (const [field, value] of Object.entries(flatten(a.doc))) {
        const type: string | undefined = DETECT_ALERT_FIELDS[field] ?? ECS_FIELDS[field]?.type ?? own[field];
        assert.ok(type !== undefined, `${field} is neither ECS, an own field nor a declared alert field`);
        const first = Array.isArray(value) ? value[0] : value;
        if (first === undefined) continue;
        if (type === 'long' || type === 'float' || type === 'integer')
          assert.equal(typeof first, 'number', field);
        else if (type === 'boolean') assert.equal(typeof first, 'boolean', field);
        else if (type === 'date') assert.ok(!Number.isNaN(Date.parse(String(first))), field);
        else assert.equal(typeof first, 'string', `${field} (${type})`);
      }
    }
  });

  it('are all mapped, with the same types, by the templates `casguard setup` installs', () => {
    const installed = defaultOwnFields();
    for (const [field, type] of Object.entries(DETECT_ALERT_FIELDS))
      assert.equal(installed[field], type, field);
  });
});
