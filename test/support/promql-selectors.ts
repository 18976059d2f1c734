/**
 * The series selectors of a PromQL expression, read by Prometheus's own
 * grammar (@prometheus-io/lezer-promql, the parser of Prometheus's web UI):
 * which metric each selector names (`service_requests{...}`), or the regex it
 * matches names with (`{__name__=~"service_errors_.*"}`), and its other label
 * matchers. A regular expression over the text would also pick up function
 * names, label names of `by (...)` and words inside label values.
 */
import type * as LezerPromql from '@prometheus-io/lezer-promql' with { 'resolution-mode': 'import' };

// The package ships CommonJS (dist/index.cjs, what require loads) beside its ES
// module, but types only the ES module, which a node16 CommonJS file may not import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require('@prometheus-io/lezer-promql') as typeof LezerPromql;

/** A node of the parser's tree (its own @lezer/common type, whichever module format that resolves to). */
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

export interface LabelMatcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  /** The metric name, or undefined when the selector names it by a matcher on __name__. */
  name?: string;
  /** Every label matcher, those on __name__ included. */
  matchers: LabelMatcher[];
}

function textOf(expr: string, node: SyntaxNode): string {
  return expr.slice(node.from, node.to);
}

/** A PromQL string literal's value (Go's escapes, which JSON reads alike for the escapes dashboards use). */
function stringValue(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  if (literal.startsWith("'")) return JSON.parse(`"${literal.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string;
  return JSON.parse(literal) as string;
}

function matcherOf(expr: string, node: SyntaxNode): LabelMatcher {
  const label = node.getChild('LabelName');
  const quotedLabel = node.getChild('QuotedLabelName')?.getChild('StringLiteral');
  const op = node.getChild('MatchOp');
  const value = node.getChild('StringLiteral');
  if (!(label || quotedLabel) || !op || !value) throw new Error(`not a label matcher: ${textOf(expr, node)}`);
  return {
    label: label ? textOf(expr, label) : stringValue(textOf(expr, quotedLabel!)),
    op: textOf(expr, op) as LabelMatcher['op'],
    value: stringValue(textOf(expr, value)),
  };
}

/** Every series selector of `expr`; throws when Prometheus's grammar does not parse it. */
export function selectorsOf(expr: string): Selector[] {
  const tree = parser.parse(expr);
  const selectors: Selector[] = [];
  tree.iterate({
    enter: (ref) => {
      if (ref.type.isError) throw new Error(`PromQL does not parse at ${ref.from}: ${expr}`);
      if (ref.name !== 'VectorSelector') return;
      const identifier = ref.node.getChild('Identifier');
      const matchers = ref.node.getChild('LabelMatchers');
      // A quoted name alone in the braces is the metric's name: {"name.with.dots", job="x"}.
      const quotedName = matchers?.getChild('QuotedLabelName')?.getChild('StringLiteral');
      selectors.push({
        name: identifier ? textOf(expr, identifier) : quotedName ? stringValue(textOf(expr, quotedName)) : undefined,
        matchers: (matchers ? [...matchers.getChildren('UnquotedLabelMatcher'), ...matchers.getChildren('QuotedLabelMatcher')] : []).map((m) => matcherOf(expr, m)),
      });
    },
  });
  return selectors;
}
