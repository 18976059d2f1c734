/**
 * Alerts reach someone: deploy/alertmanager/alertmanager.yml passes `amtool
 * check-config`, routes critical alerts to `on-call` and everything else to
 * `operators`, both delivered to the dashboards page's webhook, and a service
 * that is down holds back its own warnings; Prometheus sends to that
 * Alertmanager; and every alert rule carries a runbook_url naming a section
 * of docs/runbooks.md that exists. amtool comes with Debian's
 * prometheus-alertmanager, which deploy/stack installs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parseEnvFile, ROOT_DIR } from '../../lib/config';
import { required } from '../../lib/assert';

const DEPLOY = path.join(ROOT_DIR, 'deploy');
const defaults = parseEnvFile(readFileSync(path.join(DEPLOY, 'defaults.env'), 'utf8'));

/** The configuration as deploy/stack renders it (envsubst of the dashboards port). */
function renderedConfigFile(): string {
  const template = readFileSync(path.join(DEPLOY, 'alertmanager', 'alertmanager.yml'), 'utf8');
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'alertmanager-')), 'alertmanager.yml');
  writeFileSync(file, template.replaceAll('${DASHBOARDS_PORT}', required(defaults.DASHBOARDS_PORT, 'DASHBOARDS_PORT in deploy/defaults.env')));
  return file;
}

const configFile = renderedConfigFile();
const amtool = (...args: string[]): string => execFileSync('amtool', args, { encoding: 'utf8' });
const receiverOf = (...labels: string[]): string => amtool('config', 'routes', 'test', `--config.file=${configFile}`, ...labels).trim();

describe('Alertmanager configuration', () => {
  it('passes amtool check-config', () => {
    expect(amtool('check-config', configFile)).toContain('SUCCESS');
  });

  it('routes by severity: critical to on-call, warning and the unlabelled to operators', () => {
    expect(receiverOf('severity=critical', 'alertname=TransfersStuckPending')).toBe('on-call');
    expect(receiverOf('severity=warning', 'alertname=OutboxEventsUnpublished', 'service=ledger')).toBe('operators');
    expect(receiverOf('alertname=Anything')).toBe('operators');
  });

  it('delivers both receivers to the dashboards page webhook, resolved notifications included', () => {
    const config = parse(readFileSync(configFile, 'utf8')) as { receivers: { name: string; webhook_configs: { url: string; send_resolved: boolean }[] }[] };
    for (const receiver of config.receivers) {
      expect(receiver.webhook_configs).toEqual([{ url: `http://127.0.0.1:${defaults.DASHBOARDS_PORT}/api/alert-notifications`, send_resolved: true }]);
    }
  });

  it('holds back a service’s warnings while that service is down', () => {
    const config = parse(readFileSync(configFile, 'utf8')) as { inhibit_rules: unknown[] };
    expect(config.inhibit_rules).toEqual([
      { source_matchers: ['severity="critical"', 'alertname="TargetDown"'], target_matchers: ['severity="warning"'], equal: ['service'] },
    ]);
  });

  it('routes and inhibits in compose exactly as natively, and passes amtool there too', () => {
    const composeFile = path.join(DEPLOY, 'alertmanager', 'alertmanager.compose.yml');
    expect(amtool('check-config', composeFile)).toContain('SUCCESS');
    const compose = parse(readFileSync(composeFile, 'utf8')) as Record<string, unknown>;
    const native = parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    expect({ route: compose.route, inhibit_rules: compose.inhibit_rules }).toEqual({ route: native.route, inhibit_rules: native.inhibit_rules });
    expect(compose.receivers).toEqual([{ name: 'on-call' }, { name: 'operators' }]);
  });

  it('is where Prometheus sends its alerts', () => {
    const prometheus = readFileSync(path.join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8');
    const config = parse(prometheus) as { alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] } };
    expect(config.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['127.0.0.1:${ALERTMANAGER_PORT}']);
  });
});

describe('runbooks', () => {
  const rules = parse(readFileSync(path.join(DEPLOY, 'prometheus', 'rules', 'credit-ledger.yml'), 'utf8')) as {
    groups: { rules: { alert: string; annotations: Record<string, string> }[] }[];
  };
  const headings = new Set([...readFileSync(path.join(ROOT_DIR, 'docs', 'runbooks.md'), 'utf8').matchAll(/^## (\S+)$/gm)].map((m) => m[1]));
  const alerts = rules.groups.flatMap((group) => group.rules);

  it.each(alerts.map((rule) => [rule.alert, rule]))('%s links its own section of docs/runbooks.md', (alert, rule) => {
    const anchor = (alert as string).toLowerCase();
    expect((rule as { annotations: Record<string, string> }).annotations.runbook_url).toBe(`docs/runbooks.md#${anchor}`);
    expect(headings.has(anchor)).toBe(true);
  });
});
