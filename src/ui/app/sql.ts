// A small SQL highlighter for the job page's "SQL Query" (keywords, strings, comments, numbers); no parsing.
import { h, type VNode } from "preact";

const TOKEN =
  /(--[^\n]*|\/\*[\s\S]*?\*\/)|('(?:[^']|'')*'?)|\b(SELECT|FROM|WHERE|AND|OR|NOT|JOIN|LEFT|RIGHT|FULL|INNER|OUTER|CROSS|ON|USING|GROUP|BY|ORDER|HAVING|LIMIT|OFFSET|INSERT|INTO|VALUES|UPDATE|SET|DELETE|CREATE|DROP|ALTER|TABLE|VIEW|AS|WITH|UNION|ALL|DISTINCT|CASE|WHEN|THEN|ELSE|END|IN|IS|NULL|LIKE|BETWEEN|EXISTS|ASC|DESC|OVER|PARTITION)\b|\b(\d+(?:\.\d+)?)\b/gi;

export function highlightSql(sql: string): (string | VNode<any>)[] {
  const out: (string | VNode<any>)[] = [];
  let last = 0;
  for (const m of sql.matchAll(TOKEN)) {
    const i = m.index ?? 0;
    if (i > last) out.push(sql.slice(last, i));
    const cls = m[1] ? "sql-cmt" : m[2] ? "sql-str" : m[3] ? "sql-kw" : "sql-num";
    out.push(h("span", { class: cls }, m[0]));
    last = i + m[0].length;
  }
  if (last < sql.length) out.push(sql.slice(last));
  return out;
}
