// The OTTL conformance table: for each supported function, the examples of the Collector's
// pkg/ottl/ottlfuncs/README.md as statements, with the input they act on and what must come out.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Typed } from './helpers.js';
import { evaluate, runOnLog } from './helpers.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

interface EditorCase {
  statement: string;
  attributes?: { [k: string]: Typed };
  body?: Typed;
  want: { [k: string]: Typed };
}

// Editors: attributes before and after.
const EDITORS: Record<string, EditorCase[]> = {
  set: [
    { statement: 'set(attributes["http.path"], "/foo")', want: { 'http.path': '/foo' } },
    { statement: 'set(attributes["copy"], attributes["missing"])', attributes: { a: 'x' }, want: { a: 'x' } },
    { statement: 'set(attributes["n"]["m"], 1)', want: { n: { m: 1n } } },
  ],
  delete_key: [{ statement: 'delete_key(attributes, "http.request.header.authorization")', attributes: { 'http.request.header.authorization': 'secret', keep: 1n }, want: { keep: 1n } }],
  delete_matching_keys: [{ statement: 'delete_matching_keys(attributes, "(?i).*password.*")', attributes: { user: 'a', db_PASSWORD: 'x', password_hash: 'y' }, want: { user: 'a' } }],
  keep_matching_keys: [{ statement: 'keep_matching_keys(attributes, "(?i).*version.*")', attributes: { 'service.version': '1', 'os.Version': '2', host: 'h' }, want: { 'service.version': '1', 'os.Version': '2' } }],
  keep_keys: [
    { statement: 'keep_keys(attributes, ["http.method"])', attributes: { 'http.method': 'GET', 'http.route': '/x' }, want: { 'http.method': 'GET' } },
    { statement: 'keep_keys(attributes, ["http.method", "http.route", "http.url"])', attributes: { 'http.method': 'GET', 'http.route': '/x', other: 1n }, want: { 'http.method': 'GET', 'http.route': '/x' } },
  ],
  limit: [
    { statement: 'limit(attributes, 100, [])', attributes: { a: 1n, b: 2n }, want: { a: 1n, b: 2n } },
    { statement: 'limit(attributes, 2, ["http.host", "http.method"])', attributes: { a: 1n, 'http.method': 'GET', b: 2n, 'http.host': 'h' }, want: { 'http.method': 'GET', 'http.host': 'h' } },
    { statement: 'limit(attributes, 2, ["http.host"])', attributes: { a: 1n, b: 2n, 'http.host': 'h' }, want: { a: 1n, 'http.host': 'h' } },
  ],
  merge_maps: [
    { statement: 'merge_maps(attributes, ParseJSON(body), "upsert")', attributes: { a: 'old', keep: true }, body: '{"a":"new","b":2}', want: { a: 'new', keep: true, b: 2 } },
    { statement: 'merge_maps(attributes, ParseJSON(body), "insert")', attributes: { a: 'old' }, body: '{"a":"new","b":2}', want: { a: 'old', b: 2 } },
    { statement: 'merge_maps(attributes, ParseJSON(body), "update")', attributes: { a: 'old' }, body: '{"a":"new","b":2}', want: { a: 'new' } },
  ],
  replace_pattern: [
    {
      statement: 'replace_pattern(attributes["process.command_line"], "password\\\\=[^\\\\s]*(\\\\s?)", "password=***")',
      attributes: { 'process.command_line': 'app --password=hunter2 --user=bob' },
      want: { 'process.command_line': 'app --password=***--user=bob' },
    },
    { statement: 'replace_pattern(attributes["name"], "^kube_([0-9A-Za-z]+_)", "k8s.$1.")', attributes: { name: 'kube_pod_status' }, want: { name: 'k8s.pod_.status' } },
    { statement: 'replace_pattern(attributes["name"], "^kube_([0-9A-Za-z]+_)", "$1.", SHA256, "k8s.%s")', attributes: { name: 'kube_pod_status' }, want: { name: `k8s.${sha256('pod_.')}status` } },
  ],
  replace_all_patterns: [
    { statement: 'replace_all_patterns(attributes, "value", "/account/\\\\d{4}", "/account/{accountId}")', attributes: { path: '/account/1234/x', n: 1n }, want: { path: '/account/{accountId}/x', n: 1n } },
    { statement: 'replace_all_patterns(attributes, "key", "/account/\\\\d{4}", "/account/{accountId}")', attributes: { '/account/1234': 'v' }, want: { '/account/{accountId}': 'v' } },
    { statement: 'replace_all_patterns(attributes, "key", "^kube_([0-9A-Za-z]+_)", "k8s.$1.")', attributes: { kube_pod_name: 'p' }, want: { 'k8s.pod_.name': 'p' } },
    { statement: 'replace_all_patterns(attributes, "key", "^kube_([0-9A-Za-z]+_)", "$1.", SHA256, "k8s.%s")', attributes: { kube_pod_name: 'p' }, want: { [`k8s.${sha256('pod_.')}name`]: 'p' } },
  ],
  replace_match: [
    { statement: 'replace_match(attributes["http.target"], "/user/*/list/*", "/user/{userId}/list/{listId}")', attributes: { 'http.target': '/user/12/list/34' }, want: { 'http.target': '/user/{userId}/list/{listId}' } },
    { statement: 'replace_match(attributes["http.target"], "/user/*/list/*", "/user/{userId}/list/{listId}", SHA256, "/user/%s")', attributes: { 'http.target': '/user/12/list/34' }, want: { 'http.target': `/user/${sha256('/user/{userId}/list/{listId}')}` } },
    { statement: 'replace_match(attributes["http.target"], "/user/*/list/*", "x")', attributes: { 'http.target': '/users' }, want: { 'http.target': '/users' } },
  ],
  replace_all_matches: [
    { statement: 'replace_all_matches(attributes, "/user/*/list/*", "/user/{userId}/list/{listId}")', attributes: { a: '/user/1/list/2', b: '/health' }, want: { a: '/user/{userId}/list/{listId}', b: '/health' } },
  ],
  truncate_all: [
    { statement: 'truncate_all(attributes, 3)', attributes: { s: 'abcdef', n: 123456n }, want: { s: 'abc', n: 123456n } },
    { statement: 'truncate_all(attributes, 5, false, "…")', attributes: { s: 'abcdef' }, want: { s: 'ab…' } },
    { statement: 'truncate_all(attributes, 4)', attributes: { s: 'aé€b' }, want: { s: 'aé' } },
  ],
  flatten: [
    {
      statement: 'flatten(attributes)',
      attributes: { name: 'test', address: { street: 'first', house: 1234n }, occupants: ['user 1', 'user 2'] },
      want: { name: 'test', 'address.street': 'first', 'address.house': 1234n, 'occupants.0': 'user 1', 'occupants.1': 'user 2' },
    },
    {
      statement: 'flatten(attributes, "app")',
      attributes: { name: 'test', address: { street: 'first' } },
      want: { 'app.name': 'test', 'app.address.street': 'first' },
    },
    { statement: 'flatten(attributes, depth=2)', attributes: { '0': { '1': { '2': { '3': { '4': 'value' } } } } }, want: { '0.1.2': { '3': { '4': 'value' } } } },
  ],
  append: [
    { statement: 'append(attributes["tags"], "prod")', attributes: { tags: ['a'] }, want: { tags: ['a', 'prod'] } },
    { statement: 'append(attributes["tags"], values = ["staging", "staging:east"])', attributes: { tags: 'one' }, want: { tags: ['one', 'staging', 'staging:east'] } },
    { statement: 'append(attributes["tags_copy"], attributes["tags"])', attributes: { tags: 'x' }, want: { tags: 'x', tags_copy: ['x'] } },
  ],
};

