// Connectors in the configuration: the connectors: section is accepted, a connector must be an
// exporter of one pipeline and a receiver of another with signals it joins, routing names only
// pipelines it feeds, and cycles through connectors are refused.
import { describe, expect, it } from 'vitest';
import { components } from '../../src/components.js';
import { loadConfig } from '../../src/config/index.js';
import { errorLines } from '../processors/helpers.js';

async function load(body: string) {
  const text = `receivers:\n  otlp:\n    protocols:\n      http:\nexporters:\n  debug:\n${body}`;
  return loadConfig({ sources: [{ name: 'c.yaml', text }], env: {}, components });
}

describe('connectors in the configuration', () => {
  it('accepts forward and routing joining pipelines, and resolves them', async () => {
    const r = await load(`connectors:
  forward:
  routing:
    table:
      - condition: attributes["tenant"] == "a"
        pipelines: [logs/a]
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [forward, routing]
    logs/a:
      receivers: [routing]
      exporters: [debug]
    logs/b:
      receivers: [forward]
      exporters: [debug]
`);
    expect(errorLines(r.errors)).toEqual([]);
    expect([...(r.config?.connectors?.keys() ?? [])]).toEqual(['forward', 'routing']);
  });

  it('refuses a connector used one way, a signal it cannot join, unknown route pipelines, bad conditions and cycles', async () => {
    const r = await load(`connectors:
  forward:
  forward/loop:
  routing:
    default_pipelines: [logs/nowhere]
    table:
      - condition: attributes["tenant"] = "a"
        pipelines: [logs]
service:
  pipelines:
    logs:
      receivers: [otlp, forward/loop]
      exporters: [forward, forward/loop]
    traces:
      receivers: [routing]
      exporters: [debug]
`);
    expect(errorLines(r.errors)).toEqual([
      expect.stringMatching(/^connectors\.routing\.table\[0\]\.condition: column 22: expected the end of the statement but found "=".*\(fix: compare with ==/s),
      'connectors.forward: connector "forward" must be an exporter of one pipeline and a receiver of another; it is only an exporter (fix: list "forward" under exporters: of the pipeline that feeds it and under receivers: of the pipeline it feeds)',
      'connectors.routing: connector "routing" must be an exporter of one pipeline and a receiver of another; it is only a receiver (fix: list "routing" under exporters: of the pipeline that feeds it and under receivers: of the pipeline it feeds)',
      'service.pipelines.logs: the pipelines form a cycle through connectors: logs → logs (fix: remove one of the connectors from the cycle)',
    ]);
  });
});