describe('OTTL editors: the Collector documented examples', () => {
  for (const [fn, cases] of Object.entries(EDITORS)) {
    it.each(cases)(`${fn}: $statement`, (c) => {
      expect(runOnLog([c.statement], c.attributes ?? {}, c.body).attributes).toEqual(c.want);
    });
  }
});

interface ConverterCase {
  expr: string;
  attributes?: { [k: string]: Typed };
  body?: Typed;
  want: Typed | undefined;
}

// Converters: the value they give (undefined: nil, so set() did nothing).
const CONVERTERS: Record<string, ConverterCase[]> = {
  ParseJSON: [
    { expr: 'ParseJSON("{\\"attr\\":\\"value\\",\\"n\\":1}")', want: { attr: 'value', n: 1 } },
    { expr: 'ParseJSON(body)', body: '[1,"a",{"b":true}]', want: [1, 'a', { b: true }] },
  ],
  ParseKeyValue: [
    { expr: 'ParseKeyValue("k1=v1 k2=v2 k3=v3")', want: { k1: 'v1', k2: 'v2', k3: 'v3' } },
    { expr: 'ParseKeyValue("k1!v1_k2!v2_k3!v3", "!", "_")', want: { k1: 'v1', k2: 'v2', k3: 'v3' } },
    { expr: 'ParseKeyValue(body)', body: 'name="John Doe" age=30 k=a k=b', want: { name: 'John Doe', age: '30', k: ['a', 'b'] } },
  ],
  ExtractPatterns: [
    { expr: 'ExtractPatterns(attributes["k8s.change_cause"], "GIT_SHA=(?P<git_sha>\\\\w+)")', attributes: { 'k8s.change_cause': 'deploy GIT_SHA=abc123 ok' }, want: { git_sha: 'abc123' } },
    { expr: 'ExtractPatterns(body, "^(?P<method>\\\\w+) (?P<path>\\\\S+)")', body: 'GET /api/x HTTP/1.1', want: { method: 'GET', path: '/api/x' } },
  ],
  Concat: [
    { expr: 'Concat([attributes["http.method"], attributes["http.path"]], ": ")', attributes: { 'http.method': 'GET', 'http.path': '/x' }, want: 'GET: /x' },
    { expr: 'Concat([attributes["name"], 1], " ")', attributes: { name: 'm' }, want: 'm 1' },
    { expr: 'Concat(["HTTP method is: ", attributes["http.method"]], "")', attributes: { 'http.method': 'PUT' }, want: 'HTTP method is: PUT' },
  ],
  Split: [
    { expr: 'Split(body, "|")', body: 'A|B|C', want: ['A', 'B', 'C'] },
    { expr: 'Split("A|B|C", "|")', want: ['A', 'B', 'C'] },
  ],
  Substring: [
    { expr: 'Substring(body, 3, 5)', body: '0123456789', want: '34567' },
    { expr: 'Substring("123456789", 1, 3)', want: '234' },
  ],
  ConvertCase: [
    { expr: 'ConvertCase(body, "lower")', body: 'MY_METRIC', want: 'my_metric' },
    { expr: 'ConvertCase(body, "upper")', body: 'my_metric', want: 'MY_METRIC' },
    { expr: 'ConvertCase(body, "snake")', body: 'myMetric', want: 'my_metric' },
    { expr: 'ConvertCase(body, "camel")', body: 'my_metric', want: 'MyMetric' },
  ],
  ToLowerCase: [{ expr: 'ToLowerCase(body)', body: 'MyMetric', want: 'mymetric' }],
  ToUpperCase: [{ expr: 'ToUpperCase(body)', body: 'MyMetric', want: 'MYMETRIC' }],
  IsMatch: [
    { expr: 'IsMatch(attributes["http.target"], ".*")', attributes: { 'http.target': '/x' }, want: true },
    { expr: 'IsMatch("string", "string")', want: true },
    { expr: 'IsMatch(attributes["missing"], ".*")', want: false },
  ],
  IsString: [{ expr: 'IsString(body)', body: 'x', want: true }, { expr: 'IsString(attributes["n"])', attributes: { n: 1n }, want: false }],
  IsMap: [{ expr: 'IsMap(body)', body: { a: 1n }, want: true }, { expr: 'IsMap(attributes["n"])', attributes: { n: 1n }, want: false }],
  IsList: [{ expr: 'IsList(body)', body: ['a'], want: true }, { expr: 'IsList("a")', want: false }],
  IsInt: [{ expr: 'IsInt(attributes["n"])', attributes: { n: 1n }, want: true }, { expr: 'IsInt(1.5)', want: false }],
  IsDouble: [{ expr: 'IsDouble(attributes["d"])', attributes: { d: 1.5 }, want: true }, { expr: 'IsDouble(1)', want: false }],
  IsBool: [{ expr: 'IsBool(false)', want: true }, { expr: 'IsBool(42)', want: false }],
  Int: [
    { expr: 'Int(attributes["http.status_code"])', attributes: { 'http.status_code': '200' }, want: 200n },
    { expr: 'Int(2.9)', want: 2n },
    { expr: 'Int(true)', want: 1n },
    { expr: 'Int("2.0")', want: undefined },
  ],
  Double: [
    { expr: 'Double(attributes["http.status_code"])', attributes: { 'http.status_code': '200.5' }, want: 200.5 },
    { expr: 'Double(2)', want: 2 },
    { expr: 'Double("x")', want: undefined },
  ],
  String: [
    { expr: 'String(attributes["n"])', attributes: { n: 5n }, want: '5' },
    { expr: 'String(body)', body: { a: 1n }, want: '{"a":1}' },
    { expr: 'String(0x0102)', want: '0102' },
  ],
  Len: [
    { expr: 'Len(body)', body: 'abc', want: 3n },
    { expr: 'Len(attributes)', attributes: { a: 1n, b: 2n }, want: 2n },
    { expr: 'Len(attributes["l"])', attributes: { l: ['a', 'b', 'c'] }, want: 3n },
  ],
  SHA256: [{ expr: 'SHA256(attributes["device.name"])', attributes: { 'device.name': 'name' }, want: sha256('name') }],
  Time: [
    { expr: 'UnixNano(Time("02/04/2023", "%m/%d/%Y"))', want: 1675468800000000000n },
    { expr: 'UnixNano(Time("2023-05-26 12:34:56.123 +0200", "%Y-%m-%d %H:%M:%S.%L %z"))', want: 1685097296123000000n },
  ],
  UnixNano: [{ expr: 'UnixNano(time)', want: 1700000000123456789n }],
  TraceID: [{ expr: 'TraceID(0x0102030405060708090a0b0c0d0e0f10)', want: { bytes: '0102030405060708090a0b0c0d0e0f10' } }],
  SpanID: [{ expr: 'SpanID(0x0102030405060708)', want: { bytes: '0102030405060708' } }],
  Format: [
    { expr: 'Format("%02d", [attributes["priority"]])', attributes: { priority: 5n }, want: '05' },
    { expr: 'Format("%04d-%02d-%02d", [2024, 1, 9])', want: '2024-01-09' },
    { expr: 'Format("%s/%s", [attributes["host"], body])', attributes: { host: 'h' }, body: 'app', want: 'h/app' },
  ],
  Hex: [
    { expr: 'Hex(2.0)', want: '4000000000000000' },
    { expr: 'Hex("1")', want: '31' },
    { expr: 'Hex(true)', want: '01' },
    { expr: 'Hex(12)', want: '000000000000000c' },
    { expr: 'Hex(0x02)', want: '02' },
  ],
};

describe('OTTL converters: the Collector documented examples', () => {
  for (const [fn, cases] of Object.entries(CONVERTERS)) {
    it.each(cases)(`${fn}: $expr`, (c) => {
      if (fn === 'UnixNano') {
        const r = runOnLog(['set(time_unix_nano, 1700000000123456789)', `set(attributes["out"], ${c.expr})`]);
        expect(r.attributes.out).toBe(c.want);
        return;
      }
      expect(evaluate(c.expr, c.attributes ?? {}, c.body)).toEqual(c.want);
    });
  }

  it('Now: the time at evaluation', () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const v = evaluate('UnixNano(Now())') as bigint;
    expect(v >= before && v <= BigInt(Date.now()) * 1_000_000n).toBe(true);
  });
});
